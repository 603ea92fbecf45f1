import { App } from 'cdktf';
import { GuardrailViolationError } from './lib/aspects';
import { ConfigError, loadPlatformConfig } from './lib/config';
import { CostEstimateError, summarizeStacks } from './lib/cost';
import { OutputScanError, synthesizeAtomically } from './lib/output';
import { loadSitesCatalog } from './lib/sites/catalog';
import { buildPlatform } from './stacks';

try {
  const { config } = loadPlatformConfig();
  const { catalog } = loadSitesCatalog({ allowedRegistries: config.guardrails.allowedRegistries });
  // Synthesizes into a sibling directory and swaps it in only when every check passed.
  const written = synthesizeAtomically((outdir) => {
    // Stack traces on tokens cost most of the synth time and add nothing to the JSON.
    const app = new App({ stackTraces: false, outdir });
    buildPlatform(app, config, catalog);
    return app;
  });
  console.log(summarizeStacks(written));
} catch (err) {
  // Errors of the input or the checks: their message says what to fix.
  const known = [ConfigError, GuardrailViolationError, OutputScanError, CostEstimateError];
  if (!(err instanceof Error) || !known.some((kind) => err instanceof kind)) throw err;
  console.error(err.message);
  process.exit(1);
}
