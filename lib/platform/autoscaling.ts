import { environmentNames, type PlatformConfig } from '../config';

/**
 * What synth says about each autoscaled pool (README, "Node autoscaling"):
 * OpenTofu makes the floor (minNodes) in the cluster stack; the growth up to
 * maxNodes is the cluster side the environment's platform stack deploys
 * (Cluster API, CAPO and cluster-autoscaler, lib/platform/node-autoscaling.ts),
 * whose Cluster API and CAPO part has run against the test cloud
 * (scripts/check-capo-cloud.sh) but whose autoscaler has not run anywhere, nor
 * anything on Infomaniak's cloud. The notice says both, so that nobody takes
 * the range for proven.
 */
export function autoscalingNotices(config: PlatformConfig): string[] {
  return environmentNames(config).flatMap((environment) =>
    config.environments[environment].agentPools.flatMap((pool, index) =>
      pool.autoscaling
        ? [
            `warning: environments.${environment}.agentPools[${index}] (${pool.name}): autoscaling ${pool.autoscaling.minNodes} to ${pool.autoscaling.maxNodes}: ` +
              `OpenTofu makes the ${pool.autoscaling.minNodes} nodes of the floor (${environment}); the nodes above it come from Cluster API, CAPO and the cluster-autoscaler ` +
              `that ${environment}-platform deploys; Cluster API and CAPO have created and deleted such a node on a test OpenStack cloud (npm run check:capo-cloud), ` +
              `but the cluster-autoscaler's own scale-up and Infomaniak's cloud are not proven yet: watch the first scale-up (README, Node autoscaling)`,
          ]
        : [],
    ),
  );
}
