import { App } from 'cdktf';
import { ConfigError, loadPlatformConfig } from './lib/config';
import { buildPlatform } from './stacks';

try {
  const { config } = loadPlatformConfig();
  // Stack traces on tokens cost most of the synth time and add nothing to the JSON.
  const app = new App({ stackTraces: false });
  buildPlatform(app, config);
  app.synth();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
