import { Construct } from 'constructs';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { CHARTS } from './helm-values';
import { PlatformNamespace } from './namespace';
import { PinnedRelease } from './release';

export const TELEMETRY_NAMESPACE = 'telemetry';
/** Secret holding the agent's write-path credentials (keys `username`, `password`). */
export const TELEMETRY_SECRET = 'telemetry-credentials';

export interface TelemetryAgentProps {
  /** Cluster name on every series and log line (the environment). */
  readonly clusterName: string;
  /** Tenant id (X-Scope-OrgID); also the basic-auth user name on the write paths. */
  readonly tenantId: string;
  /** Mimir remote-write URL, e.g. https://metrics.tools.example.ch/api/v1/push. */
  readonly metricsUrl: string;
  /** Loki push URL, e.g. https://logs.tools.example.ch/loki/api/v1/push. */
  readonly logsUrl: string;
  /** The tenant's write-path password: a random_password or a sensitive variable, never a literal. */
  readonly password: string;
}

interface Destination {
  readonly name: string;
  readonly type: 'prometheus' | 'loki';
  readonly url: string;
  readonly tenantId: string;
  readonly auth: { readonly type: 'basic'; readonly usernameKey: string; readonly passwordKey: string };
  readonly secret: { readonly create: false; readonly name: string; readonly namespace: string };
}

/** The parts of the k8s-monitoring (3.x) chart's values this construct sets. */
export interface K8sMonitoringValues {
  readonly cluster: { readonly name: string };
  readonly destinations: readonly Destination[];
  readonly clusterMetrics: { readonly enabled: boolean };
  readonly clusterEvents: { readonly enabled: boolean };
  readonly podLogs: { readonly enabled: boolean };
  readonly 'alloy-metrics': { readonly enabled: boolean };
  readonly 'alloy-singleton': { readonly enabled: boolean };
  readonly 'alloy-logs': { readonly enabled: boolean };
}

/**
 * Grafana's k8s-monitoring chart (Alloy, node exporter, kube-state-metrics) on
 * one cluster: node and pod metrics, Kubernetes events and pod logs, pushed to
 * the tools cluster's write paths under the cluster's own tenant, with basic-auth
 * credentials read from a Kubernetes secret.
 */
export class TelemetryAgent extends Construct {
  readonly namespace: PlatformNamespace;
  readonly credentials: SecretV1;
  readonly release: PinnedRelease;
  readonly values: K8sMonitoringValues;

  constructor(scope: Construct, id: string, props: TelemetryAgentProps) {
    super(scope, id);
    for (const [field, url] of [['metricsUrl', props.metricsUrl], ['logsUrl', props.logsUrl]] as const) {
      if (!url.startsWith('https://')) throw new Error(`${this.node.path}: ${field} must be an https:// URL (credentials cross the internet), got ${url}`);
    }
    // Node exporter (host network and PID namespace) and the log collector (hostPath /var/log).
    this.namespace = new PlatformNamespace(this, 'Namespace', { name: TELEMETRY_NAMESPACE, podSecurity: 'privileged' });
    this.credentials = new SecretV1(this, 'Credentials', {
      metadata: { name: TELEMETRY_SECRET, namespace: this.namespace.name },
      data: { username: props.tenantId, password: props.password },
    });
    const destination = (name: string, type: Destination['type'], url: string): Destination => ({
      name,
      type,
      url,
      tenantId: props.tenantId,
      auth: { type: 'basic', usernameKey: 'username', passwordKey: 'password' },
      secret: { create: false, name: TELEMETRY_SECRET, namespace: TELEMETRY_NAMESPACE },
    });
    this.values = {
      cluster: { name: props.clusterName },
      destinations: [destination('mimir', 'prometheus', props.metricsUrl), destination('loki', 'loki', props.logsUrl)],
      clusterMetrics: { enabled: true },
      clusterEvents: { enabled: true },
      podLogs: { enabled: true },
      'alloy-metrics': { enabled: true },
      'alloy-singleton': { enabled: true },
      'alloy-logs': { enabled: true },
    };
    this.release = new PinnedRelease(this, 'K8sMonitoring', {
      name: 'k8s-monitoring',
      namespace: this.namespace.name,
      chart: CHARTS.k8sMonitoring,
      values: this.values,
      dependsOn: [this.credentials],
    });
  }
}
