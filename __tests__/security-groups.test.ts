import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { NetworkingSecgroupV2 } from '../.gen/providers/openstack/networking-secgroup-v2';
import {
  ClusterSecurityGroups,
  renderSecurityRuleMatrix,
  securityRuleMatrix,
  type ClusterSecurityGroupsProps,
} from '../lib/openstack/security-groups';
import { checkAgainstSchema, type ProviderSchemaDocument } from '../lib/verify/provider-schema';

const schema: ProviderSchemaDocument = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'providers', 'openstack', 'schema.json'), 'utf8'),
);

const props: ClusterSecurityGroupsProps = {
  namePrefix: 'webhost-test',
  networkCidr: '10.30.0.0/16',
  serversSubnetCidr: '10.30.0.0/24',
  agentsSubnetCidr: '10.30.16.0/20',
  ingressNodePorts: { http: 30080, https: 30443 },
};

interface Synthesized {
  json: any;
  groups: ClusterSecurityGroups;
  /** Rule resources by Terraform name. */
  rules: Record<string, any>;
  /** `${openstack_networking_secgroup_v2.X.id}` of each group. */
  ref: { servers: string; agents: string };
}

function synth(overrides: Partial<ClusterSecurityGroupsProps> = {}): Synthesized {
  let groups!: ClusterSecurityGroups;
  const json = JSON.parse(
    Testing.synthScope((scope) => {
      groups = new ClusterSecurityGroups(scope, 'SecurityGroups', { ...props, ...overrides });
    }),
  );
  const sgs = json.resource.openstack_networking_secgroup_v2;
  const refOf = (name: string) => {
    const key = Object.keys(sgs).find((k) => sgs[k].name === name);
    return `\${openstack_networking_secgroup_v2.${key}.id}`;
  };
  return {
    json,
    groups,
    rules: json.resource.openstack_networking_secgroup_rule_v2,
    ref: { servers: refOf('webhost-test-servers'), agents: refOf('webhost-test-agents') },
  };
}

const onPort = (rules: Record<string, any>, port: number) =>
  Object.values<any>(rules).filter((r) => r.port_range_min !== undefined && r.port_range_min <= port && port <= r.port_range_max);

describe('ClusterSecurityGroups', () => {
  const base = synth();
  const rules = Object.values<any>(base.rules);

  test('creates a servers and an agents group without the default rules', () => {
    for (const name of ['webhost-test-servers', 'webhost-test-agents']) {
      expect(JSON.stringify(base.json)).toHaveResourceWithProperties(NetworkingSecgroupV2, { name, delete_default_rules: true });
    }
    expect(Object.keys(base.json.resource.openstack_networking_secgroup_v2)).toHaveLength(2);
  });

  test('creates one rule resource per matrix row: 29 for the default config', () => {
    expect(base.groups.ruleCount).toBe(29);
    expect(rules).toHaveLength(29);
    expect(base.groups.rules).toEqual(securityRuleMatrix(props));
  });

  test('every resource is exactly its matrix row', () => {
    const asRow = (r: any) => {
      const group = (ref: string) => (ref === base.ref.servers ? 'servers' : ref === base.ref.agents ? 'agents' : ref);
      const peer = r.remote_group_id !== undefined ? group(r.remote_group_id) : r.remote_ip_prefix;
      const owner = group(r.security_group_id);
      const ports =
        r.port_range_min === undefined ? 'all' : r.port_range_min === r.port_range_max ? `${r.port_range_min}` : `${r.port_range_min}-${r.port_range_max}`;
      return {
        ports,
        protocol: r.protocol ?? 'any',
        from: r.direction === 'ingress' ? peer : owner,
        to: r.direction === 'ingress' ? owner : peer,
        why: r.description,
      };
    };
    const sortKey = (r: any) => JSON.stringify(r);
    expect(rules.map(asRow).sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
      [...base.groups.rules].sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    );
  });

  test('each rule names exactly one peer: a remote group for nodes, a CIDR block otherwise', () => {
    for (const r of rules) {
      expect([r.remote_group_id, r.remote_ip_prefix].filter((x) => x !== undefined)).toHaveLength(1);
      expect(r.ethertype).toBe(r.remote_ip_prefix === '::/0' ? 'IPv6' : 'IPv4');
      expect(r.description.length).toBeLessThanOrEqual(255);
    }
  });

  test('etcd is open only among the servers', () => {
    for (const port of [2379, 2380]) {
      expect(onPort(base.rules, port)).toEqual([
        expect.objectContaining({ direction: 'ingress', protocol: 'tcp', security_group_id: base.ref.servers, remote_group_id: base.ref.servers }),
      ]);
    }
  });

  test('API and supervisor reach the servers from both groups and the servers subnet (the load balancer)', () => {
    for (const port of [6443, 9345]) {
      const peers = onPort(base.rules, port).map((r) => {
        expect(r.security_group_id).toBe(base.ref.servers);
        return r.remote_group_id ?? r.remote_ip_prefix;
      });
      expect(peers.sort()).toEqual([base.ref.servers, base.ref.agents, '10.30.0.0/24'].sort());
    }
  });

  test('kubelet, Cilium VXLAN, Cilium health and ICMP are open between all nodes and nowhere else', () => {
    const pairs = (match: (r: any) => boolean) =>
      rules.filter(match).map((r) => `${r.remote_group_id}->${r.security_group_id}`).sort();
    const all = [base.ref.servers, base.ref.agents].flatMap((from) => [base.ref.servers, base.ref.agents].map((to) => `${from}->${to}`)).sort();
    expect(pairs((r) => r.port_range_min === 10250 && r.protocol === 'tcp')).toEqual(all);
    expect(pairs((r) => r.port_range_min === 8472 && r.protocol === 'udp')).toEqual(all);
    expect(pairs((r) => r.port_range_min === 4240 && r.protocol === 'tcp')).toEqual(all);
    expect(pairs((r) => r.protocol === 'icmp')).toEqual(all);
  });

  test('the ingress NodePorts are open on the agents only, from the agents subnet, never from the world', () => {
    const nodePortRules = rules.filter((r) => r.port_range_min >= 30000 && r.port_range_max <= 32767);
    expect(nodePortRules.map((r) => r.port_range_min).sort()).toEqual([30080, 30443]);
    for (const r of nodePortRules) {
      expect(r).toMatchObject({ direction: 'ingress', protocol: 'tcp', security_group_id: base.ref.agents, remote_ip_prefix: '10.30.16.0/20' });
    }
    const worldIngress = rules.filter((r) => r.direction === 'ingress' && ['0.0.0.0/0', '::/0'].includes(r.remote_ip_prefix));
    expect(worldIngress).toEqual([]);
  });

  test('opens no SSH, and the props have no way to: no key and no public address, so it would let no one in', () => {
    expect(onPort(base.rules, 22)).toEqual([]);
    // An old caller's SSH props are not honoured (they are no props any more).
    const old = synth({ sshAllowedCidrs: ['192.0.2.0/24'], allowWorldSsh: true } as Partial<ClusterSecurityGroupsProps>);
    expect(onPort(old.rules, 22)).toEqual([]);
    expect(old.groups.ruleCount).toBe(base.groups.ruleCount);
    expect(securityRuleMatrix(props).filter((r) => r.ports === '22' || r.why.includes('SSH'))).toEqual([]);
  });

  test('rule addresses are derived from the row, not its position', () => {
    const keys = Object.keys(base.rules);
    for (const id of ['servers-tcp-2379-2380-from-servers', 'servers-tcp-6443-from-agents', 'servers-tcp-6443-from-10-30-0-0_24', 'agents-tcp-30443-from-10-30-16-0_20', 'servers-any-all-to-anywhere-ipv6']) {
      expect(keys).toContainEqual(expect.stringMatching(new RegExp(`^SecurityGroups_${id}_[0-9A-F]{8}$`)));
    }
    // Other NodePorts change the NodePort rows' addresses and no other.
    const moved = synth({ ingressNodePorts: { http: 31080, https: 31443 } });
    expect(Object.keys(moved.rules).filter((k) => !(k in base.rules)).sort()).toEqual([
      expect.stringMatching(/^SecurityGroups_agents-tcp-31080-from-10-30-16-0_20_/),
      expect.stringMatching(/^SecurityGroups_agents-tcp-31443-from-10-30-16-0_20_/),
    ]);
  });

  test('egress is open to any IPv4 and IPv6 address from both groups', () => {
    const egress = rules.filter((r) => r.direction === 'egress');
    expect(egress.map((r) => `${r.security_group_id === base.ref.servers ? 'servers' : 'agents'} ${r.ethertype} ${r.remote_ip_prefix} ${r.protocol}`).sort()).toEqual([
      'agents IPv4 0.0.0.0/0 undefined',
      'agents IPv6 ::/0 undefined',
      'servers IPv4 0.0.0.0/0 undefined',
      'servers IPv6 ::/0 undefined',
    ]);
  });

  test('sets the tags on both groups', () => {
    const tagged = synth({ tags: ['env=test'] });
    for (const sg of Object.values<any>(tagged.json.resource.openstack_networking_secgroup_v2)) expect(sg.tags).toEqual(['env=test']);
  });

  test('conforms to the provider schema', () => {
    expect(checkAgainstSchema(base.json, schema, 'openstack')).toEqual([]);
  });

  const path_ = 'stack/SecurityGroups: invalid security group props:\n  ';
  test.each<[string, Partial<ClusterSecurityGroupsProps>, string[]]>([
    ['NodePorts outside the range', { ingressNodePorts: { http: 80, https: 32768 } }, [
      'ingressNodePorts.http 80: outside the NodePort range 30000-32767; use a port in it, e.g. 30080',
      'ingressNodePorts.https 32768: outside the NodePort range 30000-32767; use a port in it, e.g. 30443',
    ]],
    ['the same NodePort twice', { ingressNodePorts: { http: 30080, https: 30080 } }, [
      'ingressNodePorts.https 30080: same as ingressNodePorts.http; give each listener its own NodePort',
    ]],
    ['a malformed subnet', { agentsSubnetCidr: '10.30.16.0' }, [
      'agentsSubnetCidr "10.30.16.0": not an IPv4 CIDR block; write it as a.b.c.d/n, for example 10.10.0.0/16',
    ]],
    ['a subnet outside the network', { serversSubnetCidr: '10.31.0.0/24' }, [
      'serversSubnetCidr "10.31.0.0/24": the servers subnet must lie inside the network 10.30.0.0/16; pick a block inside it',
    ]],
  ])('rejects %s, naming path, field, value and fix', (_what, overrides, lines) => {
    const stack = new TerraformStack(Testing.app(), 'stack');
    expect(() => new ClusterSecurityGroups(stack, 'SecurityGroups', { ...props, ...overrides })).toThrow(
      new Error(path_ + lines.join('\n  ')),
    );
  });

  test('the pure matrix function refuses invalid props too', () => {
    expect(() => securityRuleMatrix({ ...props, ingressNodePorts: { http: 1, https: 30443 } })).toThrow(
      /^invalid security group props:\n {2}ingressNodePorts\.http 1: outside the NodePort range/,
    );
  });
});

describe('renderSecurityRuleMatrix', () => {
  test('renders one markdown row per rule, groups plain and CIDR blocks in backticks', () => {
    const rules = securityRuleMatrix(props);
    const lines = renderSecurityRuleMatrix(rules).trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual(['| ports | protocol | from | to | why |', '|---|---|---|---|---|']);
    expect(lines).toHaveLength(rules.length + 2);
    expect(lines).toContain(
      '| 30080 | tcp | `10.30.16.0/20` | agents | ingress NodePort (http): Octavia connects to members from its port in the agents subnet; the internet reaches this port only through the ingress load balancer |',
    );
    expect(lines[2]).toBe('| 2379-2380 | tcp | servers | servers | etcd client and peer traffic: only the control-plane servers run etcd |');
  });

  test('escapes pipes in a reason', () => {
    expect(renderSecurityRuleMatrix([{ ports: '1', protocol: 'tcp', from: 'servers', to: 'agents', why: 'a | b' }])).toContain('| a \\| b |');
  });
});
