import type { App } from 'cdktf';
import { addGuardrails } from '../lib/aspects';
import { ENVIRONMENT_NAMES, type PlatformConfig } from '../lib/config';
import { ClusterStack } from './cluster-stack';

export { ClusterStack } from './cluster-stack';

/** Every stack of the platform, keyed by stack name. */
export interface PlatformStacks {
  readonly clusters: Readonly<Record<(typeof ENVIRONMENT_NAMES)[number], ClusterStack>>;
}

/** Adds every stack of the platform to the app. */
export function buildPlatform(app: App, config: PlatformConfig): PlatformStacks {
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
  addGuardrails(app, config); // after the last stack: every stack is checked at synth
  return { clusters };
}
