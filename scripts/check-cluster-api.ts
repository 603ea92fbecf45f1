/**
 * Validates the Cluster API objects of lib/platform/cluster-api.ts against the
 * CRDs of the pinned modules (scripts/check-cluster-api.sh downloads them):
 *
 *   tsx scripts/check-cluster-api.ts <cluster-api module dir> <CAPO module dir>
 *
 * The objects are those of the default config with production's pool `web`
 * autoscaled from 6 to 12, with sample ids where the cluster stack's would be.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../lib/config';
import { bootstrapSecrets, clusterApiObjects, externalControlPlaneCrd } from '../lib/platform/cluster-api';
import { MAX_PODS_PER_NODE } from '../lib/rke2/kubelet';
import { crdSchemas } from '../lib/verify/crd-schema';

const [capiDir, capoDir] = process.argv.slice(2);
if (!capiDir || !capoDir) throw new Error('usage: tsx scripts/check-cluster-api.ts <cluster-api dir> <cluster-api-provider-openstack dir>');
const crdText = [capiDir, capoDir]
  .map((dir) => path.join(dir, 'config', 'crd', 'bases'))
  .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(path.join(dir, f), 'utf8')))
  .join('\n---\n');
// And the one CRD of ours, the ExternalControlPlane's.
const schemas = crdSchemas(`${crdText}\n---\n${stringify(externalControlPlaneCrd())}`);

const raw = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
delete raw.environments.production.agentPools[0].count;
raw.environments.production.agentPools[0].autoscaling = { minNodes: 6, maxNodes: 12 };
raw.environments.production.agentPools[0].labels = { 'webhost.ch/tier': 'web' };
raw.environments.production.agentPools[0].taints = ['dedicated=web:NoSchedule'];
const config = parsePlatformConfig(stringify(raw), 'platform.yaml');
const env = config.environments.production;
const pool = env.agentPools[0] as (typeof env.agentPools)[number] & { autoscaling: { minNodes: number; maxNodes: number } };
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const input = {
  namespace: 'capi-system',
  clusterName: 'webhost-production',
  apiHost: '10.20.0.5',
  podCidr: env.kubernetes.podCidr,
  serviceCidr: env.kubernetes.serviceCidr,
  networkId: uuid(1),
  agentsSubnetId: uuid(2),
  agentsSecurityGroupId: uuid(3),
  imageId: uuid(4),
  identitySecretName: 'capo-cloud-config',
  tags: ['webhost', 'production'],
  maxPods: MAX_PODS_PER_NODE,
};
const pools = [{ pool, serverGroupId: uuid(5), userData: '#cloud-config\n' }];
const objects = [...bootstrapSecrets(input, pools), ...clusterApiObjects(input, pools)];

let failed = 0;
for (const object of objects) {
  const label = `${object.kind} ${String(object.metadata.name)}`;
  if (object.apiVersion === 'v1') {
    console.log(`skip  ${label} (core v1, no CRD)`);
    continue;
  }
  const problems = schemas.validate(object);
  console.log(`${problems.length ? 'FAIL' : 'ok  '}  ${label} (${object.apiVersion})`);
  for (const p of problems) console.log(`        ${p}`);
  failed += problems.length ? 1 : 0;
}
if (failed) process.exit(1);
