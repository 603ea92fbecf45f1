import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG_FILE, environmentNames, environmentOfStackName, FLAVOR_PATTERN, loadPlatformConfig, parsePlatformConfig } from '../lib/config';
import {
  CostEstimateError,
  estimateOutdir,
  estimateStack,
  flavorHourlyPrice,
  formatCostReport,
  INFOMANIAK_PRICES,
  parseFlavor,
  summarizeStacks,
  type StackEstimate,
} from '../lib/cost';
import { synthPlatform } from './support/synth';

/** The default config's environments, in its order. */
const DEFAULT_ENVIRONMENT_NAMES = environmentNames(loadPlatformConfig({}).config);

/** A small hand-built stack: 3 servers booting from perf2 volumes, a load balancer, its floating IP, a container. */
function smallStack(): Record<string, any> {
  const server = (n: number) => ({
    name: `small-server-${n}`,
    flavor_name: 'a2-ram4-disk0',
    block_device: [
      { boot_index: 0, source_type: 'image', destination_type: 'volume', uuid: '${data.openstack_images_image_v2.img.id}', volume_size: 40, volume_type: 'CEPH_1_perf2', delete_on_termination: true },
    ],
  });
  return {
    terraform: { required_providers: {} },
    resource: {
      openstack_compute_instance_v2: { server1: server(1), server2: server(2), server3: server(3) },
      openstack_lb_loadbalancer_v2: { api: { name: 'small-api', vip_subnet_id: '${openstack_networking_subnet_v2.s.id}' } },
      openstack_lb_listener_v2: { api: { loadbalancer_id: '${openstack_lb_loadbalancer_v2.api.id}', protocol: 'TCP', protocol_port: 6443 } },
      openstack_networking_floatingip_v2: { api: { pool: 'ext-floating1' } },
      openstack_networking_network_v2: { net: { name: 'small' } },
      openstack_objectstorage_container_v1: { backups: { name: 'small-etcd-snapshots' } },
      tls_private_key: { ca: { algorithm: 'ECDSA' } },
    },
  };
}

/** One resource in an otherwise empty stack. */
const oneResource = (type: string, body: Record<string, unknown>) => ({ resource: { [type]: { it: body } } });

const total = (estimate: StackEstimate, kind: string) =>
  estimate.lines.filter((l) => l.kind === kind).reduce((sum, l) => sum + l.monthlyEUR, 0);

describe('price table', () => {
  test('names its source and date and holds the list figures of INFOMANIAK.md', () => {
    expect(INFOMANIAK_PRICES.source).toMatch(/Infomaniak public price page.*2026-05-20/);
    expect(INFOMANIAK_PRICES.date).toBe('2026-05-20');
    // The constants the hand calculations below are written with.
    expect(INFOMANIAK_PRICES).toMatchObject({
      hoursPerMonth: 730,
      chfPerEur: 1.11,
      instance: { eurPerVcpuHour: 0.002206, eurPerGbRamHour: 0.00071, eurPerGbLocalDiskHour: { perf1: 0.000107, perf2: 0.000214 } },
      volumeEurPerGbHour: { CEPH_1_perf1: 0.00011, CEPH_1_perf2: 0.00021, CEPH_1_perf3: 0.00031 },
      floatingIpv4EurPerHour: 0.00411,
      loadBalancerEurPerHour: 0.01234,
      objectStorageEurPerGbHour: 0.000013,
    });
  });

  // Rows of the Infomaniak price list of 2026-05-20 (flavor, EUR/h), copied from
  // ../shared/infomaniak-flavors.md: the formula fits them within 0.12%.
  test.each([
    ['a1-ram2-disk20-perf1', 0.00577],
    ['a2-ram4-disk0', 0.00725],
    ['a4-ram16-disk80-perf1', 0.02875],
    ['a8-ram32-disk0', 0.04036],
    ['a12-ram48-disk50-perf2', 0.07125],
    ['a24-ram96-disk80-perf2', 0.13822],
  ])('formula prices %s at the list price %f EUR/h within 0.12%%', (name, listEurPerHour) => {
    const price = flavorHourlyPrice(parseFlavor(name)!);
    if (!('eurPerHour' in price)) throw new Error(price.unpricedReason);
    expect(Math.abs(price.eurPerHour - listEurPerHour) / listEurPerHour).toBeLessThan(0.0012);
  });

  test('lists every flavor of the shared notes, and the formula fits each CPU flavor within 0.12%', () => {
    const listed = Object.entries(INFOMANIAK_PRICES.flavorsEurPerHour);
    expect(listed).toHaveLength(84);
    const cpu = listed.filter(([name]) => parseFlavor(name)?.gpu === undefined);
    expect(cpu).toHaveLength(74);
    for (const [name, listEurPerHour] of cpu) {
      const price = flavorHourlyPrice(parseFlavor(name)!);
      if (!('eurPerHour' in price)) throw new Error(price.unpricedReason);
      expect([name, Math.abs(price.eurPerHour - listEurPerHour) / listEurPerHour < 0.0012]).toEqual([name, true]);
    }
  });

  test('parses the names the config accepts, and only those', () => {
    expect(parseFlavor('a4-ram16-disk80-perf1')).toEqual({ name: 'a4-ram16-disk80-perf1', vcpus: 4, ramGB: 16, localDiskGB: 80, perf: 'perf1' });
    expect(parseFlavor('nva2-a8-ram16-disk50-perf2')).toMatchObject({ gpu: 'nva2', vcpus: 8, ramGB: 16, localDiskGB: 50, perf: 'perf2' });
    for (const name of ['a2-ram4-disk0', 'a16-ram64-disk20-perf2', 'nvt4-a4-ram8-disk50-perf2', 'a2ram4', 'a2-ram4', 'a2-ram4-disk0-perf4', 'A2-RAM4-DISK0', 'm1.small']) {
      expect([name, parseFlavor(name) !== undefined]).toEqual([name, FLAVOR_PATTERN.test(name)]);
    }
  });
});

describe('estimateStack on a hand-built stack', () => {
  // Worked out by hand from the list (EUR/h x 730 h):
  //   a2-ram4-disk0: 2 x 0.002206 + 4 x 0.000710 = 0.007252 EUR/h; x 730 = 5.29396; x 3 instances = 15.88188
  //   boot volumes:  3 x 40 GB = 120 GB x 0.00021 x 730 = 120 x 0.1533  = 18.396
  //   load balancer: 0.01234 x 730                                       =  9.0082
  //   floating IP:   0.00411 x 730                                       =  3.0003
  //   container:     50 GB (given) x 0.000013 x 730 = 50 x 0.00949       =  0.4745
  //   total = 15.88188 + 18.396 + 9.0082 + 3.0003 + 0.4745               = 46.76088 EUR; x 1.11 = 51.9045768 CHF
  const estimate = estimateStack('small', smallStack(), { objectStorageGBPerContainer: 50 });

  test('prices every instance, volume, load balancer, floating IP and container', () => {
    expect(total(estimate, 'instance')).toBeCloseTo(15.88188, 6);
    expect(total(estimate, 'volume')).toBeCloseTo(18.396, 6);
    expect(total(estimate, 'load-balancer')).toBeCloseTo(9.0082, 6);
    expect(total(estimate, 'floating-ip')).toBeCloseTo(3.0003, 6);
    expect(total(estimate, 'object-storage')).toBeCloseTo(0.4745, 6);
    expect(estimate.monthlyEUR).toBeCloseTo(46.76088, 6);
    expect(estimate.monthlyCHF).toBeCloseTo(51.9045768, 6);
    expect(estimate.unpriced).toEqual([]);
  });

  test('gives one line item per priced thing, unrounded', () => {
    expect(estimate.lines).toContainEqual({
      stack: 'small',
      address: 'openstack_compute_instance_v2.server1',
      kind: 'instance',
      item: 'a2-ram4-disk0',
      quantity: 1,
      unit: 'instance',
      unitPriceEUR: expect.closeTo(5.29396, 9),
      monthlyEUR: expect.closeTo(5.29396, 9),
      estimated: false,
    });
    expect(estimate.lines).toContainEqual(
      expect.objectContaining({ address: 'openstack_compute_instance_v2.server2', kind: 'volume', item: 'CEPH_1_perf2', quantity: 40, unit: 'GB' }),
    );
    expect(estimate.lines).toContainEqual(
      expect.objectContaining({ address: 'openstack_objectstorage_container_v1.backups', quantity: 50, unit: 'GB', estimated: true }),
    );
    expect(estimate.lines).toHaveLength(3 + 3 + 1 + 1 + 1);
  });

  test('lists priced and free types; counts resource blocks', () => {
    expect(estimate.resourceCount).toBe(9);
    expect(estimate.pricedTypes).toEqual({
      openstack_compute_instance_v2: 3,
      openstack_lb_loadbalancer_v2: 1,
      openstack_networking_floatingip_v2: 1,
      openstack_objectstorage_container_v1: 1,
    });
    expect(estimate.freeTypes).toEqual({ openstack_lb_listener_v2: 1, openstack_networking_network_v2: 1, tls_private_key: 1 });
  });

  test('object storage: a figure per container name wins over the default (100 GB)', () => {
    expect(estimateStack('small', smallStack()).lines.find((l) => l.kind === 'object-storage')!.quantity).toBe(100);
    const given = estimateStack('small', smallStack(), { objectStorageGBByContainer: { 'small-etcd-snapshots': 7 } });
    expect(given.lines.find((l) => l.kind === 'object-storage')!.quantity).toBe(7);
  });

  test('a literal count multiplies; a literal for_each map counts its keys', () => {
    const counted = estimateStack('s', oneResource('openstack_compute_instance_v2', { ...smallStack().resource.openstack_compute_instance_v2.server1, count: 3 }));
    expect(counted.monthlyEUR).toBeCloseTo(15.88188 + 18.396, 6);
    const lbs = estimateStack('s', oneResource('openstack_lb_loadbalancer_v2', { for_each: { api: {}, ingress: {} } }));
    expect(lbs.monthlyEUR).toBeCloseTo(2 * 9.0082, 6);
    expect(estimateStack('s', oneResource('openstack_networking_floatingip_v2', { count: 0 })).monthlyEUR).toBe(0);
  });

  test('a standalone volume is priced by size and type', () => {
    // 500 GB x 0.00031 EUR/GB-h x 730 h = 113.15 EUR
    expect(estimateStack('s', oneResource('openstack_blockstorage_volume_v3', { size: 500, volume_type: 'CEPH_1_perf3' })).monthlyEUR).toBeCloseTo(113.15, 6);
  });

  test('local disks and attached existing volumes are not priced twice', () => {
    const instance = {
      flavor_name: 'a2-ram4-disk50-perf1',
      block_device: [
        { source_type: 'image', destination_type: 'local', boot_index: 0 },
        { source_type: 'volume', destination_type: 'volume', uuid: '${openstack_blockstorage_volume_v3.data.id}' },
      ],
    };
    const estimate = estimateStack('s', oneResource('openstack_compute_instance_v2', instance));
    // (2 x 0.002206 + 4 x 0.000710 + 50 x 0.000107) x 730 = 0.012602 x 730 = 9.19946; the list says 9.21
    expect(estimate.lines).toHaveLength(1);
    expect(estimate.monthlyEUR).toBeCloseTo(9.19946, 6);
  });
});

describe('what cannot be priced is reported, never silently zero', () => {
  test.each([
    ['GPU flavor', 'openstack_compute_instance_v2', { flavor_name: 'nva2-a4-ram8-disk50-perf2' }, /GPU flavor nva2-a4-ram8-disk50-perf2/],
    ['a flavor not in the price list', 'openstack_compute_instance_v2', { flavor_name: 'a3-ram7-disk0' }, /^flavor a3-ram7-disk0 is not in Infomaniak's price list of 2026-05-20 .*: not priced$/],
    ['local disk without a perf class (not a listed flavor)', 'openstack_compute_instance_v2', { flavor_name: 'a2-ram4-disk20' }, /^flavor a2-ram4-disk20 is not in Infomaniak's price list/],
    ['flavor from an expression', 'openstack_compute_instance_v2', { flavor_name: '${var.flavor}' }, /flavor_name "\$\{var.flavor\}" is not known before apply/],
    ['flavor by id', 'openstack_compute_instance_v2', { flavor_id: 'abc' }, /no flavor_name/],
    ['count from an expression', 'openstack_lb_loadbalancer_v2', { count: '${var.n}' }, /count "\$\{var.n\}" is not known before apply/],
    ['for_each over an expression', 'openstack_networking_floatingip_v2', { for_each: '${toset(var.names)}' }, /for_each .* is not known before apply/],
    ['volume type without a price', 'openstack_blockstorage_volume_v3', { size: 10, volume_type: 'CEPH_9_fast' }, /volume_type "CEPH_9_fast" has no price/],
    ['volume without a type', 'openstack_blockstorage_volume_v3', { size: 10 }, /no volume_type/],
    ['volume size from an expression', 'openstack_blockstorage_volume_v3', { size: '${var.size}', volume_type: 'CEPH_1_perf1' }, /size .* is not known before apply/],
    ['an OpenStack type not in the table', 'openstack_images_image_v2', { name: 'img' }, /openstack_images_image_v2 is not in the price table/],
    ['a Kubernetes Service of type LoadBalancer', 'kubernetes_service_v1', { spec: [{ type: 'LoadBalancer' }] }, /Octavia load balancer/],
  ])('%s', (_, type, body, reason) => {
    const estimate = estimateStack('s', oneResource(type, body));
    expect(estimate.unpriced).toEqual([{ stack: 's', address: `${type}.it`, reason: expect.stringMatching(reason) }]);
    expect(estimate.lines).toEqual([]);
  });

  test('a boot volume from a dynamic block is reported while the instance is priced', () => {
    const estimate = estimateStack('s', oneResource('openstack_compute_instance_v2', { flavor_name: 'a2-ram4-disk0', dynamic: { block_device: { for_each: '${var.disks}' } } }));
    expect(estimate.lines).toHaveLength(1);
    expect(estimate.unpriced[0].reason).toMatch(/dynamic block/);
  });

  test('the report lists what was not priced and calls the total a lower bound', () => {
    const report = formatCostReport({
      stacks: [estimateStack('test-sites-01', oneResource('openstack_images_image_v2', {}))],
      prices: INFOMANIAK_PRICES,
      objectStorageGBPerContainer: 100,
      monthlyEUR: 0,
      monthlyCHF: 0,
      monthlyMaxEUR: 0,
      monthlyMaxCHF: 0,
    });
    expect(report).toContain('not priced: openstack_images_image_v2.it (stack test-sites-01)');
    expect(report).toMatch(/without 1 resource not priced .*lower bound/);
  });
});

test('a flavor the config takes through cloud.unlistedFlavors is reported as not priced, never extrapolated', () => {
  const text = readFileSync(DEFAULT_CONFIG_FILE, 'utf8')
    .replace('  imageNameRegex:', '  unlistedFlavors: [a3-ram7-disk0]\n  imageNameRegex:')
    .replace('flavor: a4-ram16-disk0 #', 'flavor: a3-ram7-disk0 #');
  const { json } = synthPlatform(parsePlatformConfig(text, 'platform.yaml'));
  const tools = estimateStack('tools', json.tools);
  expect(tools.unpriced).toEqual(
    [1, 2, 3].map(() => ({ stack: 'tools', address: expect.stringMatching(/^openstack_compute_instance_v2\.Cluster_AgentPool-general_Node/), reason: expect.stringMatching(/^flavor a3-ram7-disk0 is not in Infomaniak's price list of 2026-05-20 .*: not priced$/) })),
  );
  expect(tools.lines.filter((l) => l.item === 'a3-ram7-disk0')).toEqual([]);
});

describe('bad inputs fail with the stack, resource and value', () => {
  test.each([
    [{ flavor_name: 'a2ram4' }, /^stack s1: openstack_compute_instance_v2\.it: flavor_name "a2ram4": not an Infomaniak flavor name; use a\{vCPU\}/],
    [{ flavor_name: 'a2-ram4-disk0', count: -1 }, /^stack s1: openstack_compute_instance_v2\.it: count -1: must be a whole number/],
    [{ flavor_name: 'a2-ram4-disk0', count: 1.5 }, /count 1\.5: must be a whole number/],
    [{ flavor_name: 'a2-ram4-disk0', block_device: [{ source_type: 'image', destination_type: 'volume', volume_size: -5, volume_type: 'CEPH_1_perf1' }] }, /^stack s1: openstack_compute_instance_v2\.it: block_device\.volume_size -5: must be a positive number of GB/],
  ])('%j', (body, message) => {
    expect(() => estimateStack('s1', oneResource('openstack_compute_instance_v2', body))).toThrow(CostEstimateError);
    expect(() => estimateStack('s1', oneResource('openstack_compute_instance_v2', body))).toThrow(message);
  });

  test('not a stack, or a bad object storage figure', () => {
    expect(() => estimateStack('s1', [])).toThrow(/stack s1: not a synthesized stack/);
    expect(() => estimateStack('s1', smallStack(), { objectStorageGBPerContainer: -1 })).toThrow(/objectStorageGBPerContainer -1: must be a number of GB/);
  });
});

describe('the default platform', () => {
  const { config } = loadPlatformConfig({});
  const { json } = synthPlatform(config);
  const estimates = Object.entries(json).map(([stack, stackJson]) => estimateStack(stack, stackJson));

  test.each(DEFAULT_ENVIRONMENT_NAMES)('%s: every instance, volume, load balancer, floating IP and container is counted', (name) => {
    const env = config.environments[name];
    const pools = [env.servers, ...env.agentPools];
    const estimate = estimates.find((e) => e.stack === name)!;
    const quantity = (kind: string, item?: string) =>
      estimate.lines.filter((l) => l.kind === kind && (item === undefined || l.item === item)).reduce((n, l) => n + l.quantity, 0);

    for (const flavor of new Set(pools.map((p) => p.flavor))) {
      expect([flavor, quantity('instance', flavor)]).toEqual([flavor, pools.filter((p) => p.flavor === flavor).reduce((n, p) => n + p.count, 0)]);
    }
    expect(quantity('instance')).toBe(pools.reduce((n, p) => n + p.count, 0));
    for (const type of new Set(pools.map((p) => p.bootVolume.type))) {
      const gb = pools.filter((p) => p.bootVolume.type === type).reduce((n, p) => n + p.count * p.bootVolume.sizeGiB, 0);
      expect([type, quantity('volume', type)]).toEqual([type, gb]);
    }
    // Each cluster has two load balancers (Kubernetes API, ingress), each with its floating IP.
    expect(quantity('load-balancer')).toBe(2);
    expect(quantity('floating-ip')).toBe(2);
    // etcd-snapshots plus the configured containers, 100 GB each by default.
    expect(quantity('object-storage')).toBe(100 * (1 + env.objectStorage.containers.length));
    expect(estimate.unpriced).toEqual([]);
  });

  test('costs a plausible amount a month', () => {
    const monthlyEUR = estimates.reduce((sum, e) => sum + e.monthlyEUR, 0);
    // About 500 EUR: 27 vCPU-heavy nodes, 6 load balancers; far from both 0 and a hyperscaler bill.
    expect(monthlyEUR).toBeGreaterThan(300);
    expect(monthlyEUR).toBeLessThan(800);
    for (const e of estimates) expect(environmentOfStackName(e.stack)).toMatch(/^(tools|production|test)$/);
  });
});

describe('reading cdktf.out', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'cost-test-'));
    const stacks: Record<string, unknown> = {};
    for (const [stack, stackJson] of [['small', smallStack()], ['small-sites-01', oneResource('openstack_networking_floatingip_v2', {})]] as const) {
      mkdirSync(path.join(outdir, 'stacks', stack), { recursive: true });
      writeFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), JSON.stringify(stackJson));
      stacks[stack] = { name: stack, synthesizedStackPath: `stacks/${stack}/cdk.tf.json` };
    }
    writeFileSync(path.join(outdir, 'manifest.json'), JSON.stringify({ stacks, version: '0.21.0' }));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test('summarizeStacks: one line per stack and a total', () => {
    // small with the default 100 GB container: 46.76088 - 0.4745 + 0.949 = 47.23538 EUR; small-sites-01: 3.0003
    const lines = summarizeStacks(outdir).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^ {2}small {10}\s+9 resources {2}47\.24 EUR {2}52\.43 CHF a month$/);
    expect(lines[2]).toMatch(/small-sites-01 +1 resources +3\.00 EUR +3\.33 CHF a month$/);
    expect(lines[3]).toMatch(/total +50\.24 EUR +55\.76 CHF a month$/);
  });

  test('formatCostReport: one table per environment, grouped lines, totals in EUR and CHF', () => {
    const estimate = estimateOutdir(outdir, { objectStorageGBPerContainer: 50 });
    // 46.76088 + 3.0003 = 49.76118 EUR; x 1.11 = 55.2349098 CHF
    expect(estimate.monthlyEUR).toBeCloseTo(49.76118, 6);
    const report = formatCostReport(estimate);
    expect(report).toContain('small (stacks small, small-sites-01)');
    expect(report).toMatch(/3 × a2-ram4-disk0 +5\.29 EUR\/instance +15\.88 +17\.63/);
    expect(report).toMatch(/volumes CEPH_1_perf2 120 GB +0\.153 EUR\/GB +18\.40 +20\.42/);
    expect(report).toMatch(/1 load balancer +9\.01 EUR\/load balancer +9\.01 +10\.00/);
    expect(report).toMatch(/2 floating IPs +3\.00 EUR\/IP +6\.00 +6\.66/);
    expect(report).toMatch(/object storage 50 GB in 1 container \(estimate\) +0\.00949 EUR\/GB +0\.47 +0\.53/);
    expect(report).toMatch(/total small +49\.76 +55\.23/);
    expect(report).toContain('Grand total: 49.76 EUR = 55.23 CHF a month (excl. VAT)');
    expect(report).toContain('2026-05-20');
  });

  test('a missing manifest names the file and the fix', () => {
    expect(() => estimateOutdir(path.join(outdir, 'nowhere'))).toThrow(/nowhere.manifest\.json: not found; run npm run synth first/);
  });

  test('scripts/cost.ts prints the report and rejects bad arguments', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, '..', 'scripts', 'cost.ts'), ...args], { encoding: 'utf8' });
    const ok = run('--outdir', outdir, '--object-storage-gb', '50');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('Grand total: 49.76 EUR = 55.23 CHF a month');
    const bad = run('--outdir', outdir, '--object-storage-gb', 'lots');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--object-storage-gb lots: must be a number of GB');
  });
});

describe('autoscaled pools: a range from the floor to the maximum, never one number', () => {
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const { parse, stringify } = require('yaml') as typeof import('yaml');
  const { DEFAULT_CONFIG_FILE, parsePlatformConfig } = require('../lib/config') as typeof import('../lib/config');
  const raw = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  delete raw.environments.production.agentPools[0].count;
  raw.environments.production.agentPools[0].autoscaling = { minNodes: 6, maxNodes: 12 };
  const { json } = synthPlatform(parsePlatformConfig(stringify(raw), 'platform.yaml'));
  const fixed = synthPlatform().json;
  const estimate = estimateStack('production', json.production);
  // a8-ram32-disk0 (0.002206 x 8 + 0.000710 x 32 EUR/h) and a 100 GB CEPH_1_perf1 boot volume (0.00011 EUR/GB/h), 730 h.
  const perNode = (0.002206 * 8 + 0.00071 * 32 + 0.00011 * 100) * 730;

  test('the floor is what OpenTofu applies: the same lines and total as a fixed pool of minNodes', () => {
    expect(estimate.monthlyEUR).toBeCloseTo(estimateStack('production', fixed.production).monthlyEUR, 6);
  });

  test('the pool is priced from its floor up to its maximum', () => {
    expect(estimate.autoscaled).toEqual([
      {
        pool: 'web',
        flavor: 'a8-ram32-disk0',
        minNodes: 6,
        maxNodes: 12,
        perNodeEUR: expect.closeTo(perNode, 2),
        minEUR: expect.closeTo(6 * perNode, 2),
        maxEUR: expect.closeTo(12 * perNode, 2),
      },
    ]);
    expect(estimate.monthlyMaxEUR - estimate.monthlyEUR).toBeCloseTo(6 * perNode, 2);
    expect(estimate.monthlyMaxCHF).toBeCloseTo(estimate.monthlyMaxEUR * INFOMANIAK_PRICES.chfPerEur, 6);
  });

  test('a stack without autoscaled pools has one figure (its maximum is its minimum)', () => {
    const tools = estimateStack('tools', json.tools);
    expect(tools.autoscaled).toEqual([]);
    expect(tools.monthlyMaxEUR).toBe(tools.monthlyEUR);
  });

  test('an output that disagrees with the instances is refused, not priced', () => {
    const stale = JSON.parse(JSON.stringify(json.production));
    stale.output.autoscaled_pools.value.web.min_nodes = 5;
    expect(() => estimateStack('production', stale)).toThrow(
      'stack production: output.autoscaled_pools.web: min_nodes 5, but the stack has 6 priced instances of agent pool web; synthesize again (npm run synth)',
    );
  });

  describe('the synth summary and npm run cost show the range', () => {
    let outdir: string;
    beforeAll(() => {
      outdir = mkdtempSync(path.join(tmpdir(), 'cost-autoscaled-'));
      const stacks: Record<string, unknown> = {};
      for (const stack of ['production', 'test']) {
        mkdirSync(path.join(outdir, 'stacks', stack), { recursive: true });
        writeFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), JSON.stringify(json[stack]));
        stacks[stack] = { name: stack, synthesizedStackPath: `stacks/${stack}/cdk.tf.json` };
      }
      writeFileSync(path.join(outdir, 'manifest.json'), JSON.stringify({ stacks, version: '0.21.0' }));
    });
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));

    const money = (n: number) => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).replace(/,/g, "'");

    test('summarizeStacks: the autoscaled stack and the total as min to max', () => {
      const lines = summarizeStacks(outdir).split('\n');
      const min = money(estimate.monthlyEUR);
      const max = money(estimate.monthlyMaxEUR);
      expect(lines[1]).toContain(`${min} to ${max} EUR`);
      expect(lines[1]).toMatch(/\(autoscaled: web 6 to 12 nodes\)$/);
      // test has no autoscaled pool: one figure.
      expect(lines[2]).not.toContain(' to ');
      expect(lines[3]).toMatch(/^ {2}total .* to .* EUR .* to .* CHF a month$/);
    });

    test('formatCostReport: a row for the pool and ranges in the totals', () => {
      const report = formatCostReport(estimateOutdir(outdir));
      expect(report).toMatch(/pool web autoscaled: 6 to 12 × a8-ram32-disk0 \(floor above\) +37\.50 EUR\/node +\+0\.00 to \+224\.99/);
      expect(report).toMatch(new RegExp(`total production +${money(estimate.monthlyEUR)} to ${money(estimate.monthlyMaxEUR)}`));
      expect(report).toMatch(/Grand total: [\d'.]+ to [\d'.]+ EUR = [\d'.]+ to [\d'.]+ CHF a month \(excl\. VAT; autoscaled pools from their minimum to their maximum nodes\)/);
    });
  });
});
