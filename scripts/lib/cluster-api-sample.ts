/**
 * The Cluster API objects the Cluster API checks work on (check-cluster-api.ts
 * against the CRDs, check-cluster-api-run.ts against the running controllers,
 * check-capo-cloud.ts against the test cloud): those of the default config with
 * one environment's first agent pool `web` autoscaled (labelled and tainted, so
 * those paths are in the objects), in the namespace and with the credential
 * Secret the platform stack uses. By default production's pool from 6 to 12 with
 * sample ids where the cluster stack's would be; check-capo-cloud.ts passes the
 * ids and user data of a cluster stack applied to the test cloud.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig, type PlatformConfig } from '../../lib/config';
import { bootstrapSecrets, clusterApiObjects } from '../../lib/platform/cluster-api';
import { CAPO_IDENTITY_SECRET, NODE_AUTOSCALING_NAMESPACES } from '../../lib/platform/node-autoscaling';
import { MAX_PODS_PER_NODE } from '../../lib/rke2/kubelet';

export type SampleEnvironment = 'test' | 'production';

/** What the sample's pool autoscales between in each environment. */
export const SAMPLE_AUTOSCALING: Record<SampleEnvironment, { minNodes: number; maxNodes: number }> = {
  production: { minNodes: 6, maxNodes: 12 },
  test: { minNodes: 1, maxNodes: 3 },
};
export const SAMPLE_POOL_LABELS = { 'webhost.ch/tier': 'web' };
export const SAMPLE_POOL_TAINTS = ['dedicated=web:NoSchedule'];

/** The default config with `environment`'s first agent pool autoscaled, labelled and tainted. */
export function sampleConfig(environment: SampleEnvironment = 'production'): PlatformConfig {
  const raw = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  const web = raw.environments[environment].agentPools[0];
  delete web.count;
  web.autoscaling = { ...SAMPLE_AUTOSCALING[environment] };
  web.labels = { ...SAMPLE_POOL_LABELS };
  web.taints = [...SAMPLE_POOL_TAINTS];
  return parsePlatformConfig(stringify(raw), 'platform.yaml');
}

/** What the cluster stack made (its `cluster_api` and `cluster_api_secrets` outputs), for one autoscaled pool. */
export interface SampleCloud {
  readonly networkId: string;
  readonly agentsSubnetId: string;
  readonly agentsSecurityGroupId: string;
  readonly imageId: string;
  readonly serverGroupId: string;
  readonly userData: string;
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const SAMPLE_IDS: SampleCloud = {
  networkId: uuid(1),
  agentsSubnetId: uuid(2),
  agentsSecurityGroupId: uuid(3),
  imageId: uuid(4),
  serverGroupId: uuid(5),
  userData: '#cloud-config\n',
};

export interface SampleOptions {
  /** @default 'production' */
  readonly environment?: SampleEnvironment;
  /** @default `webhost-<environment>` */
  readonly clusterName?: string;
  /** @default sample ids and an empty cloud-config */
  readonly cloud?: SampleCloud;
}

/** `apiHost`: where the objects say the cluster's API is (the local API server in the runs). */
export function sampleClusterApiObjects(apiHost: string, options: SampleOptions = {}) {
  const environment = options.environment ?? 'production';
  const cloud = options.cloud ?? SAMPLE_IDS;
  const env = sampleConfig(environment).environments[environment];
  const pool = env.agentPools[0] as (typeof env.agentPools)[number] & { autoscaling: { minNodes: number; maxNodes: number } };
  const input = {
    namespace: NODE_AUTOSCALING_NAMESPACES.objects,
    clusterName: options.clusterName ?? `webhost-${environment}`,
    apiHost,
    podCidr: env.kubernetes.podCidr,
    serviceCidr: env.kubernetes.serviceCidr,
    networkId: cloud.networkId,
    agentsSubnetId: cloud.agentsSubnetId,
    agentsSecurityGroupId: cloud.agentsSecurityGroupId,
    imageId: cloud.imageId,
    identitySecretName: CAPO_IDENTITY_SECRET,
    tags: [`platform=webhost`, `environment=${environment}`],
    maxPods: MAX_PODS_PER_NODE,
  };
  const pools = [{ pool, serverGroupId: cloud.serverGroupId, userData: cloud.userData }];
  return [...bootstrapSecrets(input, pools), ...clusterApiObjects(input, pools)];
}
