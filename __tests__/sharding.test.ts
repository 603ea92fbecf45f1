import { shardNotices, shardNumberOf, shardsOf, shardStackName, type ShardedCatalog } from '../lib/sites/sharding';
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

/** A catalog of these sites whose highest id ever given is the highest listed, unless given. */
const catalogOf = (sites: SiteSpec[], sitesPerShard: number, more: Partial<ShardedCatalog> = {}): ShardedCatalog => ({
  sites,
  sitesPerShard,
  highestSiteIdEver: Math.max(0, ...sites.map((s) => s.id)),
  retiredShards: [],
  ...more,
});

/** Stack of every site, by name. */
function assignment(
  sites: SiteSpec[],
  sitesPerShard: number,
  environment: 'production' | 'test' = 'production',
  highestSiteIdEver?: number,
): Map<string, string> {
  const where = new Map<string, string>();
  for (const shard of shardsOf(catalogOf(sites, sitesPerShard, highestSiteIdEver === undefined ? {} : { highestSiteIdEver }), environment)) {
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
      // Every shard up to the highest id ever given is still there, emptied or not: none vanishes with its state.
      const shards = shardsOf(catalogOf(sites, perShard, { highestSiteIdEver: nextId - 1 }), 'production');
      expect(shards.map((shard) => shard.number)).toEqual(Array.from({ length: Math.ceil((nextId - 1) / perShard) }, (_, i) => i + 1));
      for (const shard of shards) expect(shard.sites.length).toBeLessThanOrEqual(perShard);
    }
  });

  test('every site is in exactly one shard per environment it runs in', () => {
    const production = shardsOf(catalogOf(sites, perShard), 'production').flatMap((s) => s.sites.map((x) => x.id));
    expect(production.sort((a, b) => a - b)).toEqual(sites.map((s) => s.id).sort((a, b) => a - b));
    const test = shardsOf(catalogOf(sites, perShard), 'test').flatMap((s) => s.sites);
    expect(test.every((s) => s.environments.includes('test'))).toBe(true);
    expect(test).toHaveLength(sites.filter((s) => s.environments.includes('test')).length);
  });
});

test('a site has the same shard number in test as in production', () => {
  const sites = [site(1, true), site(250, true), site(420)];
  const shards = (environment: 'production' | 'test') => shardsOf(catalogOf(sites, 200), environment);
  expect(shards('production').map((s) => [s.stackName, s.sites.map((x) => x.id)])).toEqual([
    ['production-sites-01', [1]],
    ['production-sites-02', [250]],
    ['production-sites-03', [420]],
  ]);
  // Test runs ids 1 and 250; its shard 03 may have held 420 once (synth cannot know), so it is there, empty.
  expect(shards('test').map((s) => [s.stackName, s.sites.map((x) => x.id)])).toEqual([
    ['test-sites-01', [1]],
    ['test-sites-02', [250]],
    ['test-sites-03', []],
  ]);
});

describe('a shard whose sites are all removed', () => {
  // Shard 02 (ids 201-400) held 250 and 300; both are removed, 420 is the highest id listed.
  const before = [site(1), site(250), site(300), site(420)];
  const after = before.filter((s) => s.id !== 250 && s.id !== 300);

  test('stays, empty, so that its plan destroys what its state holds', () => {
    expect(shardsOf(catalogOf(after, 200), 'production').map((s) => [s.stackName, s.sites.length])).toEqual([
      ['production-sites-01', 1],
      ['production-sites-02', 0],
      ['production-sites-03', 1],
    ]);
  });

  test('stays when it was the last one: highestSiteIdEver remembers its ids', () => {
    const lastRemoved = before.filter((s) => s.id !== 420);
    expect(shardsOf(catalogOf(lastRemoved, 200, { highestSiteIdEver: 420 }), 'production').map((s) => s.stackName)).toEqual([
      'production-sites-01',
      'production-sites-02',
      'production-sites-03',
    ]);
    // Every site removed: the shards are still there, all empty.
    expect(shardsOf(catalogOf([], 200, { highestSiteIdEver: 420 }), 'production').map((s) => s.sites.length)).toEqual([0, 0, 0]);
    expect(shardsOf(catalogOf([], 200, { highestSiteIdEver: 0 }), 'production')).toEqual([]);
  });

  test('goes once it is listed in retiredShards, in that environment only', () => {
    const retired = catalogOf(after, 200, { retiredShards: ['production-sites-02', 'test-sites-03'] });
    expect(shardsOf(retired, 'production').map((s) => s.stackName)).toEqual(['production-sites-01', 'production-sites-03']);
    expect(shardsOf(retired, 'test').map((s) => s.stackName)).toEqual(['test-sites-01', 'test-sites-02']);
  });

  test('synth says what became of it, and of the retired ones', () => {
    expect(shardNotices(catalogOf(after, 200), ['production'])).toEqual([
      'production-sites-02: no sites; synthesized empty, so its plan destroys whatever its state still holds; ' +
        'once that is applied, add it to retiredShards in the sites catalog to stop planning it',
    ]);
    expect(shardNotices(catalogOf(after, 200, { retiredShards: ['test-sites-02', 'production-sites-02'] }), ['production'])).toEqual([
      'retired (retiredShards, not synthesized; their states are kept): production-sites-02, test-sites-02',
    ]);
    expect(shardNotices(catalogOf(before, 200), ['production'])).toEqual([]);
  });
});
