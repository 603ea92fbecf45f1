import { FLAVOR_PATTERN, type AgentPoolConfig, type PlatformConfig } from '../config';
import { MAX_PODS_PER_NODE } from '../rke2/kubelet';
import { siteEnvironments } from '../config/environments';
import { MIN_REPLICAS, type SitesCatalog, type SiteSpec } from './catalog';

/**
 * What each agent node keeps for itself before sites get anything: the OS,
 * kubelet, containerd and RKE2's agent, the kubelet's eviction threshold, and
 * the platform's DaemonSet pods on every node (Cilium, kube-proxy, the Cinder
 * CSI node plugin, the Alloy telemetry agent). An estimate, not a measurement:
 * RKE2 sets no kube-reserved, so these requests are not enforced, only counted.
 */
export const NODE_RESERVE = { cpuMillis: 1000, memoryMiB: 2048, pods: 8 } as const;

/**
 * What the platform's own workloads on the agents take once per cluster:
 * Traefik (2+ replicas), cert-manager, CoreDNS, metrics-server, the
 * system-upgrade-controller's jobs, Alloy's collectors. Also an estimate.
 */
export const CLUSTER_RESERVE = { cpuMillis: 2000, memoryMiB: 4096, pods: 30 } as const;

/** Above this share of any resource at the pools' maximum, synth warns: a node loss or a roll has no room left. */
export const CAPACITY_WARNING_SHARE = 0.8;

type Resource = 'cpuMillis' | 'memoryMiB' | 'pods';
const RESOURCES: readonly Resource[] = ['cpuMillis', 'memoryMiB', 'pods'];
const WHAT: Record<Resource, string> = { cpuMillis: 'millicores of CPU requests', memoryMiB: 'MiB of memory requests', pods: 'pods' };

/** One pool as the check counts it. */
export interface PoolCapacity {
  readonly pool: string;
  readonly flavor: string;
  /** A fixed pool's count, an autoscaled pool's maxNodes. */
  readonly nodesAtMost: number;
  readonly autoscaled: boolean;
  /** Per node, after NODE_RESERVE; pods up to MAX_PODS_PER_NODE. */
  readonly perNode: Readonly<Record<Resource, number>>;
}

/** One environment's demand against its capacity. */
export interface EnvironmentCapacity {
  readonly environment: string;
  readonly sites: number;
  /** The catalog's minimum: every site at MIN_REPLICAS instances, their requests. */
  readonly demand: Readonly<Record<Resource, number>>;
  /** The pools that take sites (no NoSchedule or NoExecute taint) at their maximum, less CLUSTER_RESERVE. */
  readonly capacity: Readonly<Record<Resource, number>>;
  readonly pools: readonly PoolCapacity[];
}

export interface CapacityReport {
  readonly environments: readonly EnvironmentCapacity[];
  /** The catalog cannot fit: refuse it. `file: field: value: fix` lines. */
  readonly problems: readonly string[];
  /** It fits, but fills more than CAPACITY_WARNING_SHARE of something. */
  readonly warnings: readonly string[];
}

/** A pool sites can run on: none of its taints repels a pod without tolerations. */
function takesSites(pool: AgentPoolConfig): boolean {
  return !pool.taints.some((taint) => /:(NoSchedule|NoExecute)$/.test(taint));
}

function poolCapacity(pool: AgentPoolConfig): PoolCapacity | undefined {
  const match = FLAVOR_PATTERN.exec(pool.flavor);
  if (!match) return undefined;
  return {
    pool: pool.name,
    flavor: pool.flavor,
    nodesAtMost: pool.autoscaling?.maxNodes ?? pool.count,
    autoscaled: pool.autoscaling !== undefined,
    perNode: {
      cpuMillis: Math.max(0, Number(match[1]) * 1000 - NODE_RESERVE.cpuMillis),
      memoryMiB: Math.max(0, Number(match[2]) * 1024 - NODE_RESERVE.memoryMiB),
      pods: MAX_PODS_PER_NODE - NODE_RESERVE.pods,
    },
  };
}

const number = (n: number) => n.toLocaleString('en-US').replace(/,/g, "'");
const percent = (share: number) => `${Math.round(share * 100)}%`;

/**
 * The sites catalog's minimum demand (every site at MIN_REPLICAS instances,
 * their CPU and memory requests, one pod each) against what each
 * environment's agent pools can give at their maximum (fixed pools at count,
 * autoscaled pools at maxNodes), per node after NODE_RESERVE and up to
 * MAX_PODS_PER_NODE pods, less CLUSTER_RESERVE once. Also: every site's
 * instance fits one node of a pool that takes sites. (That the nodes at their
 * maximum fit the pod range is a rule of the platform config.)
 *
 * The autoscaler can only add what the maxima allow; a catalog whose minimum
 * does not fit would leave instances pending for good, so it is refused.
 */
export function capacityReport(config: PlatformConfig, catalog: SitesCatalog, catalogFile: string): CapacityReport {
  const problems: string[] = [];
  const warnings: string[] = [];
  const environments: EnvironmentCapacity[] = [];

  for (const environment of siteEnvironments(config)) {
    const env = config.environments[environment];
    const sites = catalog.sites.filter((site) => site.environments.includes(environment));
    const pools = env.agentPools.filter(takesSites).flatMap((pool) => poolCapacity(pool) ?? []);
    const poolsField = `environments.${environment}.agentPools`;
    const describePools = pools.map((p) => `${p.pool}: ${p.nodesAtMost} × ${p.flavor}${p.autoscaled ? ' (maxNodes)' : ''}`).join(', ') || 'none that takes sites';

    const demand: Record<Resource, number> = { cpuMillis: 0, memoryMiB: 0, pods: 0 };
    for (const site of sites) {
      demand.cpuMillis += MIN_REPLICAS * site.resources.cpuMillis;
      demand.memoryMiB += MIN_REPLICAS * site.resources.memoryMiB;
      demand.pods += MIN_REPLICAS;
    }
    const capacity = Object.fromEntries(
      RESOURCES.map((r) => [r, Math.max(0, pools.reduce((sum, p) => sum + p.nodesAtMost * p.perNode[r], 0) - CLUSTER_RESERVE[r])]),
    ) as Record<Resource, number>;
    environments.push({ environment, sites: sites.length, demand, capacity, pools });

    const at = `${catalogFile}: sites (${environment})`;
    for (const r of RESOURCES) {
      if (demand[r] === 0) continue;
      const share = capacity[r] === 0 ? Infinity : demand[r] / capacity[r];
      const figures =
        `${sites.length} sites × ${MIN_REPLICAS} instances need ${number(demand[r])} ${WHAT[r]}; the agent pools at their maximum ` +
        `(${describePools}) give ${number(capacity[r])} after the nodes' and the platform's reserve`;
      if (share > 1) {
        problems.push(
          `${at}: ${sites.length} sites: ${figures}: the catalog cannot fit; raise maxNodes or count in ${poolsField}, pick a larger flavor, or lower the sites' requests`,
        );
      } else if (share > CAPACITY_WARNING_SHARE) {
        warnings.push(
          `${at}: ${figures} (${percent(share)}, above ${percent(CAPACITY_WARNING_SHARE)}): a lost node or a roll has little room; raise maxNodes or count in ${poolsField}`,
        );
      }
    }

    // An instance larger than any node would stay pending whatever the autoscaler does.
    sites.forEach((site: SiteSpec) => {
      const fits = pools.some((p) => p.perNode.cpuMillis >= site.resources.cpuMillis && p.perNode.memoryMiB >= site.resources.memoryMiB);
      if (pools.length > 0 && !fits) {
        const index = catalog.sites.indexOf(site);
        problems.push(
          `${catalogFile}: sites[${index}].resources: ${JSON.stringify({ cpuMillis: site.resources.cpuMillis, memoryMiB: site.resources.memoryMiB })}: ` +
            `one instance fits no node of ${environment}'s pools that take sites (${pools
              .map((p) => `${p.pool}: ${number(p.perNode.cpuMillis)} m, ${number(p.perNode.memoryMiB)} MiB free a node`)
              .join('; ')}); lower the requests or add a pool of a larger flavor`,
        );
      }
    });
  }

  return { environments, problems, warnings };
}
