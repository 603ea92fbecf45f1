import { shardNumberOf, shardsOf, shardStackName } from '../lib/sites/sharding';
import type { SiteSpec } from '../lib/sites/catalog';

/** A deterministic pseudo-random sequence (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const site = (id: number, test = false): SiteSpec => ({
  id,
  name: `site-${id}`,
  hosts: [`site-${id}.ch`],
  image: 'docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine',
  port: 8080,
  healthPath: '/',
  resources: { cpuMillis: 50, memoryMiB: 64, cpuLimitMillis: 100, memoryLimitMiB: 64 },
  autoscaling: { maxReplicas: 4, cpuTargetPercent: 70 },
  environments: test ? ['production', 'test'] : ['production'],
});

/** Stack of every site, by name. */
function assignment(sites: SiteSpec[], sitesPerShard: number, environment: 'production' | 'test' = 'production'): Map<string, string> {
  const where = new Map<string, string>();
  for (const shard of shardsOf({ sites, sitesPerShard }, environment)) {
    for (const s of shard.sites) where.set(s.name, shard.stackName);
  }
  return where;
}

test('shard NN = ceil(id / sitesPerShard), two digits at least', () => {
  expect([1, 200, 201, 400, 401, 19800, 19801].map((id) => shardStackName('production', shardNumberOf(id, 200)))).toEqual([
    'production-sites-01',
    'production-sites-01',
    'production-sites-02',
    'production-sites-02',
    'production-sites-03',
    'production-sites-99',
    'production-sites-100',
  ]);
  expect(() => shardNumberOf(0, 200)).toThrow(/site id must be a whole number of 1 or more, got 0/);
});

describe.each([
  [1, 200],
  [2, 50],
  [3, 7],
])('on generated catalogs (seed %i, %i sites per shard)', (seed, perShard) => {
  const next = random(seed);
  let nextId = 1;
  let sites: SiteSpec[] = [];
  const add = (n: number) => {
    for (let i = 0; i < n; i++) sites.push(site(nextId++, next() < 0.1));
  };
  add(1500);

  test('adding and removing sites never moves another site, and no shard outgrows its bound', () => {
    for (let round = 0; round < 20; round++) {
      const before = assignment(sites, perShard);
      const beforeTest = assignment(sites, perShard, 'test');
      // Remove a random tenth, shuffle the order, add new sites with the next ids.
      const removed = new Set(sites.filter(() => next() < 0.1).map((s) => s.name));
      sites = sites.filter((s) => !removed.has(s.name)).sort(() => next() - 0.5);
      add(Math.floor(next() * 300));
      const after = assignment(sites, perShard);
      for (const [name, stack] of before) {
        if (!removed.has(name)) expect(after.get(name)).toBe(stack);
      }
      for (const [name, stack] of assignment(sites, perShard, 'test')) {
        if (beforeTest.has(name)) expect(stack).toBe(beforeTest.get(name));
      }
      for (const shard of shardsOf({ sites, sitesPerShard: perShard }, 'production')) {
        expect(shard.sites.length).toBeLessThanOrEqual(perShard);
        expect(shard.sites.length).toBeGreaterThan(0);
      }
    }
  });

  test('every site is in exactly one shard per environment it runs in', () => {
    const production = shardsOf({ sites, sitesPerShard: perShard }, 'production').flatMap((s) => s.sites.map((x) => x.id));
    expect(production.sort((a, b) => a - b)).toEqual(sites.map((s) => s.id).sort((a, b) => a - b));
    const test = shardsOf({ sites, sitesPerShard: perShard }, 'test').flatMap((s) => s.sites);
    expect(test.every((s) => s.environments.includes('test'))).toBe(true);
    expect(test).toHaveLength(sites.filter((s) => s.environments.includes('test')).length);
  });
});

test('a site has the same shard number in test as in production', () => {
  const sites = [site(1, true), site(250, true), site(420)];
  expect(shardsOf({ sites, sitesPerShard: 200 }, 'test').map((s) => s.stackName)).toEqual(['test-sites-01', 'test-sites-02']);
  expect(shardsOf({ sites, sitesPerShard: 200 }, 'production').map((s) => s.stackName)).toEqual([
    'production-sites-01',
    'production-sites-02',
    'production-sites-03',
  ]);
});
