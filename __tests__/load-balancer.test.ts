import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Testing, TerraformOutput, TerraformStack } from 'cdktf';
import { LbLoadbalancerV2 } from '../.gen/providers/openstack/lb-loadbalancer-v2';
import { NetworkingSubnetV2 } from '../.gen/providers/openstack/networking-subnet-v2';
import { LoadBalancer, type ListenerProps, type LoadBalancerMember, type LoadBalancerProps } from '../lib/openstack/load-balancer';
import { checkAgainstSchema, type ProviderSchemaDocument } from '../lib/verify/provider-schema';
import { environmentNames, loadPlatformConfig } from '../lib/config';
import { synthPlatform } from './support/synth';

/** The default config's environments, in its order. */
const DEFAULT_ENVIRONMENT_NAMES = environmentNames(loadPlatformConfig({}).config);

const schema: ProviderSchemaDocument = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'providers', 'openstack', 'schema.json'), 'utf8'),
);

const server = (n: number): LoadBalancerMember => ({ name: `webhost-test-server-${n}`, address: `10.30.0.${10 + n}`, subnetId: 'servers-subnet-id' });

/** The API load balancer as the cluster wires it. */
const apiProps: LoadBalancerProps = {
  name: 'webhost-test-api',
  vipSubnetId: 'servers-subnet-id',
  floatingIpPool: 'ext-floating1',
  listeners: [
    { name: 'api', port: 6443, memberPort: 6443, protocol: 'TCP', allowedCidrs: ['192.0.2.0/24', '10.30.0.0/16'], monitor: { type: 'TCP' } },
    { name: 'supervisor', port: 9345, memberPort: 9345, protocol: 'TCP', allowedCidrs: ['10.30.0.0/16'], monitor: { type: 'TCP' } },
  ],
  members: [server(1), server(2), server(3)],
};

/** The ingress load balancer: world-open listeners to NodePorts. */
const ingressListeners: ListenerProps[] = [
  { name: 'http', port: 80, memberPort: 30080, protocol: 'TCP', monitor: { type: 'TCP' } },
  { name: 'https', port: 443, memberPort: 30443, protocol: 'TCP', monitor: { type: 'HTTPS', urlPath: '/healthz', expectedCodes: '200-399' } },
];

function synth(props: LoadBalancerProps = apiProps) {
  let lb!: LoadBalancer;
  const json = JSON.parse(
    Testing.synthScope((scope) => {
      lb = new LoadBalancer(scope, 'ApiLb', props);
      new TerraformOutput(scope, 'public', { value: lb.publicAddress });
      new TerraformOutput(scope, 'vip', { value: lb.vipAddress });
    }),
  );
  return { json, lb, r: json.resource as Record<string, Record<string, any>> };
}

const ref = (type: string, key: string, attribute = 'id') => `\${${type}.${key}.${attribute}}`;
const only = (instances: Record<string, any>) => {
  const keys = Object.keys(instances);
  expect(keys).toHaveLength(1);
  return { key: keys[0], body: instances[keys[0]] };
};
const byName = (instances: Record<string, any>, name: string) => {
  const found = Object.entries(instances).filter(([, body]) => body.name === name);
  expect(found).toHaveLength(1);
  return { key: found[0][0], body: found[0][1] };
};

describe('LoadBalancer', () => {
  const api = synth();
  const lbKey = only(api.r.openstack_lb_loadbalancer_v2).key;

  test('creates one load balancer in the VIP subnet', () => {
    expect(JSON.stringify(api.json)).toHaveResourceWithProperties(LbLoadbalancerV2, { name: 'webhost-test-api', vip_subnet_id: 'servers-subnet-id' });
    expect(api.json.output.vip.value).toBe(ref('openstack_lb_loadbalancer_v2', lbKey, 'vip_address'));
  });

  test('puts a floating IP from the pool on the VIP port and exposes its address', () => {
    const fip = only(api.r.openstack_networking_floatingip_v2);
    expect(fip.body).toMatchObject({ pool: 'ext-floating1', port_id: ref('openstack_lb_loadbalancer_v2', lbKey, 'vip_port_id') });
    expect(api.json.output.public.value).toBe(ref('openstack_networking_floatingip_v2', fip.key, 'address'));
    expect(api.lb.floatingIp).toBeDefined();
  });

  test('without publicIp: no floating IP, and the public address is the VIP', () => {
    const internal = synth({ ...apiProps, publicIp: false });
    expect(internal.r.openstack_networking_floatingip_v2).toBeUndefined();
    expect(internal.lb.floatingIp).toBeUndefined();
    expect(internal.json.output.public.value).toBe(internal.json.output.vip.value);
  });

  test('creates a TCP listener per entry with its allowed CIDRs and long idle timeouts', () => {
    const listeners = api.r.openstack_lb_listener_v2;
    expect(Object.keys(listeners)).toHaveLength(2);
    expect(byName(listeners, 'webhost-test-api-api').body).toEqual({
      name: 'webhost-test-api-api',
      loadbalancer_id: ref('openstack_lb_loadbalancer_v2', lbKey),
      protocol: 'TCP',
      protocol_port: 6443,
      allowed_cidrs: ['10.30.0.0/16', '192.0.2.0/24'],
      timeout_client_data: 600_000,
      timeout_member_data: 600_000,
    });
    expect(byName(listeners, 'webhost-test-api-supervisor').body).toMatchObject({ protocol_port: 9345, allowed_cidrs: ['10.30.0.0/16'] });
  });

  test('a listener without allowedCidrs is open to everyone; idle timeout is configurable', () => {
    const ingress = synth({ ...apiProps, name: 'webhost-test-ingress', listeners: [{ ...ingressListeners[0], idleTimeoutSeconds: 3600 }] });
    const listener = only(ingress.r.openstack_lb_listener_v2).body;
    expect(listener).not.toHaveProperty('allowed_cidrs');
    expect(listener).toMatchObject({ protocol_port: 80, timeout_client_data: 3_600_000, timeout_member_data: 3_600_000 });
  });

  test('gives each listener a TCP pool balanced by least connections, PROXY when asked', () => {
    const listeners = api.r.openstack_lb_listener_v2;
    for (const name of ['api', 'supervisor']) {
      const listenerKey = byName(listeners, `webhost-test-api-${name}`).key;
      expect(byName(api.r.openstack_lb_pool_v2, `webhost-test-api-${name}`).body).toMatchObject({
        listener_id: ref('openstack_lb_listener_v2', listenerKey),
        protocol: 'TCP',
        lb_method: 'LEAST_CONNECTIONS',
      });
      expect(api.lb.pools[name]).toBeDefined();
    }
    const proxied = synth({ ...apiProps, listeners: [{ ...ingressListeners[1], proxyProtocol: true, balancing: 'ROUND_ROBIN' }] });
    expect(only(proxied.r.openstack_lb_pool_v2).body).toMatchObject({ protocol: 'PROXY', lb_method: 'ROUND_ROBIN' });
  });

  test('monitors each pool: TCP checks carry no HTTP fields, HTTPS checks the path and codes', () => {
    const tcp = byName(api.r.openstack_lb_monitor_v2, 'webhost-test-api-api').body;
    expect(tcp).toEqual({
      name: 'webhost-test-api-api',
      pool_id: ref('openstack_lb_pool_v2', byName(api.r.openstack_lb_pool_v2, 'webhost-test-api-api').key),
      type: 'TCP',
      delay: 5,
      timeout: 4,
      max_retries: 3,
      max_retries_down: 3,
    });
    const ingress = synth({ ...apiProps, listeners: ingressListeners });
    expect(byName(ingress.r.openstack_lb_monitor_v2, 'webhost-test-api-https').body).toMatchObject({
      type: 'HTTPS',
      http_method: 'GET',
      url_path: '/healthz',
      expected_codes: '200-399',
    });
    const http = synth({ ...apiProps, listeners: [{ ...ingressListeners[0], monitor: { type: 'HTTP' } }] });
    expect(only(http.r.openstack_lb_monitor_v2).body).toMatchObject({ type: 'HTTP', url_path: '/', expected_codes: '200' });
  });

  test('adds one member resource per member and pool, on the listener member port', () => {
    const members = Object.values<any>(api.r.openstack_lb_member_v2);
    expect(members).toHaveLength(6);
    for (const name of ['api', 'supervisor']) {
      const poolRef = ref('openstack_lb_pool_v2', byName(api.r.openstack_lb_pool_v2, `webhost-test-api-${name}`).key);
      const inPool = members.filter((m) => m.pool_id === poolRef);
      expect(inPool.map((m) => [m.name, m.address, m.subnet_id, m.protocol_port]).sort()).toEqual(
        [1, 2, 3].map((n) => [`webhost-test-server-${n}`, `10.30.0.${10 + n}`, 'servers-subnet-id', name === 'api' ? 6443 : 9345]),
      );
    }
    const ingress = synth({ ...apiProps, listeners: ingressListeners });
    expect(Object.values<any>(ingress.r.openstack_lb_member_v2).map((m) => m.protocol_port).sort()).toEqual([30080, 30080, 30080, 30443, 30443, 30443]);
  });

  test('checks the members on another port when the monitor names one (Octavia member monitor_port)', () => {
    const checked = synth({
      ...apiProps,
      listeners: [apiProps.listeners[0], { ...apiProps.listeners[1], monitor: { type: 'TCP', port: 6443 } }],
    });
    const members = Object.values<any>(checked.r.openstack_lb_member_v2);
    expect(members.filter((m) => m.protocol_port === 9345).map((m) => m.monitor_port)).toEqual([6443, 6443, 6443]);
    expect(members.filter((m) => m.protocol_port === 6443).map((m) => m.monitor_port)).toEqual([undefined, undefined, undefined]);
  });

  test('adding a member adds exactly one resource per pool and changes nothing else', () => {
    const before = synth();
    const after = synth({ ...apiProps, members: [server(1), server(4), server(2), server(3)] });
    const flatten = (r: Record<string, Record<string, any>>) =>
      Object.fromEntries(Object.entries(r).flatMap(([type, instances]) => Object.entries(instances).map(([k, v]) => [`${type}.${k}`, v])));
    const [a, b] = [flatten(before.r), flatten(after.r)];
    const added = Object.keys(b).filter((k) => !(k in a));
    expect(added).toHaveLength(2);
    for (const k of added) expect(k).toMatch(/^openstack_lb_member_v2\.ApiLb_(api|supervisor)-member-webhost-test-server-4_[0-9A-F]{8}$/);
    expect(Object.keys(a).filter((k) => !(k in b))).toEqual([]);
    for (const k of Object.keys(a)) expect(b[k]).toEqual(a[k]);
  });

  test('sets tags on every resource that takes them', () => {
    const tagged = synth({ ...apiProps, tags: ['env=test'] });
    for (const type of ['openstack_lb_loadbalancer_v2', 'openstack_networking_floatingip_v2', 'openstack_lb_listener_v2', 'openstack_lb_pool_v2', 'openstack_lb_member_v2']) {
      for (const body of Object.values<any>(tagged.r[type])) expect(body.tags).toEqual(['env=test']);
    }
  });

  test('accepts tokens for subnet ids and member addresses', () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        const subnet = new NetworkingSubnetV2(scope, 'Subnet', { networkId: 'net', cidr: '10.30.0.0/24' });
        new LoadBalancer(scope, 'Lb', {
          ...apiProps,
          vipSubnetId: subnet.id,
          members: [{ name: 'node-1', address: subnet.gatewayIp, subnetId: subnet.id }],
        });
      }),
    );
    const member = Object.values<any>(json.resource.openstack_lb_member_v2)[0];
    expect(member.address).toMatch(/^\$\{openstack_networking_subnet_v2\.\w+\.gateway_ip\}$/);
    expect(Object.values<any>(json.resource.openstack_lb_loadbalancer_v2)[0].vip_subnet_id).toMatch(/^\$\{openstack_networking_subnet_v2\.\w+\.id\}$/);
  });

  test('conforms to the provider schema (API and ingress shapes)', () => {
    expect(checkAgainstSchema(api.json, schema, 'openstack')).toEqual([]);
    const ingress = synth({ ...apiProps, listeners: ingressListeners, tags: ['env=test'] });
    expect(checkAgainstSchema(ingress.json, schema, 'openstack')).toEqual([]);
  });

  const listener = apiProps.listeners[0];
  test.each<[string, Partial<LoadBalancerProps>, string[]]>([
    ['no listener', { listeners: [] }, ['listeners []: a load balancer needs at least one listener; add one']],
    ['ports out of range', { listeners: [{ ...listener, port: 0, memberPort: 65536 }] }, [
      'listeners[0].port 0: not a port; use 1 to 65535',
      'listeners[0].memberPort 65536: not a port; use 1 to 65535',
    ]],
    ['duplicate listener names and ports', { listeners: [listener, { ...listener }] }, [
      'listeners[1].name "api": same name as listeners[0].name; each needs its own',
      'listeners[1].port 6443: same port as listeners[0].port; each needs its own',
    ]],
    ['duplicate member names', { members: [server(1), { ...server(2), name: 'webhost-test-server-1' }] }, [
      'members[1].name "webhost-test-server-1": same name as members[0].name; each needs its own',
    ]],
    ['an empty allowedCidrs', { listeners: [{ ...listener, allowedCidrs: [] }] }, [
      'listeners[0].allowedCidrs []: an empty list lets everyone in; omit allowedCidrs to say so, or list the allowed ranges',
    ]],
    ['a malformed allowed CIDR', { listeners: [{ ...listener, allowedCidrs: ['192.0.2.0/33'] }] }, [
      'listeners[0].allowedCidrs[0] "192.0.2.0/33": the prefix length is above 32; use /8 to /29',
    ]],
    ['a range listed twice', { listeners: [{ ...listener, allowedCidrs: ['10.30.0.0/16', '192.0.2.0/24', '10.30.0.0/16'] }] }, [
      'listeners[0].allowedCidrs[2] "10.30.0.0/16": same range as listeners[0].allowedCidrs[0]; remove the duplicate',
    ]],
    ['HTTP fields on a TCP monitor', { listeners: [{ ...listener, monitor: { type: 'TCP', urlPath: '/readyz' } }] }, [
      'listeners[0].monitor.urlPath "/readyz": only HTTP and HTTPS monitors take it; remove it or use type \'HTTP\'',
    ]],
    ['a bad HTTP monitor', { listeners: [{ ...listener, monitor: { type: 'HTTPS', urlPath: 'readyz', expectedCodes: 'ok' } }] }, [
      'listeners[0].monitor.urlPath "readyz": must start with \'/\', e.g. \'/healthz\'',
      'listeners[0].monitor.expectedCodes "ok": not a status code list; write e.g. \'200\', \'200,204\' or \'200-299\'',
    ]],
    ['a monitor port out of range', { listeners: [{ ...listener, monitor: { type: 'TCP', port: 70000 } }] }, [
      'listeners[0].monitor.port 70000: not a port; use 1 to 65535',
    ]],
    ['an idle timeout beyond 24 hours', { listeners: [{ ...listener, idleTimeoutSeconds: 86_401 }] }, [
      'listeners[0].idleTimeoutSeconds 86401: use whole seconds from 1 to 86400 (24 hours, Octavia\'s limit)',
    ]],
    ['a member name that is no DNS label', { members: [{ ...server(1), name: 'Server_1' }] }, [
      'members[0].name "Server_1": not a DNS label; use lowercase letters, digits and \'-\', at most 63 characters',
    ]],
    ['a literal member address that is no IPv4 address', { members: [{ ...server(1), address: '10.30.0.256' }] }, [
      'members[0].address "10.30.0.256": not an IPv4 address; use the node\'s private address, e.g. its access_ip_v4',
    ]],
  ])('rejects %s, naming path, field, value and fix', (_what, overrides, lines) => {
    const stack = new TerraformStack(Testing.app(), 'stack');
    expect(() => new LoadBalancer(stack, 'ApiLb', { ...apiProps, ...overrides })).toThrow(
      new Error(`stack/ApiLb: invalid load balancer props:\n  ${lines.join('\n  ')}`),
    );
  });

  test('rejects a member name that is a token (it would become a Terraform address)', () => {
    const stack = new TerraformStack(Testing.app(), 'stack');
    const subnet = new NetworkingSubnetV2(stack, 'Subnet', { networkId: 'net', cidr: '10.30.0.0/24' });
    expect(() => new LoadBalancer(stack, 'ApiLb', { ...apiProps, members: [{ ...server(1), name: subnet.name }] })).toThrow(
      'members[0].name: must be a plain string known at synth time; it becomes part of Terraform addresses',
    );
  });
});

describe('the cluster’s load balancers', () => {
  const { json } = synthPlatform();

  test('the ingress listeners (80, 443) send the PROXY protocol, so Traefik sees the client’s address; the API ones do not', () => {
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const r = json[env].resource;
      const pools = Object.entries<any>(r.openstack_lb_pool_v2);
      const protocolOf = (name: string) => {
        const found = pools.filter(([, p]) => p.name === `webhost-${env}-${name}`);
        expect(found).toHaveLength(1);
        return { address: found[0][0], protocol: found[0][1].protocol };
      };
      // Same addresses as before: only the pools' protocol changes (a replacement, see README, Day 2).
      expect(protocolOf('ingress-http')).toEqual({ address: expect.stringMatching(/^Cluster_IngressLoadBalancer_http-pool_[0-9A-F]{8}$/), protocol: 'PROXY' });
      expect(protocolOf('ingress-https')).toEqual({ address: expect.stringMatching(/^Cluster_IngressLoadBalancer_https-pool_[0-9A-F]{8}$/), protocol: 'PROXY' });
      expect(protocolOf('api-api').protocol).toBe('TCP');
      expect(protocolOf('api-supervisor').protocol).toBe('TCP');
      // The listeners stay TCP pass-through (TLS ends in Traefik), their monitors bare TCP connects,
      // which Traefik accepts without a header from a trusted source.
      for (const listener of Object.values<any>(r.openstack_lb_listener_v2)) expect(listener.protocol).toBe('TCP');
      for (const monitor of Object.values<any>(r.openstack_lb_monitor_v2)) expect(monitor.type).toBe('TCP');
    }
  });

  test('a joining node reaches only servers whose API answers: the supervisor pool is checked on 6443', () => {
    // RKE2 opens 9345 before a joining server is ready; its API opens after etcd.
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const r = json[env].resource;
      const poolKey = (name: string) => Object.entries<any>(r.openstack_lb_pool_v2).find(([, p]) => p.name === `webhost-${env}-${name}`)![0];
      const membersOf = (name: string) =>
        Object.values<any>(r.openstack_lb_member_v2).filter((m) => m.pool_id === `\${openstack_lb_pool_v2.${poolKey(name)}.id}`);
      const supervisor = membersOf('api-supervisor');
      expect(supervisor.length).toBeGreaterThan(0);
      for (const m of supervisor) expect(m).toMatchObject({ protocol_port: 9345, monitor_port: 6443 });
      for (const m of membersOf('api-api')) expect(m.monitor_port).toBeUndefined();
      for (const m of [...membersOf('ingress-http'), ...membersOf('ingress-https')]) expect(m.monitor_port).toBeUndefined();
    }
  });
});
