import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { checkAgainstSchema, type ProviderSchemaDocument } from '../lib/verify/provider-schema';
import { synthPlatform } from './support/synth';

const schema: ProviderSchemaDocument = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'providers', 'openstack', 'schema.json'), 'utf8'),
);

describe('every synthesized stack conforms to the committed OpenStack schema', () => {
  const { json } = synthPlatform();
  // The cluster stacks; the platform and sites stacks hold no OpenStack resource.
  const openstackStacks = Object.keys(json).filter((name) => json[name].provider?.openstack);
  test('the cluster stacks are the ones with OpenStack resources', () => {
    expect(openstackStacks.sort()).toEqual(['production', 'test', 'tools']);
    for (const name of Object.keys(json).filter((n) => !openstackStacks.includes(n))) {
      expect(Object.keys(json[name].resource ?? {}).filter((t) => t.startsWith('openstack_'))).toEqual([]);
    }
  });
  test.each(openstackStacks)('%s', (name) => {
    const stack = json[name];
    expect(Object.keys(stack.resource).some((t) => t.startsWith('openstack_'))).toBe(true);
    expect(checkAgainstSchema(stack, schema, 'openstack')).toEqual([]);
  });
});

describe('the conformance check catches', () => {
  const stackWith = (resource: Record<string, unknown>, data: Record<string, unknown> = {}) => ({
    provider: { openstack: [{ region: 'dc3-a' }] },
    resource,
    data,
  });
  const problems = (stack: Record<string, unknown>) =>
    checkAgainstSchema(stack, schema, 'openstack').map((v) => `${v.address}: ${v.problem}`);

  test.each<[string, Record<string, unknown>, string[]]>([
    [
      'an unknown resource type',
      { openstack_networking_netwrok_v2: { n: { name: 'x' } } },
      ['resource.openstack_networking_netwrok_v2.n: openstack_networking_netwrok_v2 is not in the provider schema'],
    ],
    [
      'an unknown attribute',
      { openstack_networking_network_v2: { n: { name: 'x', colour: 'red' } } },
      ['resource.openstack_networking_network_v2.n.colour: is not an attribute or block of this type'],
    ],
    [
      'a missing required attribute',
      { openstack_networking_subnet_v2: { s: { cidr: '10.0.0.0/24' } } },
      ['resource.openstack_networking_subnet_v2.s.network_id: is required but not set'],
    ],
    [
      'a computed-only attribute that is set',
      { openstack_networking_network_v2: { n: { name: 'x', all_tags: ['a'] } } },
      ['resource.openstack_networking_network_v2.n.all_tags: is computed-only and cannot be set'],
    ],
    [
      'a literal of the wrong type',
      { openstack_networking_subnet_v2: { s: { network_id: 'n', ip_version: 'four', dns_nameservers: 'x' } } },
      [
        'resource.openstack_networking_subnet_v2.s.ip_version: expected a number, got "four"',
        'resource.openstack_networking_subnet_v2.s.dns_nameservers: expected a list, got "x"',
      ],
    ],
    [
      'an unknown attribute inside a nested block',
      { openstack_compute_instance_v2: { i: { name: 'x', network: [{ uuid: 'u', vlan: 3 }] } } },
      ['resource.openstack_compute_instance_v2.i.network[0].vlan: is not an attribute or block of this type'],
    ],
  ])('%s', (_name, resource, expected) => {
    expect(problems(stackWith(resource))).toEqual(expected);
  });

  test('an unknown provider argument', () => {
    expect(problems({ provider: { openstack: [{ region: 'dc3-a', password_file: 'x' }] } })).toEqual([
      'provider.openstack[0].password_file: is not an attribute or block of this type',
    ]);
  });

  test('an interpolation is left to OpenTofu', () => {
    expect(problems(stackWith({ openstack_networking_subnet_v2: { s: { network_id: 'n', ip_version: '${var.v}' } } }))).toEqual([]);
  });
});
