import type { App } from 'cdktf';
import { environmentNames, type EnvironmentName, type PlatformConfig } from '../lib/config';
import { DEFAULT_PLATFORM_LAYER_CONFIG, type PlatformLayerConfig } from '../lib/platform/config';
import type { ClusterStack } from './cluster-stack';
import { PlatformStack } from './platform-stack';

export { PlatformStack } from './platform-stack';

/**
 * Adds one `<env>-platform` stack per environment, each reading only its own
 * cluster stack. Call before addGuardrails, like every other stack.
 */
export function buildPlatformStacks(
  app: App,
  config: PlatformConfig,
  clusters: Readonly<Record<EnvironmentName, ClusterStack>>,
  layer: PlatformLayerConfig = DEFAULT_PLATFORM_LAYER_CONFIG,
): Readonly<Record<EnvironmentName, PlatformStack>> {
  return Object.fromEntries(
    environmentNames(config).map((environment) => [
      environment,
      new PlatformStack(app, `${environment}-platform`, {
        environment,
        environments: config.environments,
        state: config.state,
        cloud: config.cloud,
        cluster: config.environments[environment],
        clusterStack: clusters[environment],
        layer,
      }),
    ]),
  );
}
