import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../lib/config';
import { synthPlatform } from './support/synth';

/**
 * Autoscaled agent pools (`autoscaling: { minNodes, maxNodes }`): what the
 * cluster stack makes of them, and that a pool without the field is exactly
 * what it was.
 */
const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');

function configWith(change: (config: any) => void) {
  const raw = parse(defaultText);
  change(raw);
  return parsePlatformConfig(stringify(raw), 'platform.yaml');
}

/** Every resource of a stack whose Terraform name belongs to the construct path fragment, by address. */
function resourcesOf(stack: any, fragment: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [type, items] of Object.entries<any>(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(items)) if (name.includes(fragment)) out[`${type}.${name}`] = body;
  }
  return out;
}

const base = synthPlatform().json;
const withBatch = synthPlatform(
  configWith((c) => {
    c.environments.production.agentPools.push({
      name: 'batch',
      autoscaling: { minNodes: 1, maxNodes: 4 },
      flavor: 'a4-ram16-disk0',
      bootVolume: { sizeGiB: 60, type: 'CEPH_1_perf1' },
    });
  }),
).json;

test('the config gives an autoscaled pool its floor as count', () => {
  const config = configWith((c) => {
    delete c.environments.production.agentPools[0].count;
    c.environments.production.agentPools[0].autoscaling = { minNodes: 3, maxNodes: 9 };
  });
  expect(config.environments.production.agentPools[0]).toMatchObject({ count: 3, autoscaling: { minNodes: 3, maxNodes: 9 } });
  // A fixed pool has no autoscaling key at all, so nothing downstream can mistake it for one.
  expect(parsePlatformConfig(defaultText, 'platform.yaml').environments.production.agentPools[0]).not.toHaveProperty('autoscaling');
});

test('a pool without autoscaling synthesizes byte for byte as before, next to an autoscaled one', () => {
  const fixedBefore = resourcesOf(base.production, 'AgentPool-web');
  expect(Object.keys(fixedBefore).length).toBeGreaterThan(0);
  expect(JSON.stringify(resourcesOf(withBatch.production, 'AgentPool-web'))).toBe(JSON.stringify(fixedBefore));
  // The other environments do not change at all.
  for (const stack of ['tools', 'test', 'tools-platform', 'test-platform']) {
    expect(JSON.stringify(withBatch[stack])).toBe(JSON.stringify(base[stack]));
  }
});

test('OpenTofu makes the floor of an autoscaled pool: minNodes instances of its flavor', () => {
  const batch = resourcesOf(withBatch.production, 'AgentPool-batch');
  const instances = Object.entries(batch).filter(([address]) => address.startsWith('openstack_compute_instance_v2.'));
  expect(instances).toHaveLength(1);
  expect(instances[0][1]).toMatchObject({ flavor_name: 'a4-ram16-disk0', metadata: { role: 'agent', pool: 'batch' } });
});

test("an autoscaled pool's nodes pin the kubelet's max-pods that the capacity check counts with", () => {
  const [userData] = Object.entries(resourcesOf(withBatch.production, 'AgentPool-batch'))
    .filter(([address]) => address.startsWith('openstack_compute_instance_v2.'))
    .map(([, body]) => (body as any).user_data as string);
  const [fixedUserData] = Object.entries(resourcesOf(withBatch.production, 'AgentPool-web'))
    .filter(([address]) => address.startsWith('openstack_compute_instance_v2.'))
    .map(([, body]) => (body as any).user_data as string);
  // user data is a Terraform expression around base64 chunks: decode the literal chunks.
  const literal = (text: string) =>
    [...text.matchAll(/base64decode\("([A-Za-z0-9+/=]+)"\)/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8')).join('');
  expect(decodeAll(literal(userData))).toContain('max-pods=110');
  // The decoding reaches RKE2's config (else the next line would prove nothing).
  expect(decodeAll(literal(fixedUserData))).toContain('cloud-provider-name: external');
  expect(decodeAll(literal(fixedUserData))).not.toContain('max-pods');
});

/** The cloud-config's base64 files, decoded into the text as well. */
function decodeAll(text: string): string {
  const chunks = [...text.matchAll(/content: ([A-Za-z0-9+/=]{40,})/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8'));
  return [text, ...chunks].join('\n');
}

test('synth says where the floor and the growth of an autoscaled pool come from, and how far the growth is proven', () => {
  const { autoscalingNotices } = require('../lib/platform/autoscaling') as typeof import('../lib/platform/autoscaling');
  expect(autoscalingNotices(parsePlatformConfig(defaultText, 'platform.yaml'))).toEqual([]);
  const config = configWith((c) => {
    delete c.environments.production.agentPools[0].count;
    c.environments.production.agentPools[0].autoscaling = { minNodes: 6, maxNodes: 12 };
  });
  expect(autoscalingNotices(config)).toEqual([
    'warning: environments.production.agentPools[0] (web): autoscaling 6 to 12: OpenTofu makes the 6 nodes of the floor (production); the nodes above it come from Cluster API, CAPO and the cluster-autoscaler that production-platform deploys; Cluster API and CAPO have created and deleted such a node on a test OpenStack cloud (npm run check:capo-cloud), but the cluster-autoscaler\'s own scale-up and Infomaniak\'s cloud are not proven yet: watch the first scale-up (README, Node autoscaling)',
  ]);
});

test('a max-pods that no per-node /24 holds is refused by the cloud-init builder', () => {
  const { rke2NodeInputProblems } = require('../lib/rke2/cloud-init') as typeof import('../lib/rke2/cloud-init');
  const problems = (maxPods: number) =>
    rke2NodeInputProblems({
      role: 'agent',
      version: 'v1.34.3+rke2r3',
      token: 'K10sample::node:agent-secret',
      serverUrl: 'https://10.30.0.10:9345',
      cni: 'cilium',
      cloudProviderName: 'external',
      clusterCidr: '10.42.0.0/16',
      serviceCidr: '10.43.0.0/16',
      maxPods,
    } as unknown as Parameters<typeof rke2NodeInputProblems>[0]).filter((p) => p.startsWith('maxPods'));
  expect(problems(110)).toEqual([]);
  expect(problems(300)).toEqual(['maxPods: 300: must be a whole number from 1 to 250 (a /24 of pod addresses per node)']);
  expect(problems(0)).toHaveLength(1);
});
