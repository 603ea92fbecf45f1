import type { SiteEnvironment, SiteSpec, SitesCatalog } from './catalog';

/**
 * The shard (sites stack) of a site: `<environment>-sites-NN` with
 * NN = ceil(id / sitesPerShard), zero-padded to two digits.
 *
 * Stable by construction: the shard depends on the site's own immutable id
 * only, so adding or removing other sites never moves it; at most
 * sitesPerShard ids map to one shard, so no state grows past that bound. A
 * removed site leaves a hole that is never refilled (ids are not reused).
 */
export function shardNumberOf(id: number, sitesPerShard: number): number {
  if (!Number.isInteger(id) || id < 1) throw new Error(`site id must be a whole number of 1 or more, got ${id}`);
  if (!Number.isInteger(sitesPerShard) || sitesPerShard < 1) {
    throw new Error(`sitesPerShard must be a whole number of 1 or more, got ${sitesPerShard}`);
  }
  return Math.ceil(id / sitesPerShard);
}

/** Stack name of a shard: `production-sites-01`; past 99 shards the number simply grows (`-100`). */
export function shardStackName(environment: SiteEnvironment, shard: number): string {
  return `${environment}-sites-${String(shard).padStart(2, '0')}`;
}

/** One sites stack to build: its name and its sites, by ascending id. */
export interface Shard {
  readonly environment: SiteEnvironment;
  readonly number: number;
  readonly stackName: string;
  readonly sites: readonly SiteSpec[];
}

/** The shards of one environment, by ascending number; shards without a site are left out. */
export function shardsOf(catalog: Pick<SitesCatalog, 'sites' | 'sitesPerShard'>, environment: SiteEnvironment): Shard[] {
  const byNumber = new Map<number, SiteSpec[]>();
  for (const site of catalog.sites) {
    if (!site.environments.includes(environment)) continue;
    const n = shardNumberOf(site.id, catalog.sitesPerShard);
    let sites = byNumber.get(n);
    if (!sites) byNumber.set(n, (sites = []));
    sites.push(site);
  }
  return [...byNumber.entries()]
    .sort(([a], [b]) => a - b)
    .map(([number, sites]) => ({
      environment,
      number,
      stackName: shardStackName(environment, number),
      sites: sites.sort((a, b) => a.id - b.id),
    }));
}
