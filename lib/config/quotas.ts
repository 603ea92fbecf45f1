import { FLAVOR_PATTERN } from './infomaniak';

/**
 * Infomaniak's default project quotas (the quotas page of docs.infomaniak.cloud,
 * as collected in the shared cloud notes): what a new project may hold before
 * Infomaniak raises a limit on request. Only the figures that node pools consume.
 */
export const INFOMANIAK_DEFAULT_QUOTAS = {
  instances: 50,
  cores: 200,
  ramGiB: 1024,
  volumes: 100,
  volumeGiB: 10_000,
} as const;

export type ProjectQuotas = { readonly [K in keyof typeof INFOMANIAK_DEFAULT_QUOTAS]: number };

/** What one node pool holds in the project at its largest (a fixed pool's count, an autoscaled pool's maxNodes). */
interface PoolAtMost {
  readonly nodes: number;
  readonly flavor: string;
  readonly bootVolumeGiB: number;
}

/** The parts of the config the quota check reads. */
export interface QuotaInput {
  readonly quotas: ProjectQuotas;
  /** The region these environments share, named in the messages when the config uses more than one. */
  readonly region?: string;
  readonly environments: Readonly<
    Record<
      string,
      {
        readonly servers: { readonly count: number; readonly flavor: string; readonly bootVolume: { readonly sizeGiB: number } };
        readonly agentPools: readonly {
          readonly count: number;
          readonly autoscaling?: { readonly maxNodes: number };
          readonly flavor: string;
          readonly bootVolume: { readonly sizeGiB: number };
        }[];
      }
    >
  >;
}

const UNITS: Record<keyof ProjectQuotas, string> = {
  instances: 'instances',
  cores: 'vCPUs',
  ramGiB: 'GiB of RAM',
  volumes: 'volumes',
  volumeGiB: 'GiB of volumes',
};

/**
 * The project's quotas against every node of every environment at its largest:
 * all clusters of a region share one Infomaniak project's quota there (each
 * region counts on its own; the caller groups them), and an autoscaler that meets
 * a quota fails to create a node at the moment of a load peak, so the sum of
 * the maxima must fit before anything is applied. Returns one message per
 * exceeded quota, naming the figures and the fix (empty: it fits). Boot volumes
 * only: volumes that workloads claim (Cinder CSI) come on top.
 */
export function quotaProblems(input: QuotaInput): { quota: keyof ProjectQuotas; message: string }[] {
  const pools: PoolAtMost[] = Object.values(input.environments).flatMap((env) => [
    { nodes: env.servers.count, flavor: env.servers.flavor, bootVolumeGiB: env.servers.bootVolume.sizeGiB },
    ...env.agentPools.map((p) => ({ nodes: p.autoscaling?.maxNodes ?? p.count, flavor: p.flavor, bootVolumeGiB: p.bootVolume.sizeGiB })),
  ]);
  const used: Record<keyof ProjectQuotas, number> = { instances: 0, cores: 0, ramGiB: 0, volumes: 0, volumeGiB: 0 };
  for (const pool of pools) {
    const match = FLAVOR_PATTERN.exec(pool.flavor);
    // A malformed flavor is reported by its own field; it adds nothing here.
    if (!match) continue;
    used.instances += pool.nodes;
    used.cores += pool.nodes * Number(match[1]);
    used.ramGiB += pool.nodes * Number(match[2]);
    used.volumes += pool.nodes;
    used.volumeGiB += pool.nodes * pool.bootVolumeGiB;
  }
  return (Object.keys(used) as (keyof ProjectQuotas)[])
    .filter((quota) => used[quota] > input.quotas[quota])
    .map((quota) => ({
      quota,
      message:
        `the nodes of all environments${input.region === undefined ? '' : ` in ${input.region}`} at their largest (fixed pools at count, autoscaled pools at maxNodes, servers) ` +
        `need ${used[quota]} ${UNITS[quota]}, over the project's quota of ${input.quotas[quota]}; lower a count or maxNodes, ` +
        `or have Infomaniak raise the quota and set cloud.quotas.${quota} to it`,
    }));
}
