import { App } from 'cdktf';
import { GuardrailViolationError } from './lib/aspects';
import { ConfigError, configWarnings, debugRequested, loadPlatformConfig } from './lib/config';
import { CostEstimateError, summarizeStacks } from './lib/cost';
import {
  describeFailure,
  nextSteps,
  OutputScanError,
  requestedStacks,
  selectStacks,
  StackSelectionError,
  synthesizeAtomically,
  traceOf,
} from './lib/output';
import { autoscalingNotices } from './lib/platform/autoscaling';
import { capacityReport } from './lib/sites/capacity';
import { siteEnvironments } from './lib/config';
import { catalogOptionsOf, loadSitesCatalog, SitesCatalogError } from './lib/sites/catalog';
import { shardNotices } from './lib/sites/sharding';
import { buildPlatform, platformStackNames } from './stacks';

const inputs: string[] = [];
try {
  // `--stack a,b`: only those stacks are built (with the stacks they read) and written.
  const requested = requestedStacks(process.argv.slice(2));
  const { file, config } = loadPlatformConfig();
  inputs.push(file);
  // The catalog is checked against the platform config: its registries and the hosts the platform keeps.
  const { file: catalogFile, catalog } = loadSitesCatalog(catalogOptionsOf(config));
  inputs.push(catalogFile);
  // The catalog's minimum must fit the agent pools at their maximum; above 80% synth warns.
  const capacity = capacityReport(config, catalog, catalogFile);
  if (capacity.problems.length > 0) throw new SitesCatalogError(catalogFile, capacity.problems);
  // On stdout, as the config warnings: cdktf synth shows an app's stderr as errors.
  for (const line of [...capacity.warnings.map((w) => `warning: ${w}`), ...autoscalingNotices(config)]) console.log(line);
  const only = requested && selectStacks(requested, platformStackNames(config, catalog));
  // Synthesizes into a sibling directory and swaps it in only when every check passed.
  const stale: string[] = [];
  const written = synthesizeAtomically(
    (outdir) => {
      // Stack traces on tokens cost most of the synth time and add nothing to the JSON.
      const app = new App({ stackTraces: false, outdir });
      buildPlatform(app, config, catalog, { onlyShards: only });
      return app;
    },
    { onStaleStack: (stack) => stale.push(stack), stacks: only },
  );
  // The cost table reads every stack of the output: not worth it when only some were written.
  if (only === undefined) console.log(summarizeStacks(written));
  else console.log('Cost estimate of the whole output: npm run cost');
  // What became of the shards without sites, and of folders of stacks no longer in the app.
  for (const line of shardNotices(catalog, siteEnvironments(config))) console.log(line);
  for (const stack of stale) console.log(`${stack}: no longer synthesized; its folder is removed from the output (its state is kept)`);
  // Warnings on stdout: the synth succeeded (cdktf synth shows an app's stderr as errors).
  for (const line of configWarnings(file, config)) console.log(line);
  for (const line of nextSteps(written, undefined, only)) console.log(line);
} catch (err) {
  // Errors of the input or the checks: their message says what to fix. Anything else: one line, the trace on request.
  const known = [ConfigError, GuardrailViolationError, OutputScanError, CostEstimateError, StackSelectionError];
  const debug = debugRequested();
  if (err instanceof Error && known.some((kind) => err instanceof kind)) {
    console.error(err.message);
    if (debug && err.cause !== undefined) console.error(traceOf(err.cause));
  } else console.error(describeFailure(err, { inputs, debug }));
  process.exit(1);
}
