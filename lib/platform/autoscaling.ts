import { environmentNames, type PlatformConfig } from '../config';

/**
 * What synth says about each autoscaled pool (README, "Node autoscaling"):
 * OpenTofu makes the floor (minNodes) in the cluster stack; the growth up to
 * maxNodes is the cluster side the environment's platform stack deploys
 * (Cluster API, CAPO and cluster-autoscaler, lib/platform/node-autoscaling.ts),
 * which the project's checks validate against its pinned sources but have not
 * run against an OpenStack cloud. The notice says both, so that nobody takes
 * the range for proven.
 */
export function autoscalingNotices(config: PlatformConfig): string[] {
  return environmentNames(config).flatMap((environment) =>
    config.environments[environment].agentPools.flatMap((pool, index) =>
      pool.autoscaling
        ? [
            `warning: environments.${environment}.agentPools[${index}] (${pool.name}): autoscaling ${pool.autoscaling.minNodes} to ${pool.autoscaling.maxNodes}: ` +
              `OpenTofu makes the ${pool.autoscaling.minNodes} nodes of the floor (${environment}); the nodes above it come from Cluster API, CAPO and the cluster-autoscaler ` +
              `that ${environment}-platform deploys, which are checked against their pinned sources but not yet proven against an OpenStack cloud: ` +
              `watch the first scale-up (README, Node autoscaling)`,
          ]
        : [],
    ),
  );
}
