import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../lib/config';
import { CLUSTER_API_OUTPUT, CLUSTER_API_SECRETS_OUTPUT, ClusterApiCloudAccess } from '../lib/platform/cluster-api-cloud';
import { synthPlatform } from './support/synth';

/**
 * The cluster side of an autoscaled pool, as synthesized: the cluster stack's
 * credential and outputs for CAPO, and the platform stack's controllers,
 * objects, Secrets and cluster-autoscaler. None of it where every pool is fixed.
 */
const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');
function configWith(change: (config: any) => void) {
  const raw = parse(defaultText);
  change(raw);
  return parsePlatformConfig(stringify(raw), 'platform.yaml');
}
const autoscaled = configWith((c) => {
  delete c.environments.production.agentPools[0].count;
  c.environments.production.agentPools[0].autoscaling = { minNodes: 6, maxNodes: 12 };
});
const base = synthPlatform().json;
const scaled = synthPlatform(autoscaled).json;
const production = scaled.production;

const byName = (stack: any, type: string, fragment: string) =>
  Object.entries<any>(stack.resource?.[type] ?? {}).filter(([name]) => name.includes(fragment)).map(([, body]) => body);

describe('cluster stack', () => {
  test('a cluster whose pools are all fixed has no Cluster API credential or output', () => {
    for (const env of ['tools', 'production', 'test']) {
      expect(Object.keys(base[env].output)).not.toContain(CLUSTER_API_OUTPUT);
      expect(Object.keys(base[env].output)).not.toContain(CLUSTER_API_SECRETS_OUTPUT);
      expect(byName(base[env], 'openstack_identity_application_credential_v3', 'ClusterApi')).toEqual([]);
    }
  });

  test("CAPO's own application credential: member and reader listed, restricted", () => {
    const [credential] = byName(production, 'openstack_identity_application_credential_v3', 'ClusterApi');
    expect(credential).toMatchObject({ name: 'webhost-production-cluster-api', roles: ['member', 'reader'] });
    expect(credential).not.toHaveProperty('unrestricted');
    expect(ClusterApiCloudAccess.ROLES).toEqual(['member', 'reader']);
  });

  test('the outputs name what CAPO is handed as existing, and the secrets are a sensitive output', () => {
    const out = production.output[CLUSTER_API_OUTPUT];
    expect(out.sensitive).toBeUndefined();
    expect(out.value).toEqual({
      network_id: expect.stringMatching(/^\$\{openstack_networking_network_v2\.Cluster_Network_[0-9A-F]+\.id\}$/),
      agents_subnet_id: expect.stringMatching(/^\$\{openstack_networking_subnet_v2\.\w*AgentsSubnet\w*\.id\}$/),
      agents_security_group_id: expect.stringMatching(/^\$\{openstack_networking_secgroup_v2\.\w*SecurityGroups_\w*[Aa]gents\w*\.id\}$/),
      image_id: expect.stringMatching(/^\$\{data\.openstack_images_image_v2\.\w*NodeImage\w*\.id\}$/),
      api_host: expect.stringMatching(/^\$\{openstack_lb_loadbalancer_v2\.\w*ApiLoadBalancer\w*\.vip_address\}$/),
      server_groups: { web: expect.stringMatching(/^\$\{openstack_compute_servergroup_v2\.\w*AgentPool-web_ServerGroup\w*\.id\}$/) },
    });
    const secrets = production.output[CLUSTER_API_SECRETS_OUTPUT];
    expect(secrets.sensitive).toBe(true);
    expect(secrets.value.application_credential_id).toMatch(/^\$\{openstack_identity_application_credential_v3\.\w*ClusterApi_Credential\w*\.id\}$/);
    expect(secrets.value.application_credential_secret).toMatch(/^\$\{openstack_identity_application_credential_v3\.\w*ClusterApi_Credential\w*\.secret\}$/);
    // The very user data the pool's Terraform instances boot with.
    const [instance] = byName(production, 'openstack_compute_instance_v2', 'AgentPool-web_Node1');
    expect(secrets.value.agent_user_data).toEqual({ web: instance.user_data });
  });
});
