import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../lib/config';
import { synthPlatform } from './support/synth';

/**
 * Scaling must be cheap and safe: these tests compare the synthesized JSON of
 * the default config with that of a changed one, resource by resource.
 */
const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');

function synthWith(change: (config: any) => void) {
  const raw = parse(defaultText);
  change(raw);
  return synthPlatform(parsePlatformConfig(stringify(raw), 'platform.yaml')).json;
}

type Addressed = Map<string, unknown>;

/** Every resource and data source of a stack by its Terraform address. */
function addresses(stack: any): Addressed {
  const map: Addressed = new Map();
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, items] of Object.entries<any>(stack[kind] ?? {})) {
      for (const [name, body] of Object.entries(items)) {
        map.set(`${kind === 'data' ? 'data.' : ''}${type}.${name}`, body);
      }
    }
  }
  return map;
}

/** Added, removed and changed addresses (with the changed top-level attributes). */
function diff(before: any, after: any) {
  const a = addresses(before);
  const b = addresses(after);
  const added = [...b.keys()].filter((k) => !a.has(k)).sort();
  const removed = [...a.keys()].filter((k) => !b.has(k)).sort();
  const changed: Record<string, string[]> = {};
  for (const [key, body] of a) {
    if (!b.has(key)) continue;
    const other = b.get(key) as Record<string, unknown>;
    const fields = [...new Set([...Object.keys(body as object), ...Object.keys(other)])].filter(
      (f) => JSON.stringify((body as any)[f]) !== JSON.stringify(other[f]),
    );
    if (fields.length > 0) changed[key] = fields.sort();
  }
  return { added, removed, changed };
}

const base = synthPlatform().json;

/** The instance-level changes a plain `tofu apply` would make: changed attributes its lifecycle does not ignore. */
function effectiveChanges(before: any, after: any): Record<string, string[]> {
  const d = diff(before, after);
  const instances = addresses(after);
  return Object.fromEntries(
    Object.entries(d.changed)
      .map(([address, fields]) => [address, fields.filter((f) => !((instances.get(address) as any).lifecycle?.ignore_changes ?? []).includes(f))] as const)
      .filter(([, fields]) => fields.length > 0),
  );
}

describe('changing a pool flavor', () => {
  const after = synthWith((c) => (c.environments.production.agentPools[0].flavor = 'a16-ram64-disk0'));
  const d = diff(base.production, after.production);

  test('resizes no running node in a plain apply: the flavor changes only in attributes the instances ignore', () => {
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    const changed = Object.keys(d.changed);
    expect(changed).toHaveLength(6); // the six agents of the web pool
    for (const address of changed) {
      expect(address).toMatch(/^openstack_compute_instance_v2\.Cluster_AgentPool-web_Node\d+_/);
      expect(d.changed[address]).toEqual(['flavor_name']);
      const instance = addresses(after.production).get(address) as any;
      expect(instance.flavor_name).toBe('a16-ram64-disk0');
      expect(instance.lifecycle.ignore_changes).toContain('flavor_name');
    }
    // At most one node of a pool restarts at a time: here none; scripts/roll-nodes.sh resizes them one by one.
    expect(effectiveChanges(base.production, after.production)).toEqual({});
  });

  test('tells the roll which nodes to resize: the nodes output has the configured flavor next to the state\'s', () => {
    const lines: string[] = after.production.output.nodes.value.split('\n');
    const web = lines.filter((l) => l.startsWith('agent web '));
    expect(web).toHaveLength(6);
    for (const [index, line] of web.entries()) {
      const [role, pool, name, address, now, want] = line.split(' ');
      expect({ role, pool, name, want }).toEqual({ role: 'agent', pool: 'web', name: `webhost-production-web-${index + 1}`, want: 'a16-ram64-disk0' });
      expect(address).toMatch(new RegExp(`^openstack_compute_instance_v2\\.Cluster_AgentPool-web_Node${index + 1}_[0-9A-F]{8}$`));
      // The flavor the instance has, from the state (ignore_changes keeps it until the roll).
      expect(now).toBe(`\${${address}.flavor_name}`);
      expect(addresses(after.production).has(address)).toBe(true);
    }
    expect(lines.filter((l) => l.startsWith('server server '))).toHaveLength(3);
  });

  test('new nodes of the pool get the new flavor', () => {
    const grown = synthWith((c) => {
      c.environments.production.agentPools[0].flavor = 'a16-ram64-disk0';
      c.environments.production.agentPools[0].count = 7;
    });
    const added = diff(base.production, grown.production).added.filter((a) => a.startsWith('openstack_compute_instance_v2'));
    expect(added).toHaveLength(1);
    expect((addresses(grown.production).get(added[0]) as any).flavor_name).toBe('a16-ram64-disk0');
  });

  test('leaves the other stacks alone', () => {
    expect(after.tools).toEqual(base.tools);
    expect(after.test).toEqual(base.test);
  });
});

describe('changing the server flavor', () => {
  test('resizes no running server in a plain apply either (the roll does, one at a time)', () => {
    const after = synthWith((c) => (c.environments.tools.servers.flavor = 'a4-ram16-disk0'));
    const d = diff(base.tools, after.tools);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(Object.values(d.changed)).toEqual([['flavor_name'], ['flavor_name'], ['flavor_name']]);
    expect(effectiveChanges(base.tools, after.tools)).toEqual({});
  });
});

describe('the only server of a cluster', () => {
  const instances = (json: any) => Object.values<any>(json.resource.openstack_compute_instance_v2);

  test('cannot be destroyed or replaced by a plain apply or destroy (prevent_destroy); servers of an HA cluster and agents can', () => {
    const [server] = instances(base.test).filter((i) => i.metadata.role === 'server');
    expect(server.lifecycle.prevent_destroy).toBe(true);
    for (const env of ['tools', 'production']) {
      for (const i of instances(base[env])) expect(i.lifecycle.prevent_destroy).toBeUndefined();
    }
    for (const agent of instances(base.test).filter((i) => i.metadata.role === 'agent')) expect(agent.lifecycle.prevent_destroy).toBeUndefined();
  });

  test('is protected as soon as an environment has one server', () => {
    const after = synthWith((c) => {
      c.environments.production.servers.count = 1;
    });
    const servers = instances(after.production).filter((i) => i.metadata.role === 'server');
    expect(servers.map((s) => s.lifecycle.prevent_destroy)).toEqual([true]);
  });

  test('lets go only while a restore is set, which replaces it from a snapshot', () => {
    const restoring = synthWith((c) => (c.environments.test.backups.restore = { snapshot: 'etcd-snapshot-webhost-test-server-1-1764288000' }));
    const [server] = instances(restoring.test).filter((i) => i.metadata.role === 'server');
    expect(server.lifecycle.prevent_destroy).toBeUndefined();
    expect(server.lifecycle.replace_triggered_by).toEqual([expect.stringMatching(/^terraform_data\./)]);
  });
});

describe('adding agents', () => {
  const after = synthWith((c) => (c.environments.production.agentPools[0].count = 8));
  const d = diff(base.production, after.production);

  test('adds the new nodes and their load balancer members, and nothing else', () => {
    const kinds = d.added.map((a) => a.split('.')[0]).sort();
    expect(kinds).toEqual([
      'openstack_compute_instance_v2',
      'openstack_compute_instance_v2',
      'openstack_lb_member_v2',
      'openstack_lb_member_v2',
      'openstack_lb_member_v2',
      'openstack_lb_member_v2',
      'openstack_networking_port_v2',
      'openstack_networking_port_v2',
    ]);
    expect(d.added.filter((a) => a.startsWith('openstack_compute_instance_v2')).map((a) => a.replace(/_[0-9A-F]{8}$/, ''))).toEqual([
      'openstack_compute_instance_v2.Cluster_AgentPool-web_Node7',
      'openstack_compute_instance_v2.Cluster_AgentPool-web_Node8',
    ]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual({});
  });

  test('gives the new agents the same user data as the others', () => {
    const instances = Object.values<any>(after.production.resource.openstack_compute_instance_v2).filter((i) =>
      i.name.startsWith('webhost-production-web-'),
    );
    expect(instances).toHaveLength(8);
    expect(new Set(instances.map((i) => i.user_data)).size).toBe(1);
  });
});

describe('marking a cluster bootstrapped', () => {
  const after = synthWith((c) => (c.environments.production.servers.bootstrapped = true));
  const servers = (json: any) =>
    Object.entries<any>(json.production.resource.openstack_compute_instance_v2).filter(([, i]) => i.metadata.role === 'server');

  test('makes server 1 join like the others if it is ever replaced', () => {
    const before = servers(base);
    expect(before[0][1].user_data).not.toEqual(before[1][1].user_data);
    expect(before[0][1].user_data).toContain('server-ca.key');
    const now = servers(after);
    expect(new Set(now.map(([, i]) => i.user_data)).size).toBe(1);
    expect(now[0][1].user_data).not.toContain('server-ca.key');
  });

  test('changes only server 1 user data, which running instances ignore', () => {
    const d = diff(base.production, after.production);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual({ [`openstack_compute_instance_v2.${servers(base)[0][0]}`]: ['user_data'] });
    expect(servers(after)[0][1].lifecycle.ignore_changes).toContain('user_data');
  });
});

describe('restoring etcd from a snapshot', () => {
  const snapshot = 'etcd-snapshot-x-1764288000';
  const after = synthWith((c) => (c.environments.production.backups.restore = { snapshot }));
  const instances = (json: any) => Object.entries<any>(json.production.resource.openstack_compute_instance_v2);
  const restoreKey = (json: any) => {
    const keys = Object.keys(json.production.resource.terraform_data).filter((k) => k.startsWith('Cluster_ServersRestore_'));
    expect(keys).toHaveLength(1);
    return keys[0];
  };

  test('without a restore there is no trigger at all: nothing can replace running servers', () => {
    expect(Object.keys(base.production.resource.terraform_data)).toEqual(['break_glass_kubeconfig']);
    for (const [, i] of instances(base)) expect(i.lifecycle.replace_triggered_by).toBeUndefined();
  });

  test('adds the restore\'s terraform_data and changes server 1\'s boot and the servers\' trigger, nothing else', () => {
    const d = diff(base.production, after.production);
    expect(d.added).toEqual([`terraform_data.${restoreKey(after)}`]);
    expect(d.removed).toEqual([]);
    const servers = instances(after).filter(([, i]) => i.metadata.role === 'server');
    expect(d.changed).toEqual(
      Object.fromEntries(
        servers.map(([key, i]) => [`openstack_compute_instance_v2.${key}`, i.name.endsWith('-1') ? ['lifecycle', 'user_data'] : ['lifecycle']]),
      ),
    );
    expect(after.production.resource.terraform_data[restoreKey(after)].input).toEqual({ snapshot, generation: 1 });
  });

  test('replaces every server in that apply, and only the servers: each names the restore in replace_triggered_by', () => {
    // A bare address: OpenTofu refuses "${...}" in JSON's replace_triggered_by.
    const trigger = `terraform_data.${restoreKey(after)}`;
    const triggered = instances(after)
      .filter(([, i]) => (i.lifecycle.replace_triggered_by ?? []).includes(trigger))
      .map(([, i]) => i.name)
      .sort();
    expect(triggered).toEqual(['webhost-production-server-1', 'webhost-production-server-2', 'webhost-production-server-3']);
    for (const [, i] of instances(after)) expect(i.lifecycle.replace_triggered_by ?? [trigger]).toEqual([trigger]);
    // Nothing else refers to it: no agent, load balancer member or port is replaced.
    expect(JSON.stringify(after.production).split(trigger).length - 1).toBe(3);
  });

  test('only the new server 1 restores; servers 2 and 3 join it with empty datastores', () => {
    const restoring = instances(after)
      .filter(([, i]) => i.metadata.role === 'server')
      .map(([, i]) => [i.name, i.user_data.includes(`--cluster-reset-restore-path='${snapshot}'`)]);
    expect(restoring).toEqual([
      ['webhost-production-server-1', true],
      ['webhost-production-server-2', false],
      ['webhost-production-server-3', false],
    ]);
    expect(instances(after).filter(([, i]) => i.user_data.includes('--cluster-reset')).length).toBe(1);
  });

  test('marking the cluster bootstrapped afterwards keeps the trigger as it is: no second replacement', () => {
    const done = synthWith((c) => {
      c.environments.production.backups.restore = { snapshot };
      c.environments.production.servers.bootstrapped = true;
    });
    const d = diff(after.production, done.production);
    expect(d.added).toEqual([]);
    expect(Object.values(d.changed)).toEqual([['user_data']]);
    expect(instances(done).some(([, i]) => i.user_data.includes('--cluster-reset'))).toBe(false);
  });

  test('restoring again (generation 2, same snapshot) changes the trigger, so the servers are replaced again', () => {
    const again = synthWith((c) => (c.environments.production.backups.restore = { snapshot, generation: 2 }));
    expect(diff(after.production, again.production).changed).toEqual({ [`terraform_data.${restoreKey(again)}`]: ['input'] });
  });

  test('the single server of test is replaced the same way, its etcd restored', () => {
    const test1 = synthWith((c) => (c.environments.test.backups.restore = { snapshot: 'etcd-snapshot-webhost-test-server-1-1764288000' }));
    const servers = Object.values<any>(test1.test.resource.openstack_compute_instance_v2).filter((i) => i.metadata.role === 'server');
    expect(servers).toHaveLength(1);
    expect(servers[0].lifecycle.replace_triggered_by).toHaveLength(1);
    expect(servers[0].user_data).toContain('--cluster-reset-restore-path=');
    expect(test1.production).toEqual(base.production);
  });
});
