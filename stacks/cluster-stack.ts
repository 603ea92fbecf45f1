import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import { cloudOf, type CloudConfig, type EnvironmentConfig, type EnvironmentName, type StateConfig } from '../lib/config';
import { ClusterApiCloudAccess } from '../lib/platform/cluster-api-cloud';
import { Rke2Cluster } from '../lib/rke2/rke2-cluster';
import { configureState } from '../lib/state/backend';

export interface ClusterStackProps {
  readonly platformName: string;
  readonly state: StateConfig;
  readonly environment: EnvironmentName;
  /** The project's cloud section: the state lives in its region; the cluster in its own (cluster.region). */
  readonly cloud: CloudConfig;
  readonly cluster: EnvironmentConfig;
}

/**
 * How many times the OpenStack provider resends a request that got no response
 * at all (a connection reset, an EOF on a kept-alive connection the API's front
 * closed as the request went out), and how many 429s it waits out by their
 * Retry-After. The provider's default, 0, ends the whole apply or destroy on the
 * first dropped connection: Go replays only GETs by itself, never a DELETE or a
 * POST (README, Test cloud: CI lost a destroy to one EOF on a port DELETE).
 */
export const OPENSTACK_MAX_RETRIES = 5;

/**
 * One environment's RKE2 cluster on OpenStack. Credentials come from the OS_*
 * environment variables or clouds.yaml when tofu runs, never from this JSON;
 * the tls and random providers need none.
 */
export class ClusterStack extends TerraformStack {
  readonly environment: EnvironmentName;
  /** `<platform>-<environment>`: the prefix of the resource names, the cluster's name in Cluster API. */
  readonly clusterName: string;
  readonly tags: readonly string[];
  readonly cluster: Rke2Cluster;
  /** Only where an agent pool autoscales. */
  readonly clusterApi?: ClusterApiCloudAccess;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    const { cluster } = props;
    const cloud = cloudOf(props, cluster);
    this.environment = props.environment;
    configureState(this, props.state, props.cloud);
    new OpenstackProvider(this, 'openstack', {
      authUrl: cloud.authUrl,
      region: cloud.region,
      maxRetries: OPENSTACK_MAX_RETRIES,
    });
    new TlsProvider(this, 'tls', {});
    new RandomProvider(this, 'random', {});

    this.clusterName = `${props.platformName}-${props.environment}`;
    this.tags = [`platform=${props.platformName}`, `environment=${props.environment}`];
    this.cluster = new Rke2Cluster(this, 'Cluster', { name: this.clusterName, cloud, cluster, tags: [...this.tags] });
    this.cluster.addOutputs(this);
    if (Object.keys(this.cluster.autoscaledPools).length > 0) {
      this.clusterApi = new ClusterApiCloudAccess(this, 'ClusterApi', { name: this.clusterName, cluster: this.cluster });
      this.clusterApi.addOutputs(this);
    }
  }
}
