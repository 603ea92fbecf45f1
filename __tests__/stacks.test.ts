import { TerraformDataSource, TerraformResource, type TerraformStack } from 'cdktf';
import { loadPlatformConfig } from '../lib/config';
import { catalogOptionsOf, loadSitesCatalog } from '../lib/sites/catalog';
import { synthPlatform } from './support/synth';

const config = loadPlatformConfig({}).config;

const catalog = loadSitesCatalog(catalogOptionsOf(config), {}).catalog;
const { stacks, json } = synthPlatform(config, catalog);

/**
 * Construct paths of every resource and data source in a stack. cdktf derives
 * each Terraform address from this path, so a changed path is a replaced resource.
 */
function constructPaths(stack: TerraformStack): string[] {
  return stack.node
    .findAll()
    .filter((c) => c instanceof TerraformResource || c instanceof TerraformDataSource)
    .map((c) => c.node.path)
    .sort();
}

test('the app has the three independent cluster stacks, their platform layers and the sites shards', () => {
  expect(Object.keys(json).sort()).toEqual([
    'production',
    'production-platform',
    'production-sites-01',
    'test',
    'test-platform',
    'test-sites-01',
    'tools',
    'tools-platform',
  ]);
});

describe.each(['tools', 'production', 'test'] as const)('stack %s', (name) => {
  const stack = json[name];

  test('pins the OpenStack provider and configures it without credentials, resending a request that got no response', () => {
    expect(stack.terraform.required_providers.openstack).toEqual({
      source: 'registry.opentofu.org/terraform-provider-openstack/openstack',
      version: '3.4.0',
    });
    expect(stack.provider.openstack).toEqual([
      { auth_url: 'https://api.pub1.infomaniak.cloud/identity/v3', region: 'dc3-a', max_retries: 5 },
    ]);
  });

  test('pins the tls and random providers the PKI and join token use', () => {
    expect(stack.terraform.required_providers.tls).toEqual({ source: 'hashicorp/tls', version: '4.1.0' });
    expect(stack.terraform.required_providers.random).toEqual({ source: 'hashicorp/random', version: '3.7.2' });
    expect(Object.keys(stack.resource.tls_self_signed_cert)).toHaveLength(5);
    // The server token and the agent token.
    expect(Object.keys(stack.resource.random_password)).toHaveLength(2);
  });

  test('outputs the API, its CA, the addresses and the platform credentials, never the break-glass ones', () => {
    const workload = name === 'tools' ? ['workload_s3_access_key', 'workload_s3_secret_key'] : [];
    const sensitive = Object.entries<any>(stack.output)
      .filter(([, o]) => o.sensitive)
      .map(([k]) => k)
      .sort();
    expect(sensitive).toEqual(['platform_client_certificate', 'platform_client_key', ...workload]);
    expect(Object.keys(stack.output).sort()).toEqual(
      [
        'api_address',
        'api_endpoint',
        'backup_buckets',
        'cluster_ca_certificate',
        'ingress_ip',
        // One line per node for scripts/roll-nodes.sh (names, addresses, flavors: nothing secret).
        'nodes',
        'platform_client_certificate',
        'platform_client_key',
        ...workload,
      ].sort(),
    );
    expect(stack.output.api_endpoint.value).toMatch(/^https:\/\/\$\{openstack_networking_floatingip_v2\.Cluster_ApiLoadBalancer_\w+\.address\}:6443$/);
  });

  test('gives no way to log into a node: no SSH rule, no key pair, public addresses on the load balancers only', () => {
    const rules = Object.values<any>(stack.resource.openstack_networking_secgroup_rule_v2);
    const reaches22 = (r: any) => r.direction === 'ingress' && (r.port_range_min === undefined || (r.port_range_min <= 22 && 22 <= r.port_range_max));
    expect(rules.filter(reaches22).filter((r) => r.remote_group_id === undefined)).toEqual([]);
    expect(stack.resource.openstack_compute_keypair_v2).toBeUndefined();
    for (const instance of Object.values<any>(stack.resource.openstack_compute_instance_v2)) {
      expect(instance.key_pair).toBeUndefined();
      expect(instance.user_data).toMatch(/^#cloud-config\n/);
      expect(instance.user_data).not.toMatch(/ssh_authorized_keys|ssh_pwauth: true|chpasswd/);
    }
    expect(stack.resource.openstack_networking_floatingip_associate_v2).toBeUndefined();
    const floating = Object.values<any>(stack.resource.openstack_networking_floatingip_v2).map((f) => f.port_id);
    expect(floating).toHaveLength(2);
    for (const port of floating) expect(port).toMatch(/^\$\{openstack_lb_loadbalancer_v2\.\w+\.vip_port_id\}$/);
  });

  test('keeps the break-glass kubeconfig (system:masters) in its state only, out of every output', () => {
    const kubeconfig = stack.resource.terraform_data.break_glass_kubeconfig.input.kubeconfig;
    expect(kubeconfig).toContain('tls_locally_signed_cert.Cluster_Pki_AdminCert_');
    expect(JSON.stringify(stack.output)).not.toContain('Pki_Admin');
  });

  test('keeps its state in a relative local path outside cdktf.out', () => {
    expect(stack.terraform.backend).toEqual({ local: { path: `../../../state/${name}.tfstate` } });
  });

  test('names its cloud resources after the platform and environment', () => {
    const names = Object.values<any>(stack.resource)
      .flatMap((items) => Object.values<any>(items))
      .map((r) => r.name)
      .filter((n) => typeof n === 'string');
    expect(names.length).toBeGreaterThan(20);
    for (const n of names) expect(n).toMatch(new RegExp(`^webhost-${name}-`));
    expect(names).toEqual(
      expect.arrayContaining([`webhost-${name}-net`, `webhost-${name}-servers`, `webhost-${name}-agents`, `webhost-${name}-router`]),
    );
  });

  test('keeps its construct paths, and so its Terraform addresses, stable', () => {
    const paths = constructPaths(stacks.clusters[name]).map((p) => p.slice(`${name}/Cluster/`.length));
    expect(paths.filter((p) => p.startsWith('Network/'))).toEqual(
      [
        'Network/AgentsRouterInterface',
        'Network/AgentsSubnet',
        'Network/ExternalNetwork',
        'Network/Network',
        'Network/Router',
        'Network/ServersRouterInterface',
        'Network/ServersSubnet',
      ],
    );
    // Nodes are numbered from 1 within their pool: adding one never renames another.
    const env = config.environments[name];
    const pools: [string, number][] = [
      ['Servers', env.servers.count],
      ...env.agentPools.map((p): [string, number] => [`AgentPool-${p.name}`, p.count]),
    ];
    for (const [pool, count] of pools) {
      const numbered = (kind: string) => Array.from({ length: count }, (_, i) => `${pool}/${kind}${i + 1}`);
      expect(paths.filter((p) => p.startsWith(`${pool}/`))).toEqual(
        [...numbered('Node'), ...numbered('Port'), `${pool}/ServerGroup`].sort(),
      );
    }
    // Load balancer members are named after their node, not by position.
    const members = paths.filter((p) => /LoadBalancer\/.*member/i.test(p));
    const nodeNames = stacks.clusters[name].cluster.servers.nodes.map((n) => n.name);
    for (const node of nodeNames) expect(members.filter((m) => m.includes(node))).toHaveLength(2);
  });

  test('matches its snapshot', () => {
    expect(stack).toMatchSnapshot();
  });
});

test('each environment gets its own address plan from the config', () => {
  const cidrs = (name: string) =>
    Object.values<any>(json[name].resource.openstack_networking_subnet_v2).map((s) => s.cidr).sort();
  expect(cidrs('tools')).toEqual(['10.10.0.0/24', '10.10.16.0/20']);
  expect(cidrs('production')).toEqual(['10.20.0.0/24', '10.20.16.0/20']);
  expect(cidrs('test')).toEqual(['10.30.0.0/24', '10.30.16.0/20']);
});

describe('a sites shard whose sites are all removed', () => {
  // Five sites per shard: shard 01 holds ids 1-5, 02 ids 6-10, 03 ids 11 and 12.
  const sharded = { ...catalog, sitesPerShard: 5 };
  const before = synthPlatform(config, sharded).json;
  const emptied = { ...sharded, sites: sharded.sites.filter((s) => s.id < 6) };
  const after = synthPlatform(config, emptied).json;

  test('is still synthesized, middle and last shard alike (highestSiteIdEver remembers ids 11 and 12)', () => {
    expect(Object.keys(before).filter((s) => s.startsWith('production-sites-'))).toEqual([
      'production-sites-01',
      'production-sites-02',
      'production-sites-03',
    ]);
    expect(Object.keys(after).filter((s) => s.startsWith('production-sites-'))).toEqual([
      'production-sites-01',
      'production-sites-02',
      'production-sites-03',
    ]);
  });

  test.each(['production-sites-02', 'production-sites-03'])(
    '%s keeps its state, its provider and the state it reads, and has no resource left, so its plan destroys them',
    (name) => {
      expect(Object.keys(before[name].resource).length).toBeGreaterThan(0);
      const stack = after[name];
      expect(stack.resource).toBeUndefined();
      expect(stack.terraform.backend).toEqual(before[name].terraform.backend);
      expect(stack.terraform.backend).toEqual({ local: { path: `../../../state/${name}.tfstate` } });
      expect(stack.terraform.encryption).toEqual(before[name].terraform.encryption);
      expect(stack.terraform.required_providers).toEqual(before[name].terraform.required_providers);
      expect(stack.provider).toEqual(before[name].provider);
      expect(stack.data).toEqual(before[name].data);
    },
  );

  test('goes once retired, and only that one', () => {
    const retired = synthPlatform(config, { ...emptied, retiredShards: ['production-sites-03'] }).json;
    expect(Object.keys(retired).filter((s) => s.includes('-sites-'))).toEqual([
      'production-sites-01',
      'production-sites-02',
      'test-sites-01',
      'test-sites-02',
      'test-sites-03',
    ]);
  });
});
