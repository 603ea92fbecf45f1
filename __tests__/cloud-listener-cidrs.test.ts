// Octavia keeps a listener's allowed CIDRs in a table keyed by (listener, cidr)
// and returns them in that key's order, ascending as strings: against the
// test cloud (npm run test:cloud) a listener given ['192.0.2.0/24',
// '10.30.0.0/16'] read back as ['10.30.0.0/16', '192.0.2.0/24'], and since
// allowed_cidrs is a list in the provider, every later plan updated it again.
import { Testing } from 'cdktf';
import { LoadBalancer } from '../lib/openstack/load-balancer';
import { synthPlatform } from './support/synth';

const asOctaviaReturnsThem = (cidrs: string[]) => [...cidrs].sort();

describe('listener allowed_cidrs in the order Octavia returns them (no perpetual diff)', () => {
  test('a load balancer writes its listeners\' CIDRs sorted', () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        new LoadBalancer(scope, 'Lb', {
          name: 'webhost-test-api',
          vipSubnetId: 'subnet',
          listeners: [
            { name: 'api', port: 6443, memberPort: 6443, protocol: 'TCP', allowedCidrs: ['192.0.2.0/24', '10.30.0.0/16', '172.16.0.0/12'], monitor: { type: 'TCP' } },
          ],
          members: [],
        });
      }),
    );
    const [listener] = Object.values(json.resource.openstack_lb_listener_v2) as { allowed_cidrs: string[] }[];
    expect(listener.allowed_cidrs).toEqual(['10.30.0.0/16', '172.16.0.0/12', '192.0.2.0/24']);
  });

  test('every listener of every synthesized stack', () => {
    const stacks = synthPlatform().json;
    let seen = 0;
    for (const stack of Object.values(stacks) as { resource?: Record<string, Record<string, { allowed_cidrs?: string[] }>> }[]) {
      for (const listener of Object.values(stack.resource?.openstack_lb_listener_v2 ?? {})) {
        if (!listener.allowed_cidrs) continue;
        seen++;
        expect(listener.allowed_cidrs).toEqual(asOctaviaReturnsThem(listener.allowed_cidrs));
      }
    }
    expect(seen).toBeGreaterThan(0);
  });
});
