import { App } from 'cdktf';
import { GuardrailViolationError } from './lib/aspects';
import { ConfigError, loadPlatformConfig } from './lib/config';
import { CostEstimateError, summarizeStacks } from './lib/cost';
import { OutputScanError, synthesizeAtomically } from './lib/output';
import { autoscalingNotices } from './lib/platform/autoscaling';
import { capacityReport } from './lib/sites/capacity';
import { catalogOptionsOf, loadSitesCatalog, SITE_ENVIRONMENTS, SitesCatalogError } from './lib/sites/catalog';
import { shardNotices } from './lib/sites/sharding';
import { buildPlatform } from './stacks';

try {
  const { config } = loadPlatformConfig();
  // The catalog is checked against the platform config: its registries and the hosts the platform keeps.
  const { catalog, file: catalogFile } = loadSitesCatalog(catalogOptionsOf(config));
  // The catalog's minimum must fit the agent pools at their maximum; above 80% synth warns.
  const capacity = capacityReport(config, catalog, catalogFile);
  if (capacity.problems.length > 0) throw new SitesCatalogError(catalogFile, capacity.problems);
  for (const line of [...capacity.warnings.map((w) => `warning: ${w}`), ...autoscalingNotices(config)]) console.warn(line);
  // Synthesizes into a sibling directory and swaps it in only when every check passed.
  const stale: string[] = [];
  const written = synthesizeAtomically(
    (outdir) => {
      // Stack traces on tokens cost most of the synth time and add nothing to the JSON.
      const app = new App({ stackTraces: false, outdir });
      buildPlatform(app, config, catalog);
      return app;
    },
    { onStaleStack: (stack) => stale.push(stack) },
  );
  console.log(summarizeStacks(written));
  // What became of the shards without sites, and of folders of stacks no longer in the app.
  for (const line of shardNotices(catalog, SITE_ENVIRONMENTS)) console.log(line);
  for (const stack of stale) console.log(`${stack}: no longer synthesized; its folder is removed from the output (its state is kept)`);
} catch (err) {
  // Errors of the input or the checks: their message says what to fix.
  const known = [ConfigError, GuardrailViolationError, OutputScanError, CostEstimateError];
  if (!(err instanceof Error) || !known.some((kind) => err instanceof kind)) throw err;
  console.error(err.message);
  process.exit(1);
}
