/**
 * The Cluster API objects both Cluster API checks work on (check-cluster-api.ts
 * against the CRDs, check-cluster-api-run.ts against the running controllers):
 * those of the default config with production's pool `web` autoscaled from 6 to 12
 * (labelled and tainted, so those paths are in the objects), in the namespace and
 * with the credential Secret the platform stack uses, and sample ids where the
 * cluster stack's would be.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../../lib/config';
import { bootstrapSecrets, clusterApiObjects } from '../../lib/platform/cluster-api';
import { CAPO_IDENTITY_SECRET, NODE_AUTOSCALING_NAMESPACES } from '../../lib/platform/node-autoscaling';
import { MAX_PODS_PER_NODE } from '../../lib/rke2/kubelet';

/** `apiHost`: where the objects say the cluster's API is (the local API server in the run). */
export function sampleClusterApiObjects(apiHost: string) {
  const raw = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  const web = raw.environments.production.agentPools[0];
  delete web.count;
  web.autoscaling = { minNodes: 6, maxNodes: 12 };
  web.labels = { 'webhost.ch/tier': 'web' };
  web.taints = ['dedicated=web:NoSchedule'];
  const env = parsePlatformConfig(stringify(raw), 'platform.yaml').environments.production;
  const pool = env.agentPools[0] as (typeof env.agentPools)[number] & { autoscaling: { minNodes: number; maxNodes: number } };
  const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const input = {
    namespace: NODE_AUTOSCALING_NAMESPACES.objects,
    clusterName: 'webhost-production',
    apiHost,
    podCidr: env.kubernetes.podCidr,
    serviceCidr: env.kubernetes.serviceCidr,
    networkId: uuid(1),
    agentsSubnetId: uuid(2),
    agentsSecurityGroupId: uuid(3),
    imageId: uuid(4),
    identitySecretName: CAPO_IDENTITY_SECRET,
    tags: ['platform=webhost', 'environment=production'],
    maxPods: MAX_PODS_PER_NODE,
  };
  const pools = [{ pool, serverGroupId: uuid(5), userData: '#cloud-config\n' }];
  return [...bootstrapSecrets(input, pools), ...clusterApiObjects(input, pools)];
}
