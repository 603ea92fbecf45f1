import type { App } from 'cdktf';
import { addGuardrails } from '../lib/aspects';
import { ENVIRONMENT_NAMES, type PlatformConfig } from '../lib/config';
import { SITE_ENVIRONMENTS, shardsOf, type SitesCatalog } from '../lib/sites';
import { ClusterStack } from './cluster-stack';
import { buildPlatformStacks, type PlatformStack } from './platform';
import { SitesStack } from './sites-stack';

export { ClusterStack } from './cluster-stack';
export { SitesStack } from './sites-stack';
export { PlatformStack, buildPlatformStacks } from './platform';

/** Every stack of the platform, keyed by stack name. */
export interface PlatformStacks {
  readonly clusters: Readonly<Record<(typeof ENVIRONMENT_NAMES)[number], ClusterStack>>;
  /** Each environment's platform layer (`<env>-platform`), reading its cluster stack's outputs. */
  readonly platform: Readonly<Record<(typeof ENVIRONMENT_NAMES)[number], PlatformStack>>;
  /** The sites shards of production and test, keyed by stack name (`production-sites-01`). */
  readonly sites: Readonly<Record<string, SitesStack>>;
}

/** A catalog without sites: the cluster stacks alone. */
export const NO_SITES: SitesCatalog = { sitesPerShard: 200, testDomain: 'test.webhost.ch', highestSiteIdEver: 0, retiredShards: [], sites: [] };

export interface BuildOptions {
  /**
   * Build only these sites shards (by stack name); the clusters and platform
   * layers are always built, as the shards read them and a cluster stack's
   * outputs are those its platform layer reads.
   * @default - every shard of the catalog
   */
  readonly onlyShards?: readonly string[];
}

/** The names of the stacks buildPlatform adds for this catalog, in the order it adds them. */
export function platformStackNames(catalog: SitesCatalog = NO_SITES): string[] {
  return [
    ...ENVIRONMENT_NAMES,
    ...ENVIRONMENT_NAMES.map((environment) => `${environment}-platform`),
    ...SITE_ENVIRONMENTS.flatMap((environment) => shardsOf(catalog, environment).map((shard) => shard.stackName)),
  ];
}

/** Adds every stack of the platform to the app: the clusters, their platform layers, then the sites shards of the catalog. */
export function buildPlatform(app: App, config: PlatformConfig, catalog: SitesCatalog = NO_SITES, options: BuildOptions = {}): PlatformStacks {
  const clusters = Object.fromEntries(
    ENVIRONMENT_NAMES.map((environment) => [
      environment,
      new ClusterStack(app, environment, {
        platformName: config.platform.name,
        state: config.state,
        environment,
        cloud: config.cloud,
        cluster: config.environments[environment],
      }),
    ]),
  ) as PlatformStacks['clusters'];
  const platform = buildPlatformStacks(app, config, clusters, config.platformLayer);
  const sites: Record<string, SitesStack> = {};
  for (const environment of SITE_ENVIRONMENTS) {
    for (const shard of shardsOf(catalog, environment)) {
      if (options.onlyShards !== undefined && !options.onlyShards.includes(shard.stackName)) continue;
      sites[shard.stackName] = new SitesStack(app, shard.stackName, {
        state: config.state,
        cloud: config.cloud,
        cluster: clusters[environment],
        platform: platform[environment],
        shard,
        testDomain: catalog.testDomain,
      });
    }
  }
  addGuardrails(app, config); // after the last stack: every stack is checked at synth
  return { clusters, platform, sites };
}
