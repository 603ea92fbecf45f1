import { App, Testing, type TerraformStack } from 'cdktf';
import { loadPlatformConfig, type PlatformConfig } from '../../lib/config';
import type { SitesCatalog } from '../../lib/sites/catalog';
import { buildPlatform, NO_SITES, type PlatformStacks } from '../../stacks';

export interface SynthesizedPlatform {
  readonly app: App;
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
  const all = app.node.children.filter((child): child is TerraformStack => 'toTerraform' in child);
  // What app.synth() does first: turn cross-stack references (platform -> cluster)
  // into outputs and terraform_remote_state lookups.
  all.forEach((stack) => stack.prepareStack());
  const json = Object.fromEntries(all.map((stack) => [stack.node.id, JSON.parse(Testing.synth(stack))]));
  return { app, stacks, json };
}
