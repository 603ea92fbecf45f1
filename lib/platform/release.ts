import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import { helmValues, MANIFESTS_CHART, type KubernetesObject, type PinnedChart } from './helm-values';

export interface PinnedReleaseProps {
  /** Release name (also the prefix of the chart's object names). */
  readonly name: string;
  /** Namespace, created beforehand (a reference to it orders the release after it). */
  readonly namespace: string;
  readonly chart: PinnedChart;
  /** Typed values, rendered to YAML. */
  readonly values: object;
  /** What must exist first (CRDs of another release, a webhook that must be ready). */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Seconds helm waits for the release's workloads to become ready.
   * @default 600
   */
  readonly timeoutSeconds?: number;
}

/** A helm_release of a pinned chart with typed values; waits until its workloads are ready. */
export class PinnedRelease extends Construct {
  readonly release: Release;

  constructor(scope: Construct, id: string, props: PinnedReleaseProps) {
    super(scope, id);
    this.release = new Release(this, 'Release', {
      name: props.name,
      namespace: props.namespace,
      repository: props.chart.repository,
      chart: props.chart.chart,
      version: props.chart.version,
      values: [helmValues(props.values)],
      wait: true,
      atomic: false,
      timeout: props.timeoutSeconds ?? 600,
      dependsOn: props.dependsOn,
    });
  }
}

export interface ManifestsReleaseProps {
  readonly name: string;
  readonly namespace: string;
  readonly objects: readonly KubernetesObject[];
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Custom resources delivered as a release of the repository's platform-manifests
 * chart. A helm_release plans without a reachable cluster and without the CRDs
 * (they come from an earlier release in the same apply); kubernetes_manifest
 * would need both at plan time.
 */
export class ManifestsRelease extends PinnedRelease {
  constructor(scope: Construct, id: string, props: ManifestsReleaseProps) {
    if (props.objects.length === 0) throw new Error(`${id}: a manifests release needs at least one object`);
    super(scope, id, {
      name: props.name,
      namespace: props.namespace,
      chart: MANIFESTS_CHART,
      values: { objects: props.objects },
      dependsOn: props.dependsOn,
      timeoutSeconds: 300,
    });
  }
}
