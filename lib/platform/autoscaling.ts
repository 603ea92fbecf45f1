import { ENVIRONMENT_NAMES, type PlatformConfig } from '../config';

/**
 * What synth says about autoscaled pools while their cloud side is not part
 * of the platform stacks yet (README, "Node autoscaling": the route is Cluster
 * API in each cluster with the OpenStack provider and cluster-autoscaler's
 * clusterapi provider). Until then OpenTofu makes each pool's floor
 * (minNodes), cost and capacity count the pool up to maxNodes, and nothing in
 * the cluster adds nodes: the notice says so, so that nobody believes the
 * range is live.
 */
export function autoscalingNotices(config: PlatformConfig): string[] {
  return ENVIRONMENT_NAMES.flatMap((environment) =>
    config.environments[environment].agentPools.flatMap((pool, index) =>
      pool.autoscaling
        ? [
            `warning: environments.${environment}.agentPools[${index}] (${pool.name}): autoscaling ${pool.autoscaling.minNodes} to ${pool.autoscaling.maxNodes}: ` +
              `OpenTofu makes the ${pool.autoscaling.minNodes} nodes of the floor; the cluster side that adds nodes (Cluster API and cluster-autoscaler) ` +
              `is not deployed by this version, so the pool stays at ${pool.autoscaling.minNodes} until it is (cost and capacity already count up to ${pool.autoscaling.maxNodes})`,
          ]
        : [],
    ),
  );
}
