import { Testing } from 'cdktf';
import { NodePool, type NodePoolProps } from '../lib/openstack/node-pool';

const props: NodePoolProps = {
  namePrefix: 'webhost-test',
  poolName: 'web',
  role: 'agent',
  count: 2,
  flavor: 'a4-ram8-disk0',
  bootVolume: { sizeGiB: 60, type: 'CEPH_1_perf1' },
  imageId: 'image-id',
  networkId: 'network-id',
  subnetId: 'subnet-id',
  securityGroupIds: ['sg-id'],
};

function synth(overrides: Partial<NodePoolProps> = {}, userData = { userData: '#cloud-config\n{}\n' } as any) {
  return JSON.parse(
    Testing.synthScope((scope) => {
      new NodePool(scope, 'Pool', { ...props, ...overrides }).launch(userData);
    }),
  );
}

describe('NodePool', () => {
  const json = synth();
  const instances = Object.values<any>(json.resource.openstack_compute_instance_v2);
  const ports = Object.values<any>(json.resource.openstack_networking_port_v2);

  test('prevents destroying its instances only when asked (the only server of a cluster)', () => {
    for (const i of instances) expect(i.lifecycle.prevent_destroy).toBeUndefined();
    const guarded = Object.values<any>(synth({ role: 'server', count: 1, preventDestroy: true }).resource.openstack_compute_instance_v2);
    expect(guarded.map((i) => i.lifecycle)).toEqual([
      { ignore_changes: ['user_data', 'block_device', 'config_drive', 'flavor_name'], prevent_destroy: true },
    ]);
  });

  test('describes each node for the roll: role, pool, name, address, flavor in the state, flavor configured', () => {
    let lines: string[] = [];
    Testing.synthScope((scope) => {
      const pool = new NodePool(scope, 'Pool', props);
      pool.launch({ userData: '#cloud-config\n{}\n' });
      lines = pool.rolloutLines();
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^agent web webhost-test-web-1 openstack_compute_instance_v2\.Pool_Node1_[0-9A-F]{8} \$\{TfToken\[TOKEN\.\d+\]\} a4-ram8-disk0$/);
  });

  test('gives each node a port in its subnet with the pool security groups', () => {
    expect(ports.map((p) => p.name)).toEqual(['webhost-test-web-1', 'webhost-test-web-2']);
    for (const port of ports) {
      expect(port).toMatchObject({
        network_id: 'network-id',
        fixed_ip: [{ subnet_id: 'subnet-id' }],
        security_group_ids: ['sg-id'],
        admin_state_up: true,
      });
    }
  });

  test('boots each node from a volume of the configured size and type, on its own port', () => {
    expect(instances.map((i) => i.name)).toEqual(['webhost-test-web-1', 'webhost-test-web-2']);
    for (const instance of instances) {
      expect(instance.flavor_name).toBe('a4-ram8-disk0');
      expect(instance.block_device).toEqual([
        {
          uuid: 'image-id',
          source_type: 'image',
          destination_type: 'volume',
          boot_index: 0,
          volume_size: 60,
          volume_type: 'CEPH_1_perf1',
          delete_on_termination: true,
        },
      ]);
      const [portId] = Object.entries<any>(json.resource.openstack_networking_port_v2).find(([, p]) => p.name === instance.name)!;
      expect(instance.network).toEqual([{ port: `\${openstack_networking_port_v2.${portId}.id}` }]);
      expect(instance.key_pair).toBeUndefined();
      // Boot and flavor reach new nodes only; scripts/roll-nodes.sh rolls running ones one at a time.
      expect(instance.lifecycle).toEqual({ ignore_changes: ['user_data', 'block_device', 'config_drive', 'flavor_name'] });
      expect(instance.config_drive).toBe(true);
    }
  });

  test('spreads agents softly and servers strictly over hypervisors', () => {
    const policies = (j: any) => Object.values<any>(j.resource.openstack_compute_servergroup_v2)[0].policies;
    expect(policies(json)).toEqual(['soft-anti-affinity']);
    expect(policies(synth({ role: 'server', count: 3, poolName: 'server' }))).toEqual(['anti-affinity']);
    const group = Object.keys(json.resource.openstack_compute_servergroup_v2)[0];
    for (const instance of instances) {
      expect(instance.scheduler_hints).toEqual([{ group: `\${openstack_compute_servergroup_v2.${group}.id}` }]);
    }
  });

  test('gives the first node its own user data, the others the shared one', () => {
    const j = synth({ role: 'server', count: 3 }, { userData: 'join', firstNodeUserData: 'bootstrap' });
    expect(Object.values<any>(j.resource.openstack_compute_instance_v2).map((i) => i.user_data)).toEqual([
      'bootstrap',
      'join',
      'join',
    ]);
  });

  test('exposes each node fixed address for load balancer members', () => {
    let pool!: NodePool;
    Testing.synthScope((scope) => {
      pool = new NodePool(scope, 'Pool', props);
    });
    expect(pool.nodes.map((n) => n.name)).toEqual(['webhost-test-web-1', 'webhost-test-web-2']);
    expect(() => pool.instances).toThrow('Pool: the pool is not launched yet; call launch() first');
  });

  test('launches once', () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const pool = new NodePool(scope, 'Pool', props);
        pool.launch({ userData: 'a' });
        pool.launch({ userData: 'a' });
      }),
    ).toThrow('Pool: launch() was already called; call it once per pool');
  });

  test.each<[string, Partial<NodePoolProps>, string]>([
    ['an even server count', { role: 'server', count: 2 }, 'count 2: servers must be odd for etcd quorum; use 1, 3 or 5'],
    ['an empty pool', { count: 0 }, 'count 0: a pool needs at least 1 node; raise it or remove the pool'],
    ['a malformed flavor', { flavor: 'large' }, 'flavor "large": not an Infomaniak flavor name; use a{vCPU}-ram{GB}-disk{GB}[-perf{n}], for example a4-ram16-disk0'],
    ['an unknown volume type', { bootVolume: { sizeGiB: 60, type: 'ssd' } }, 'bootVolume.type "ssd": use one of CEPH_1_perf1, CEPH_1_perf2, CEPH_1_perf3'],
    ['a tiny boot volume', { bootVolume: { sizeGiB: 5, type: 'CEPH_1_perf1' } }, 'bootVolume.sizeGiB 5: must be a whole number of at least 20 GiB'],
  ])('rejects %s', (_, overrides, message) => {
    expect(() => synth(overrides)).toThrow(`Pool: invalid node pool:\n  ${message}`);
  });
});
