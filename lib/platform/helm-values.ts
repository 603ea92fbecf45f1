import { stringify } from 'yaml';

/** A chart at an exact version in its repository: what a helm_release installs. */
export interface PinnedChart {
  /** https:// (or oci://) chart repository; a relative directory for the repository's own charts. */
  readonly repository: string;
  readonly chart: string;
  /** Exact chart version, no ranges. */
  readonly version: string;
}

/**
 * Every upstream chart of the platform layer, pinned. Where each version was
 * seen published is in the comment above it (see also the README, "Platform layer").
 */
export const CHARTS = {
  /**
   * traefik/traefik-helm-chart tag v41.6.0 (Traefik Proxy v3.7.13); its values schema
   * rejects unknown keys. Rendered with our values by scripts/render-charts.sh.
   */
  traefik: { repository: 'https://traefik.github.io/charts', chart: 'traefik', version: '41.6.0' },
  /** cert-manager v1.19.1, charts.jetstack.io (the only supported source of the chart); rendered by scripts/render-charts.sh. */
  certManager: { repository: 'https://charts.jetstack.io', chart: 'cert-manager', version: 'v1.19.1' },
  /** grafana/mimir: mimir-distributed 6.0.5 (Mimir 3.0.x); stays in grafana/helm-charts. */
  mimir: { repository: 'https://grafana.github.io/helm-charts', chart: 'mimir-distributed', version: '6.0.5' },
  /**
   * grafana-community/helm-charts charts/loki/Chart.yaml at commit dbf9f4fb5fa1
   * (2026-08-29): 18.11.7; the chart moved there in 2026. Rendered by scripts/render-charts.sh.
   */
  loki: { repository: 'https://grafana-community.github.io/helm-charts', chart: 'loki', version: '18.11.7' },
  /** grafana-community/helm-charts charts/grafana/Chart.yaml at the same commit: 13.0.1. Rendered likewise. */
  grafana: { repository: 'https://grafana-community.github.io/helm-charts', chart: 'grafana', version: '13.0.1' },
  /** grafana/k8s-monitoring-helm 3.8.11 (the maintained 3.8 line; Alloy); stays in grafana/helm-charts. */
  k8sMonitoring: { repository: 'https://grafana.github.io/helm-charts', chart: 'k8s-monitoring', version: '3.8.11' },
} as const satisfies Record<string, PinnedChart>;

/**
 * The repository's own charts (charts/ at the repository root), as a helm_release
 * sees them from a synthesized stack's directory (cdktf.out/stacks/<stack>), where
 * tofu runs: relative, like the local state path, so the JSON does not depend on
 * where the repository is checked out. The helm provider treats a repository that
 * is not a URL as a directory holding the chart.
 */
export const LOCAL_CHARTS_REPOSITORY = '../../../charts';

/** charts/platform-manifests: renders the objects it is given (see its Chart.yaml). */
export const MANIFESTS_CHART: PinnedChart = { repository: LOCAL_CHARTS_REPOSITORY, chart: 'platform-manifests', version: '0.1.0' };

/**
 * A literal `${NAME}` for a program that expands environment variables in its
 * config (Mimir and Loki with -config.expand-env=true). Terraform reads `$${`
 * as an escaped `${`, so the JSON carries `$${NAME}` and the chart gets `${NAME}`.
 */
export function envReference(name: string): string {
  if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`envReference: ${JSON.stringify(name)} is not an environment variable name`);
  return `$\${${name}}`;
}

/**
 * Helm values as YAML for a helm_release's `values`. Typed objects in, one YAML
 * document out; never folded, so a Terraform reference inside a string stays on
 * one line.
 */
export function helmValues(values: object): string {
  return stringify(values, { lineWidth: 0 });
}

/** A Kubernetes object, as the platform-manifests chart renders it. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}
