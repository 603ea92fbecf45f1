import { App } from 'cdktf';
import { GuardrailViolationError } from './lib/aspects';
import { ConfigError, loadPlatformConfig } from './lib/config';
import { OutputScanError, synthesizeAtomically } from './lib/output';
import { buildPlatform } from './stacks';

try {
  const { config } = loadPlatformConfig();
  // Synthesizes into a sibling directory and swaps it in only when every check passed.
  synthesizeAtomically((outdir) => {
    // Stack traces on tokens cost most of the synth time and add nothing to the JSON.
    const app = new App({ stackTraces: false, outdir });
    buildPlatform(app, config);
    return app;
  });
} catch (err) {
  if (!(err instanceof ConfigError || err instanceof GuardrailViolationError || err instanceof OutputScanError)) throw err;
  console.error(err.message);
  process.exit(1);
}
