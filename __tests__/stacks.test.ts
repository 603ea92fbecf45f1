import { TerraformDataSource, TerraformResource, type TerraformStack } from 'cdktf';
import { synthPlatform } from './support/synth';

const { stacks, json } = synthPlatform();

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

test('the app has the three independent OpenStack stacks', () => {
  expect(Object.keys(json).sort()).toEqual(['production', 'test', 'tools']);
});

describe.each(['tools', 'production', 'test'] as const)('stack %s', (name) => {
  const stack = json[name];

  test('pins the OpenStack provider and configures it without credentials', () => {
    expect(stack.terraform.required_providers.openstack).toEqual({
      source: 'registry.opentofu.org/terraform-provider-openstack/openstack',
      version: '3.4.0',
    });
    expect(stack.provider.openstack).toEqual([
      { auth_url: 'https://api.pub1.infomaniak.cloud/identity/v3', region: 'dc3-a' },
    ]);
  });

  test('keeps its state in a relative local path outside cdktf.out', () => {
    expect(stack.terraform.backend).toEqual({ local: { path: `../../../state/${name}.tfstate` } });
  });

  test('names its cloud resources after the platform and environment', () => {
    const names = Object.values<any>(stack.resource)
      .flatMap((items) => Object.values<any>(items))
      .map((r) => r.name)
      .filter(Boolean)
      .sort();
    expect(names).toEqual([`webhost-${name}-agents`, `webhost-${name}-net`, `webhost-${name}-router`, `webhost-${name}-servers`]);
  });

  test('keeps its construct paths, and so its Terraform addresses, stable', () => {
    expect(constructPaths(stacks.clusters[name])).toEqual(
      [
        'Network/AgentsRouterInterface',
        'Network/AgentsSubnet',
        'Network/ExternalNetwork',
        'Network/Network',
        'Network/Router',
        'Network/ServersRouterInterface',
        'Network/ServersSubnet',
      ].map((p) => `${name}/${p}`),
    );
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
