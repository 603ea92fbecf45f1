import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig, type PlatformConfig } from '../lib/config';
import { MAX_PODS_PER_NODE } from '../lib/rke2/kubelet';
import { capacityReport, CLUSTER_RESERVE, NODE_RESERVE } from '../lib/sites/capacity';
import { catalogOptionsOf, loadSitesCatalog, type SitesCatalog, type SiteSpec } from '../lib/sites/catalog';

/**
 * Capacity at synth: the catalog's minimum demand (2 instances a site, their
 * requests, a pod each) against the agent pools at their maximum.
 */
const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');
function configWith(change: (config: any) => void = () => {}): PlatformConfig {
  const raw = parse(defaultText);
  change(raw);
  return parsePlatformConfig(stringify(raw), 'platform.yaml');
}

/** A catalog of `n` production sites, each instance requesting `cpuMillis` and `memoryMiB` (only what the check reads). */
function catalogOf(n: number, cpuMillis: number, memoryMiB: number): SitesCatalog {
  const site = (id: number) => ({ id, name: `s${id}`, environments: ['production'], resources: { cpuMillis, memoryMiB } }) as unknown as SiteSpec;
  return { sitesPerShard: 200, testDomain: 'test.webhost.ch', highestSiteIdEver: n, retiredShards: [], sites: Array.from({ length: n }, (_, i) => site(i + 1)) };
}

// production: 6 × a8-ram32-disk0: per node 8000 - 1000 m, 32768 - 2048 MiB, 110 - 8 pods; the cluster keeps 2000 m, 4096 MiB, 30 pods.
const PER_NODE = { cpuMillis: 7000, memoryMiB: 30720, pods: MAX_PODS_PER_NODE - NODE_RESERVE.pods };
const PRODUCTION = { cpuMillis: 6 * 7000 - CLUSTER_RESERVE.cpuMillis, memoryMiB: 6 * 30720 - CLUSTER_RESERVE.memoryMiB, pods: 6 * 102 - CLUSTER_RESERVE.pods };

test('the default config and catalog fit, with the figures counted', () => {
  const config = configWith();
  const { catalog, file } = loadSitesCatalog(catalogOptionsOf(config), {});
  const report = capacityReport(config, catalog, file);
  expect(report.problems).toEqual([]);
  expect(report.warnings).toEqual([]);
  const production = report.environments.find((e) => e.environment === 'production')!;
  expect(production.pools).toEqual([{ pool: 'web', flavor: 'a8-ram32-disk0', nodesAtMost: 6, autoscaled: false, perNode: PER_NODE }]);
  expect(production.capacity).toEqual({ cpuMillis: 40000, memoryMiB: 180224, pods: 582 });
  expect(production.capacity).toEqual(PRODUCTION);
  const sites = catalog.sites.filter((s) => s.environments.includes('production'));
  expect(production.demand.pods).toBe(2 * sites.length);
  expect(production.demand.cpuMillis).toBe(sites.reduce((n, s) => n + 2 * s.resources.cpuMillis, 0));
});

test('a catalog that cannot fit is refused with the numbers', () => {
  // 300 sites × 2 instances = 600 pods > 582.
  const report = capacityReport(configWith(), catalogOf(300, 50, 64), 'sites.yaml');
  expect(report.problems).toEqual([
    "sites.yaml: sites (production): 300 sites: 300 sites × 2 instances need 600 pods; the agent pools at their maximum (web: 6 × a8-ram32-disk0) give 582 after the nodes' and the platform's reserve: the catalog cannot fit; raise maxNodes or count in environments.production.agentPools, pick a larger flavor, or lower the sites' requests",
  ]);
});

test('a catalog filling more than 80% is warned about, not refused', () => {
  // 250 sites: 500 of 582 pods (86%); 250 × 2 × 70 m = 35000 of 40000 m (88%).
  const report = capacityReport(configWith(), catalogOf(250, 70, 64), 'sites.yaml');
  expect(report.problems).toEqual([]);
  expect(report.warnings).toEqual([
    "sites.yaml: sites (production): 250 sites × 2 instances need 35'000 millicores of CPU requests; the agent pools at their maximum (web: 6 × a8-ram32-disk0) give 40'000 after the nodes' and the platform's reserve (88%, above 80%): a lost node or a roll has little room; raise maxNodes or count in environments.production.agentPools",
    "sites.yaml: sites (production): 250 sites × 2 instances need 500 pods; the agent pools at their maximum (web: 6 × a8-ram32-disk0) give 582 after the nodes' and the platform's reserve (86%, above 80%): a lost node or a roll has little room; raise maxNodes or count in environments.production.agentPools",
  ]);
});

test('an autoscaled pool counts at its maximum', () => {
  const autoscaled = configWith((c) => {
    delete c.environments.production.agentPools[0].count;
    c.environments.production.agentPools[0].autoscaling = { minNodes: 6, maxNodes: 12 };
  });
  const report = capacityReport(autoscaled, catalogOf(300, 50, 64), 'sites.yaml');
  expect(report.problems).toEqual([]);
  expect(report.environments.find((e) => e.environment === 'production')!.capacity.pods).toBe(12 * 102 - 30);
});

test('a pool whose taints repel sites gives them nothing', () => {
  const tainted = configWith((c) => {
    c.environments.production.agentPools.push({
      name: 'batch',
      count: 4,
      flavor: 'a8-ram32-disk0',
      bootVolume: { sizeGiB: 60, type: 'CEPH_1_perf1' },
      taints: ['dedicated=batch:NoSchedule'],
    });
  });
  expect(capacityReport(tainted, catalogOf(300, 50, 64), 'sites.yaml').problems).toHaveLength(1);
});

test('an instance larger than every node is refused, whatever the maxima', () => {
  const small = configWith((c) => {
    c.environments.production.agentPools[0].flavor = 'a4-ram8-disk0';
  });
  // a4-ram8: 3000 m and 6144 MiB free a node; one instance of 8192 MiB fits none.
  const report = capacityReport(small, catalogOf(1, 100, 8192), 'sites.yaml');
  expect(report.problems).toEqual([
    `sites.yaml: sites[0].resources: {"cpuMillis":100,"memoryMiB":8192}: one instance fits no node of production's pools that take sites (web: 3'000 m, 6'144 MiB free a node); lower the requests or add a pool of a larger flavor`,
  ]);
});
