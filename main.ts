import { App } from 'cdktf';
import { GuardrailViolationError } from './lib/aspects';
import { ConfigError, configWarnings, debugRequested, loadPlatformConfig } from './lib/config';
import { CostEstimateError, summarizeStacks } from './lib/cost';
import { describeFailure, nextSteps, OutputScanError, synthesizeAtomically, traceOf } from './lib/output';
import { catalogOptionsOf, loadSitesCatalog } from './lib/sites/catalog';
import { buildPlatform } from './stacks';

const inputs: string[] = [];
try {
  const { file, config } = loadPlatformConfig();
  inputs.push(file);
  // The catalog is checked against the platform config: its registries and the hosts the platform keeps.
  const { file: catalogFile, catalog } = loadSitesCatalog(catalogOptionsOf(config));
  inputs.push(catalogFile);
  // Synthesizes into a sibling directory and swaps it in only when every check passed.
  const written = synthesizeAtomically((outdir) => {
    // Stack traces on tokens cost most of the synth time and add nothing to the JSON.
    const app = new App({ stackTraces: false, outdir });
    buildPlatform(app, config, catalog);
    return app;
  });
  console.log(summarizeStacks(written));
  // Warnings on stdout: the synth succeeded (cdktf synth shows an app's stderr as errors).
  for (const line of configWarnings(file, config)) console.log(line);
  for (const line of nextSteps(written)) console.log(line);
} catch (err) {
  // Errors of the input or the checks: their message says what to fix. Anything else: one line, the trace on request.
  const known = [ConfigError, GuardrailViolationError, OutputScanError, CostEstimateError];
  const debug = debugRequested();
  if (err instanceof Error && known.some((kind) => err instanceof kind)) {
    console.error(err.message);
    if (debug && err.cause !== undefined) console.error(traceOf(err.cause));
  } else console.error(describeFailure(err, { inputs, debug }));
  process.exit(1);
}
