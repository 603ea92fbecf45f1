import { App, Testing } from 'cdktf';
import { loadPlatformConfig, type PlatformConfig } from '../../lib/config';
import type { SitesCatalog } from '../../lib/sites/catalog';
import { buildPlatform, NO_SITES, type PlatformStacks } from '../../stacks';

export interface SynthesizedPlatform {
  readonly stacks: PlatformStacks;
  /** Synthesized JSON of every stack, by stack name. */
  readonly json: Record<string, any>;
}

/**
 * Builds every stack from `config` (default: the embedded config) and `catalog`
 * (default: no sites, the cluster stacks alone) and synthesizes each.
 */
export function synthPlatform(
  config: PlatformConfig = loadPlatformConfig({}).config,
  catalog: SitesCatalog = NO_SITES,
): SynthesizedPlatform {
  const app: App = Testing.app({ stackTraces: false });
  const stacks = buildPlatform(app, config, catalog);
  const json = Object.fromEntries(
    app.node.children
      .filter((child): child is import('cdktf').TerraformStack => 'toTerraform' in child)
      .map((stack) => [stack.node.id, JSON.parse(Testing.synth(stack))]),
  );
  return { stacks, json };
}
