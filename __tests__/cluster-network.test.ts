import { Testing, TerraformStack } from 'cdktf';
import { NetworkingNetworkV2 } from '../.gen/providers/openstack/networking-network-v2';
import { ClusterNetwork, type ClusterNetworkProps } from '../lib/openstack/cluster-network';

const props: ClusterNetworkProps = {
  namePrefix: 'webhost-test',
  cidr: '10.30.0.0/16',
  serversSubnetCidr: '10.30.0.0/24',
  agentsSubnetCidr: '10.30.16.0/20',
};

function synth(overrides: Partial<ClusterNetworkProps> = {}) {
  return Testing.synthScope((scope) => {
    new ClusterNetwork(scope, 'Network', { ...props, ...overrides });
  });
}

describe('ClusterNetwork', () => {
  const json = synth();
  const parsed = JSON.parse(json);
  const subnets = Object.values<any>(parsed.resource.openstack_networking_subnet_v2);

  test('creates one network', () => {
    expect(json).toHaveResourceWithProperties(NetworkingNetworkV2, {
      name: 'webhost-test-net',
      admin_state_up: true,
    });
  });

  test('creates a servers and an agents subnet on that network with DHCP and DNS', () => {
    expect(Object.fromEntries(subnets.map((s) => [s.name, s.cidr]))).toEqual({
      'webhost-test-servers': '10.30.0.0/24',
      'webhost-test-agents': '10.30.16.0/20',
    });
    for (const subnet of subnets) {
      expect(subnet.network_id).toMatch(/^\$\{openstack_networking_network_v2\.\w+\.id\}$/);
      expect(subnet).toMatchObject({ ip_version: 4, enable_dhcp: true, dns_nameservers: ['9.9.9.9', '149.112.112.112'] });
    }
  });

  test('routes both subnets through a router on the external network', () => {
    const router = Object.values<any>(parsed.resource.openstack_networking_router_v2);
    expect(router).toHaveLength(1);
    expect(router[0].external_network_id).toMatch(/^\$\{data\.openstack_networking_network_v2\.\w+\.id\}$/);
    expect(Object.values<any>(parsed.data.openstack_networking_network_v2)[0]).toMatchObject({
      name: 'ext-floating1',
      external: true,
    });
    const interfaces = Object.values<any>(parsed.resource.openstack_networking_router_interface_v2);
    expect(interfaces.map((i) => i.subnet_id).sort()).toEqual(
      Object.keys(parsed.resource.openstack_networking_subnet_v2).map((k) => `\${openstack_networking_subnet_v2.${k}.id}`).sort(),
    );
  });

  test('takes the resolvers, external network and tags it is given', () => {
    const custom = JSON.parse(synth({ dnsServers: ['10.0.0.2'], externalNetworkName: 'ext-net1', tags: ['env=test'] }));
    expect(Object.values<any>(custom.data.openstack_networking_network_v2)[0].name).toBe('ext-net1');
    for (const subnet of Object.values<any>(custom.resource.openstack_networking_subnet_v2)) {
      expect(subnet.dns_nameservers).toEqual(['10.0.0.2']);
      expect(subnet.tags).toEqual(['env=test']);
    }
  });

  test.each<[Partial<ClusterNetworkProps>, RegExp]>([
    [{ agentsSubnetCidr: '10.31.0.0/20' }, /agentsSubnetCidr "10.31.0.0\/20": the agents subnet must lie inside the network/],
    [{ serversSubnetCidr: '10.30.16.0/24' }, /agentsSubnetCidr "10.30.16.0\/20": overlaps the servers subnet/],
    [{ cidr: '10.30.0.0' }, /cidr "10.30.0.0": not an IPv4 CIDR block/],
  ])('rejects %j early', (overrides, message) => {
    const stack = new TerraformStack(Testing.app(), 'stack');
    expect(() => new ClusterNetwork(stack, 'Network', { ...props, ...overrides })).toThrow(message);
  });
});
