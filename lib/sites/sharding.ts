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

/** The image a site runs in an environment: the environment's own when the catalog names one (images, or testImage for test), else image. */
export function imageOf(site: Pick<SiteSpec, 'image' | 'images' | 'testImage'>, environment: SiteEnvironment): string {
  return site.images?.[environment] ?? (environment === 'test' ? site.testImage : undefined) ?? site.image;
}

/** One sites stack to build: its name and its sites, by ascending id. */
export interface Shard {
  readonly environment: SiteEnvironment;
  readonly number: number;
  readonly stackName: string;
  /**
   * Its sites, by ascending id, each as it runs in this environment: its
   * `image` is the environment's ({@link imageOf}). Empty for a shard whose sites were all removed
   * (or that never had one in this environment): it is still synthesized, with
   * its backend, provider and remote state but no resources, so that its plan
   * destroys whatever its state holds.
   */
  readonly sites: readonly SiteSpec[];
}

/** What the sharding reads of a catalog. */
export type ShardedCatalog = Pick<SitesCatalog, 'sites' | 'sitesPerShard' | 'highestSiteIdEver' | 'retiredShards'>;

/**
 * The shards of one environment, by ascending number: every shard from 01 to
 * the one of `highestSiteIdEver`, the highest id ever given, except the
 * retired ones. Synth cannot read the states, so a shard is kept for as long
 * as it may hold resources: removing the last site of a shard leaves an empty
 * stack (its plan destroys the site's resources), never a stack that vanishes
 * with its state still holding them. It goes only when the catalog lists it in
 * `retiredShards`.
 */
export function shardsOf(catalog: ShardedCatalog, environment: SiteEnvironment): Shard[] {
  const byNumber = new Map<number, SiteSpec[]>();
  const highest = catalog.sites.reduce((max, site) => Math.max(max, site.id), catalog.highestSiteIdEver);
  const count = highest === 0 ? 0 : shardNumberOf(highest, catalog.sitesPerShard);
  for (let n = 1; n <= count; n++) byNumber.set(n, []);
  for (const site of catalog.sites) {
    if (!site.environments.includes(environment)) continue;
    const image = imageOf(site, environment);
    byNumber.get(shardNumberOf(site.id, catalog.sitesPerShard))!.push(image === site.image ? site : { ...site, image });
  }
  const retired = new Set(catalog.retiredShards);
  return [...byNumber.entries()]
    .map(([number, sites]) => ({
      environment,
      number,
      stackName: shardStackName(environment, number),
      sites: sites.sort((a, b) => a.id - b.id),
    }))
    .filter((shard) => !retired.has(shard.stackName));
}

/**
 * What synth says about the shards that hold no site, one line each, and the
 * retired ones in one line: an emptied shard's plan destroys what its state
 * still holds, and it is planned until it is retired.
 */
export function shardNotices(catalog: ShardedCatalog, environments: readonly SiteEnvironment[]): string[] {
  const empty = environments.flatMap((environment) => shardsOf(catalog, environment).filter((shard) => shard.sites.length === 0));
  const lines = empty.map(
    (shard) =>
      `${shard.stackName}: no sites; synthesized empty, so its plan destroys whatever its state still holds; ` +
      'once that is applied, add it to retiredShards in the sites catalog to stop planning it',
  );
  if (catalog.retiredShards.length > 0) {
    lines.push(`retired (retiredShards, not synthesized; their states are kept): ${[...catalog.retiredShards].sort().join(', ')}`);
  }
  return lines;
}
