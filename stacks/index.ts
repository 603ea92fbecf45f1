import type { App } from 'cdktf';
import { addGuardrails } from '../lib/aspects';
import { environmentNames, siteEnvironments, type EnvironmentName, type PlatformConfig } from '../lib/config';
import { servedPreviewDomain, shardsOf, type SitesCatalog } from '../lib/sites';
import { ClusterStack } from './cluster-stack';
import { buildPlatformStacks, type PlatformStack } from './platform';
import { SitesStack } from './sites-stack';

export { ClusterStack } from './cluster-stack';
export { SitesStack } from './sites-stack';
export { PlatformStack, buildPlatformStacks } from './platform';

/** Every stack of the platform, keyed by stack name. */
export interface PlatformStacks {
  /** Each environment's cluster (`<env>`), in the config's order. */
  readonly clusters: Readonly<Record<EnvironmentName, ClusterStack>>;
  /** Each environment's platform layer (`<env>-platform`), reading its cluster stack's outputs. */
  readonly platform: Readonly<Record<EnvironmentName, PlatformStack>>;
  /** The sites shards of every sites environment, keyed by stack name (`production-sites-01`). */
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

/** The names of the stacks buildPlatform adds for this config and catalog, in the order it adds them. */
export function platformStackNames(config: PlatformConfig, catalog: SitesCatalog = NO_SITES): string[] {
  const environments = environmentNames(config);
  return [
    ...environments,
    ...environments.map((environment) => `${environment}-platform`),
    ...siteEnvironments(config).flatMap((environment) => shardsOf(catalog, environment).map((shard) => shard.stackName)),
  ];
}

/** Adds every stack of the platform to the app: the clusters, their platform layers, then the sites shards of the catalog. */
export function buildPlatform(app: App, config: PlatformConfig, catalog: SitesCatalog = NO_SITES, options: BuildOptions = {}): PlatformStacks {
  const clusters: PlatformStacks['clusters'] = Object.fromEntries(
    environmentNames(config).map((environment) => [
      environment,
      new ClusterStack(app, environment, {
        platformName: config.platform.name,
        state: config.state,
        environment,
        cloud: config.cloud,
        cluster: config.environments[environment],
      }),
    ]),
  );
  const platform = buildPlatformStacks(app, config, clusters, config.platformLayer);
  const sites: Record<string, SitesStack> = {};
  for (const environment of siteEnvironments(config)) {
    for (const shard of shardsOf(catalog, environment)) {
      if (options.onlyShards !== undefined && !options.onlyShards.includes(shard.stackName)) continue;
      sites[shard.stackName] = new SitesStack(app, shard.stackName, {
        state: config.state,
        cloud: config.cloud,
        cluster: clusters[environment],
        platform: platform[environment],
        shard,
        previewDomain: servedPreviewDomain(catalog, { name: environment, protected: config.environments[environment].protected }, shard),
      });
    }
  }
  addGuardrails(app, config); // after the last stack: every stack is checked at synth
  return { clusters, platform, sites };
}
