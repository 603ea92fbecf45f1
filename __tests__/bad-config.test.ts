import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, DEFAULT_CONFIG_FILE, documentProblems, guarded, loadPlatformConfig, parsePlatformConfig } from '../lib/config';

/**
 * Every way the platform config can be wrong, one change to config/platform.yaml
 * per row, with the exact message the user reads: file, field, value, fix.
 */
const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');

/** The default config with one change applied, as YAML text. */
function withChange(change: (config: any) => void): string {
  const config = parse(defaultText);
  change(config);
  return stringify(config);
}

/** Turns a fixed pool into an autoscaled one. */
function autoscale(pool: any, autoscaling: Record<string, unknown>): void {
  delete pool.count;
  pool.autoscaling = autoscaling;
}

const EXPRESSION_FIX =
  'OpenTofu would evaluate it as an expression (file(), templatefile() read files on the machine running plan); remove it: no field takes an expression, every value is plain text';

const UNLISTED = (example: string) =>
  "not a flavor Infomaniak sells (it is not in the price list of 2026-05-20, lib/cost/prices.ts); " +
  `pick a listed one, such as ${example}, or, if your project has it, add it to cloud.unlistedFlavors (the cost estimate then reports it as not priced)`;
const CRON_FIX =
  'write five fields: minute (0-59) hour (0-23) day of month (1-31) month (1-12) day of week (0-6, 0 is Sunday), for example "0 */6 * * *"';
const SECRET = (what: string) =>
  `looks like a secret (${what}): the config reaches the nodes' user data, their labels and the synthesized JSON, where base64 hides it from the output scan; ` +
  'keep secrets out of the config: the stacks generate their own, credentials come from the environment';
const YAML11_BOOLEAN = 'is text, not a boolean: YAML 1.2 reads yes, no, on, off, y and n as strings (only YAML 1.1 took them for booleans); write true or false';

function problemsOf(text: string): string[] {
  try {
    parsePlatformConfig(text, 'platform.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}

test('the default config is accepted (each row below is its only change)', () => {
  expect(() => parsePlatformConfig(defaultText, 'platform.yaml')).not.toThrow();
});

/** One change to the default config and the one message it must give. */
type Row = [name: string, change: (config: any) => void, message: string];

const ROWS: Row[] = [
    [
      'even server count',
      (c) => (c.environments.production.servers.count = 2),
      'platform.yaml: environments.production.servers.count: 2: must be odd for etcd quorum; use 1, 3 or 5',
    ],
    [
      'malformed flavor',
      (c) => (c.environments.tools.agentPools[0].flavor = 'large'),
      'platform.yaml: environments.tools.agentPools[0].flavor: "large": not an Infomaniak flavor name; use a{vCPU}-ram{GB}-disk{GB}[-perf{n}], for example a4-ram16-disk0',
    ],
    [
      'empty agent pool',
      (c) => (c.environments.test.agentPools[0].count = 0),
      'platform.yaml: environments.test.agentPools[0].count: 0: an agent pool needs at least 1 node; raise count or remove the pool',
    ],
    [
      'no agent pools',
      (c) => (c.environments.test.agentPools = []),
      'platform.yaml: environments.test.agentPools: []: needs at least one agent pool; add one under agentPools',
    ],
    [
      'subnet outside its network',
      (c) => (c.environments.tools.network.agentsSubnetCidr = '10.11.16.0/20'),
      'platform.yaml: environments.tools.network.agentsSubnetCidr: "10.11.16.0/20": the agents subnet must lie inside the network 10.10.0.0/16; pick a block inside it',
    ],
    [
      'overlapping subnets',
      (c) => (c.environments.tools.network.agentsSubnetCidr = '10.10.0.0/20'),
      'platform.yaml: environments.tools.network.agentsSubnetCidr: "10.10.0.0/20": overlaps the servers subnet 10.10.0.0/24; pick a separate block',
    ],
    [
      'host bits set',
      (c) => (c.environments.test.network.cidr = '10.30.0.1/16'),
      'platform.yaml: environments.test.network.cidr: "10.30.0.1/16": host bits are set; use 10.30.0.0/16',
    ],
    [
      'pod range clashing with the nodes',
      (c) => (c.environments.test.kubernetes = { podCidr: '10.30.128.0/17' }),
      'platform.yaml: environments.test.kubernetes.podCidr: "10.30.128.0/17": the pod range overlaps the network 10.30.0.0/16; node and pod range addresses must differ',
    ],
    [
      'unknown region',
      (c) => (c.cloud.region = 'eu-west-1'),
      'platform.yaml: cloud.region: "eu-west-1": not an Infomaniak region; use one of dc3-a, dc4-a',
    ],
    [
      'misspelt field',
      (c) => (c.environments.tools.servers.flavour = 'a2-ram4-disk0'),
      'platform.yaml: environments.tools.servers.flavour: "a2-ram4-disk0": unknown field; remove it or fix its spelling',
    ],
    [
      'number written as text',
      (c) => (c.environments.tools.servers.count = '3'),
      'platform.yaml: environments.tools.servers.count: "3": must be number, not string; change its type',
    ],
    [
      'missing field',
      (c) => delete c.environments.tools.servers.bootVolume,
      'platform.yaml: environments.tools.servers.bootVolume: (missing): required field is missing; add it (object)',
    ],
    [
      'unknown volume type',
      (c) => (c.environments.tools.servers.bootVolume.type = 'ssd'),
      'platform.yaml: environments.tools.servers.bootVolume.type: "ssd": must be one of CEPH_1_perf1, CEPH_1_perf2, CEPH_1_perf3',
    ],
    [
      'duplicate pool names',
      (c) => c.environments.production.agentPools.push({ ...c.environments.production.agentPools[0] }),
      'platform.yaml: environments.production.agentPools[1].name: "web": duplicate agent pool name; give each pool its own name',
    ],
    // names and formats
    [
      'platform name too long',
      (c) => (c.platform.name = 'webhost-platform-x'),
      'platform.yaml: platform.name: "webhost-platform-x": must be at most 16 characters; shorten it',
    ],
    [
      'platform name not a DNS label',
      (c) => (c.platform.name = 'WebHost'),
      'platform.yaml: platform.name: "WebHost": must be lower-case letters, digits and dashes, starting with a letter (a DNS label); rename it',
    ],
    [
      'pool name not a DNS label',
      (c) => (c.environments.production.agentPools[0].name = 'Web_Pool'),
      'platform.yaml: environments.production.agentPools[0].name: "Web_Pool": must be lower-case letters, digits and dashes, starting with a letter (a DNS label); rename it',
    ],
    [
      'GPU flavor with an unknown perf level',
      (c) => (c.environments.test.servers.flavor = 'a2-ram4-disk0-perf9'),
      'platform.yaml: environments.test.servers.flavor: "a2-ram4-disk0-perf9": not an Infomaniak flavor name; use a{vCPU}-ram{GB}-disk{GB}[-perf{n}], for example a4-ram16-disk0',
    ],
    [
      'label key with a space',
      (c) => (c.environments.production.agentPools[0].labels = { 'bad key!': 'x' }),
      'platform.yaml: environments.production.agentPools[0].labels.bad key!: "x": not a Kubernetes label key; use [prefix/]name',
    ],
    [
      'label value too long',
      (c) => (c.environments.production.agentPools[0].labels = { role: 'x'.repeat(64) }),
      `platform.yaml: environments.production.agentPools[0].labels.role: "${'x'.repeat(56)}...: must be at most 63 characters (a Kubernetes label value)`,
    ],
    [
      'taint without an effect',
      (c) => (c.environments.production.agentPools[0].taints = ['dedicated']),
      'platform.yaml: environments.production.agentPools[0].taints[0]: "dedicated": not a taint; write key[=value]:NoSchedule|PreferNoSchedule|NoExecute',
    ],
    [
      'taint key that is no Kubernetes qualified name (config as strict as the user data)',
      (c) => (c.environments.production.agentPools[0].taints = ['-dedicated:NoSchedule']),
      'platform.yaml: environments.production.agentPools[0].taints[0]: "-dedicated:NoSchedule": not a taint: key "-dedicated": name part must be 1-63 characters [A-Za-z0-9-_.], starting and ending alphanumeric',
    ],
    [
      'taint value that is no label value',
      (c) => (c.environments.production.agentPools[0].taints = ['dedicated=-web:NoSchedule']),
      'platform.yaml: environments.production.agentPools[0].taints[0]: "dedicated=-web:NoSchedule": not a taint: value "-web" is not a valid label value',
    ],
    [
      'label key whose name part is over 63 characters',
      (c) => (c.environments.production.agentPools[0].labels = { [`example.com/${'n'.repeat(64)}`]: 'x' }),
      `platform.yaml: environments.production.agentPools[0].labels.example.com/${'n'.repeat(64)}: "x": not a Kubernetes label key: name part must be 1-63 characters [A-Za-z0-9-_.], starting and ending alphanumeric`,
    ],
    [
      'label key with an upper-case prefix',
      (c) => (c.environments.production.agentPools[0].labels = { 'Example.com/role': 'x' }),
      'platform.yaml: environments.production.agentPools[0].labels.Example.com/role: "x": not a Kubernetes label key: prefix must be a lower-case DNS subdomain',
    ],
    [
      'RKE2 version not pinned',
      (c) => (c.environments.production.kubernetes = { version: 'latest' }),
      'platform.yaml: environments.production.kubernetes.version: "latest": not an RKE2 release; pin one exactly, for example v1.34.3+rke2r3',
    ],
    [
      'cron schedule as a word',
      (c) => (c.environments.production.backups.etcdSnapshotSchedule = 'hourly'),
      'platform.yaml: environments.production.backups.etcdSnapshotSchedule: "hourly": must be a cron expression of five fields, for example "0 */6 * * *"',
    ],
    [
      'auth URL over plain http',
      (c) => (c.cloud.authUrl = 'http://api.pub1.infomaniak.cloud/identity/v3'),
      'platform.yaml: cloud.authUrl: "http://api.pub1.infomaniak.cloud/identity/v3": must be an https:// URL',
    ],
    [
      'resolver not an IPv4 address',
      (c) => (c.cloud.dnsServers = ['9.9.9.999']),
      'platform.yaml: cloud.dnsServers[0]: "9.9.9.999": not an IPv4 address; write it as a.b.c.d',
    ],
    [
      'image regex that does not compile',
      (c) => (c.cloud.imageNameRegex = '^Ubuntu (24'),
      'platform.yaml: cloud.imageNameRegex: "^Ubuntu (24": not a valid regular expression; escape special characters',
    ],
    [
      'API access list entry not a CIDR',
      (c) => (c.environments.production.access.apiAllowedCidrs = ['office']),
      'platform.yaml: environments.production.access.apiAllowedCidrs[0]: "office": not an IPv4 CIDR block; write it as a.b.c.d/n, for example 10.10.0.0/16',
    ],
    [
      'registry written as a URL',
      (c) => (c.guardrails.allowedRegistries = ['https://docker.io']),
      'platform.yaml: guardrails.allowedRegistries[0]: "https://docker.io": not a registry host[/path]; write it as registry.example.ch',
    ],
    [
      'endpoint domain in capitals',
      (c) => (c.guardrails.allowedEndpointDomains = ['Infomaniak.Cloud']),
      'platform.yaml: guardrails.allowedEndpointDomains[0]: "Infomaniak.Cloud": not a domain name; write it as example.ch',
    ],
    // OpenTofu expressions: refused in every string and key, before any other check
    [
      'an expression in a free-text field',
      (c) => (c.cloud.externalNetwork = '${file("/etc/passwd")}'),
      `platform.yaml: cloud.externalNetwork: "\${file(\\"/etc/passwd\\")}": contains \${: ${EXPRESSION_FIX}`,
    ],
    [
      'an expression in the image regex',
      (c) => (c.cloud.imageNameRegex = '^Ubuntu ${var.release}'),
      `platform.yaml: cloud.imageNameRegex: "^Ubuntu \${var.release}": contains \${: ${EXPRESSION_FIX}`,
    ],
    [
      'a template directive in a taint',
      (c) => (c.environments.production.agentPools[0].taints = ['%{ if true }x%{ endif }:NoSchedule']),
      `platform.yaml: environments.production.agentPools[0].taints[0]: "%{ if true }x%{ endif }:NoSchedule": contains %{: ${EXPRESSION_FIX}`,
    ],
    [
      'an expression as a label key',
      (c) => (c.environments.production.agentPools[0].labels = { '${path.cwd}': 'x' }),
      `platform.yaml: environments.production.agentPools[0].labels.\${path.cwd}: "\${path.cwd}" (a key): contains \${: ${EXPRESSION_FIX}`,
    ],
    [
      'an expression in the state key prefix',
      (c) => (c.state = { backend: 's3', s3: { bucket: 'webhost-tofu-state', keyPrefix: '${terraform.workspace}' } }),
      `platform.yaml: state.s3.keyPrefix: "\${terraform.workspace}": contains \${: ${EXPRESSION_FIX}`,
    ],
    // types
    [
      'fractional server count',
      (c) => (c.environments.test.servers.count = 1.5),
      'platform.yaml: environments.test.servers.count: 1.5: must be a whole number',
    ],
    [
      'agent pools as a map',
      (c) => (c.environments.test.agentPools = { name: 'web' }),
      'platform.yaml: environments.test.agentPools: {"name":"web"}: must be array, not object; change its type',
    ],
    [
      'yes/no as text',
      (c) => (c.environments.test.backups.forceDestroy = 'yes'),
      `platform.yaml: environments.test.backups.forceDestroy: "yes": ${YAML11_BOOLEAN}`,
    ],
    // ranges
    [
      'more than 7 servers',
      (c) => (c.environments.production.servers.count = 9),
      'platform.yaml: environments.production.servers.count: 9: more than 7 etcd members slows every write; use 3 or 5',
    ],
    [
      'no servers (one message, not also "must be odd")',
      (c) => (c.environments.test.servers.count = 0),
      'platform.yaml: environments.test.servers.count: 0: a cluster needs at least 1 server; use 1 (test) or 3 (HA)',
    ],
    [
      'boot volume too small',
      (c) => (c.environments.tools.servers.bootVolume.sizeGiB = 10),
      'platform.yaml: environments.tools.servers.bootVolume.sizeGiB: 10: must be at least 20 GiB for the OS, RKE2 and container images; raise it',
    ],
    [
      'boot volume too large',
      (c) => (c.environments.tools.agentPools[0].bootVolume.sizeGiB = 4000),
      'platform.yaml: environments.tools.agentPools[0].bootVolume.sizeGiB: 4000: must be at most 2000 GiB; use a data volume for more',
    ],
    [
      'pool of 101 agents',
      (c) => (c.environments.production.agentPools[0].count = 101),
      'platform.yaml: environments.production.agentPools[0].count: 101: must be at most 100 per pool; add another pool',
    ],
    [
      'NodePort outside the NodePort range',
      (c) => (c.environments.production.ingress = { httpNodePort: 80 }),
      'platform.yaml: environments.production.ingress.httpNodePort: 80: must be a Kubernetes NodePort, 30000 to 32767',
    ],
    [
      'a single etcd snapshot',
      (c) => (c.environments.production.backups.etcdSnapshotRetention = 1),
      'platform.yaml: environments.production.backups.etcdSnapshotRetention: 1: keep at least 2 snapshots in object storage',
    ],
    [
      'no resolvers',
      (c) => (c.cloud.dnsServers = []),
      'platform.yaml: cloud.dnsServers: []: needs at least one resolver',
    ],
    [
      'no allowed regions',
      (c) => (c.guardrails.allowedRegions = []),
      'platform.yaml: guardrails.allowedRegions: []: needs at least one region',
    ],
    [
      'servers subnet too small',
      (c) => (c.environments.test.network.serversSubnetCidr = '10.30.0.0/29'),
      'platform.yaml: environments.test.network.serversSubnetCidr: "10.30.0.0/29": the servers subnet is too small for nodes and load balancers; use /28 or larger',
    ],
    // structure
    [
      'unknown top-level section',
      (c) => (c.extra = 1),
      'platform.yaml: extra: 1: unknown field; remove it or fix its spelling',
    ],
    [
      'an environment removed, its telemetry tenant kept',
      (c) => delete c.environments.test,
      'platform.yaml: platformLayer.tenants.test: "test": not an environment of this config (tools, production); name one of them, or remove the entry',
    ],
    // cross-field rules
    [
      'HTTP and HTTPS on the same NodePort',
      (c) => (c.environments.production.ingress = { httpNodePort: 30443 }),
      'platform.yaml: environments.production.ingress.httpsNodePort: (missing): httpNodePort and httpsNodePort must differ (they default to 30080 and 30443); pick two ports',
    ],
    [
      'service range on the pod range',
      (c) => (c.environments.test.kubernetes = { serviceCidr: '10.42.0.0/16' }),
      'platform.yaml: environments.test.kubernetes.serviceCidr: "10.42.0.0/16": overlaps the pod range 10.42.0.0/16; pick a separate block',
    ],
    // autoscaled pools: autoscaling: { minNodes, maxNodes } instead of count
    [
      'autoscaled pool whose maximum is below its minimum',
      (c) => autoscale(c.environments.production.agentPools[0], { minNodes: 6, maxNodes: 4 }),
      'platform.yaml: environments.production.agentPools[0].autoscaling.maxNodes: 4: must be at least minNodes (6); raise maxNodes or lower minNodes',
    ],
    [
      'autoscaled pool that can never grow',
      (c) => autoscale(c.environments.production.agentPools[0], { minNodes: 6, maxNodes: 6 }),
      'platform.yaml: environments.production.agentPools[0].autoscaling.maxNodes: 6: equals minNodes (6): the pool could never grow; raise maxNodes, or drop autoscaling and set count: 6',
    ],
    [
      'autoscaled pool with a floor of zero',
      (c) => autoscale(c.environments.test.agentPools[0], { minNodes: 0, maxNodes: 4 }),
      'platform.yaml: environments.test.agentPools[0].autoscaling.minNodes: 0: an agent pool needs at least 1 node; raise minNodes or remove the pool',
    ],
    [
      'autoscaled pool above the per-pool maximum',
      (c) => autoscale(c.environments.test.agentPools[0], { minNodes: 2, maxNodes: 101 }),
      'platform.yaml: environments.test.agentPools[0].autoscaling.maxNodes: 101: must be at most 100 per pool; add another pool',
    ],
    [
      'autoscaled pool that keeps its count',
      (c) => (c.environments.production.agentPools[0].autoscaling = { minNodes: 6, maxNodes: 12 }),
      'platform.yaml: environments.production.agentPools[0].count: 6: an autoscaled pool has no fixed count (it runs autoscaling.minNodes to maxNodes); remove count',
    ],
    [
      'pool with neither count nor autoscaling',
      (c) => delete c.environments.production.agentPools[0].count,
      'platform.yaml: environments.production.agentPools[0].count: (missing): required field is missing; add it (number), or give the pool autoscaling: { minNodes, maxNodes }',
    ],
    [
      'autoscaling without its maximum',
      (c) => autoscale(c.environments.production.agentPools[0], { minNodes: 6 }),
      'platform.yaml: environments.production.agentPools[0].autoscaling.maxNodes: (missing): required field is missing; add it (number)',
    ],
    [
      'unknown autoscaling field',
      (c) => autoscale(c.environments.production.agentPools[0], { minNodes: 6, maxNodes: 12, scaleDownDelay: '10m' }),
      'platform.yaml: environments.production.agentPools[0].autoscaling.scaleDownDelay: "10m": unknown field; remove it or fix its spelling',
    ],
    [
      // The default config holds 18 instances and 88 vCPUs in all; the test pool's maximum adds 3 nodes.
      'pools at their maximum over the project instance quota',
      (c) => {
        autoscale(c.environments.test.agentPools[0], { minNodes: 2, maxNodes: 5 });
        c.cloud.quotas = { instances: 20 };
      },
      "platform.yaml: cloud.quotas.instances: 20: the nodes of all environments at their largest (fixed pools at count, autoscaled pools at maxNodes, servers) need 21 instances, over the project's quota of 20; lower a count or maxNodes, or have Infomaniak raise the quota and set cloud.quotas.instances to it",
    ],
    [
      // Two more a8 nodes: 88 + 16 vCPUs.
      'pools at their maximum over the project vCPU quota',
      (c) => {
        autoscale(c.environments.production.agentPools[0], { minNodes: 6, maxNodes: 8 });
        c.cloud.quotas = { cores: 100 };
      },
      "platform.yaml: cloud.quotas.cores: 100: the nodes of all environments at their largest (fixed pools at count, autoscaled pools at maxNodes, servers) need 104 vCPUs, over the project's quota of 100; lower a count or maxNodes, or have Infomaniak raise the quota and set cloud.quotas.cores to it",
    ],
    [
      "Infomaniak's default quotas apply when none are set",
      (c) => {
        c.environments.test.agentPools[0].flavor = 'a2-ram4-disk0';
        autoscale(c.environments.test.agentPools[0], { minNodes: 2, maxNodes: 36 });
      },
      "platform.yaml: cloud.quotas.instances: (missing): the nodes of all environments at their largest (fixed pools at count, autoscaled pools at maxNodes, servers) need 52 instances, over the project's quota of 50; lower a count or maxNodes, or have Infomaniak raise the quota and set cloud.quotas.instances to it",
    ],
    [
      // A /22 holds 4 node ranges of /24; 1 server + 2 agents at most 5.
      'more nodes at the maximum than the pod range has per-node ranges',
      (c) => {
        c.environments.test.kubernetes = { podCidr: '10.42.0.0/22' };
        autoscale(c.environments.test.agentPools[0], { minNodes: 2, maxNodes: 4 });
      },
      'platform.yaml: environments.test.kubernetes.podCidr: "10.42.0.0/22": holds 4 node ranges of /24 (Cilium\'s pod range per node), but the cluster may have 5 nodes (servers, counts and maxNodes); use a larger pod range or fewer nodes',
    ],
    // removed fields: an old config says what became of them, not "unknown field"
    [
      'SSH admin networks (removed)',
      (c) => (c.environments.production.access.sshAllowedCidrs = ['192.0.2.0/24']),
      'platform.yaml: environments.production.access.sshAllowedCidrs: ["192.0.2.0/24"]: removed: it opened port 22, but no SSH key can be configured and no node has a public address, so it let no one in; RKE2 needs no login (the kubeconfigs come from the state: npm run break-glass); delete the field',
    ],
    [
      'SSH admin networks, empty (removed all the same)',
      (c) => (c.environments.test.access.sshAllowedCidrs = []),
      'platform.yaml: environments.test.access.sshAllowedCidrs: []: removed: it opened port 22, but no SSH key can be configured and no node has a public address, so it let no one in; RKE2 needs no login (the kubeconfigs come from the state: npm run break-glass); delete the field',
    ],
    [
      'the world SSH opt-in (removed)',
      (c) => (c.environments.tools.access.allowWorldSsh = false),
      'platform.yaml: environments.tools.access.allowWorldSsh: false: removed with access.sshAllowedCidrs: the platform opens no SSH at all, so there is nothing to open to the world; delete the field',
    ],
    [
      'a misspelt access field',
      (c) => (c.environments.tools.access.apiAllowedCidr = ['192.0.2.0/24']),
      'platform.yaml: environments.tools.access.apiAllowedCidr: ["192.0.2.0/24"]: unknown field; remove it or fix its spelling',
    ],
    [
      'the Kubernetes API open to the world',
      (c) => (c.environments.production.access.apiAllowedCidrs = ['0.0.0.0/0']),
      'platform.yaml: environments.production.access.apiAllowedCidrs[0]: "0.0.0.0/0": opens the Kubernetes API to the whole internet; list your office and CI runner networks (the API has no opt-in: it is never public)',
    ],
    [
      'the Kubernetes API open to the world in two halves',
      (c) => (c.environments.production.access.apiAllowedCidrs = ['0.0.0.0/1', '128.0.0.0/1']),
      'platform.yaml: environments.production.access.apiAllowedCidrs: ["0.0.0.0/1","128.0.0.0/1"]: together the blocks admit the whole IPv4 internet to the Kubernetes API; list your office and CI runner networks (the API has no opt-in: it is never public)',
    ],
    [
      'API blocks that together admit more than a /8',
      (c) => (c.environments.tools.access.apiAllowedCidrs = ['10.0.0.0/8', '11.0.0.0/8']),
      'platform.yaml: environments.tools.access.apiAllowedCidrs: ["10.0.0.0/8","11.0.0.0/8"]: together the blocks admit 33,554,432 IPv4 addresses, more than a /8, larger than any organisation\'s network, to the Kubernetes API; list your office and CI runner networks (the API has no opt-in: it is never public)',
    ],
    [
      'an API /8 that the cluster network, admitted by the same listener, makes too broad',
      (c) => (c.environments.production.access.apiAllowedCidrs = ['11.0.0.0/8']),
      'platform.yaml: environments.production.access.apiAllowedCidrs: ["11.0.0.0/8"]: together with the cluster network 10.20.0.0/16, which the API listener admits as well, the blocks admit 16,842,752 IPv4 addresses, more than a /8, larger than any organisation\'s network, to the Kubernetes API; list your office and CI runner networks (the API has no opt-in: it is never public)',
    ],
    [
      'an IPv6 office network',
      (c) => (c.environments.production.access.apiAllowedCidrs = ['2001:db8:1234::/48']),
      'platform.yaml: environments.production.access.apiAllowedCidrs[0]: "2001:db8:1234::/48": an IPv6 block, but the cluster is IPv4 only (IPv4 subnets and floating IPs): it would admit no one, and Octavia refuses an IPv6 block on an IPv4 listener; list the network\'s IPv4 blocks',
    ],
    [
      'a malformed IPv6 block',
      (c) => (c.environments.production.access.apiAllowedCidrs = ['2001:db8:::/48']),
      'platform.yaml: environments.production.access.apiAllowedCidrs[0]: "2001:db8:::/48": not an IPv6 CIDR block; write it as x:x::/n, for example 2001:db8::/48 (no zone, prefix 0 to 128)',
    ],
    [
      'Grafana open to the internet without the opt-in',
      (c) => (c.platformLayer.tools.grafanaAllowedCidrs = ['192.0.2.0/24', '0.0.0.0/0']),
      'platform.yaml: platformLayer.tools.grafanaAllowedCidrs: ["192.0.2.0/24","0.0.0.0/0"]: opens Grafana to the whole internet (or more than a /8 of it, counting the blocks together); list your office or VPN networks instead, or set platformLayer.tools.allowWorldGrafana: true to accept the risk',
    ],
    [
      'Grafana open to the internet in two halves',
      (c) => (c.platformLayer.tools.grafanaAllowedCidrs = ['0.0.0.0/1', '128.0.0.0/1']),
      'platform.yaml: platformLayer.tools.grafanaAllowedCidrs: ["0.0.0.0/1","128.0.0.0/1"]: opens Grafana to the whole internet (or more than a /8 of it, counting the blocks together); list your office or VPN networks instead, or set platformLayer.tools.allowWorldGrafana: true to accept the risk',
    ],
    [
      'a Grafana network with host bits set',
      (c) => (c.platformLayer.tools.grafanaAllowedCidrs = ['198.51.100.7/24']),
      'platform.yaml: platformLayer.tools.grafanaAllowedCidrs[0]: "198.51.100.7/24": host bits are set; use 198.51.100.0/24',
    ],
    [
      'a Grafana network listed twice',
      (c) => (c.platformLayer.tools.grafanaAllowedCidrs = ['192.0.2.0/24', '192.0.2.0/24']),
      'platform.yaml: platformLayer.tools.grafanaAllowedCidrs[1]: "192.0.2.0/24": listed twice (also at index 0); remove one',
    ],
    [
      'a Grafana network that is not a string',
      (c) => (c.platformLayer.tools.grafanaAllowedCidrs = [10]),
      'platform.yaml: platformLayer.tools.grafanaAllowedCidrs[0]: 10: must be string, not number; change its type',
    ],
    [
      'production backups force-destroyed',
      (c) => (c.environments.production.backups.forceDestroy = true),
      "platform.yaml: environments.production.backups.forceDestroy: true: production is protected, and a protected environment's backups are never force-destroyed; set it to false (empty the container by hand if you must)",
    ],
    [
      'the old restoreSnapshot field',
      (c) => (c.environments.production.backups.restoreSnapshot = 'etcd-snapshot-1'),
      'platform.yaml: environments.production.backups.restoreSnapshot: "etcd-snapshot-1": unknown field; remove it or fix its spelling',
    ],
    [
      'a restore snapshot with a path',
      (c) => (c.environments.test.backups.restore = { snapshot: 'a/../b' }),
      'platform.yaml: environments.test.backups.restore.snapshot: "a/../b": must be a snapshot file name from the backup bucket: letters, digits, . _ -',
    ],
    [
      'a restore without a snapshot',
      (c) => (c.environments.test.backups.restore = { generation: 2 }),
      'platform.yaml: environments.test.backups.restore.snapshot: (missing): required field is missing; add it (string)',
    ],
    [
      'a restore generation of 0',
      (c) => (c.environments.test.backups.restore = { snapshot: 'etcd-snapshot-1', generation: 0 }),
      'platform.yaml: environments.test.backups.restore.generation: 0: must be 1 or more; raise it by one to run a restore again',
    ],
    [
      'a single local etcd snapshot',
      (c) => (c.environments.production.backups.localSnapshotRetention = 1),
      'platform.yaml: environments.production.backups.localSnapshotRetention: 1: keep at least 2 snapshots on each server',
    ],
    [
      'a release checksum that is no sha256',
      (c) => (c.environments.production.kubernetes = { releaseChecksumsSha256: 'sha256:abc' }),
      "platform.yaml: environments.production.kubernetes.releaseChecksumsSha256: \"sha256:abc\": must be the 64 lower-case hex digits sha256sum prints for the release's sha256sum-amd64.txt",
    ],
    [
      'a registry mirror over plain http',
      (c) => (c.environments.production.registries = { mirrors: { 'docker.io': { endpoint: ['http://harbor.tools.webhost.ch'] } } }),
      'platform.yaml: environments.production.registries.mirrors.docker.io.endpoint[0]: "http://harbor.tools.webhost.ch": must be an https:// URL, e.g. https://harbor.tools.webhost.ch',
    ],
    [
      'a registry mirror without endpoints',
      (c) => (c.environments.production.registries = { mirrors: { 'docker.io': { endpoint: [] } } }),
      'platform.yaml: environments.production.registries.mirrors.docker.io.endpoint: []: needs at least one https:// endpoint',
    ],
    [
      'registries without mirrors',
      (c) => (c.environments.production.registries = { mirrors: {} }),
      'platform.yaml: environments.production.registries.mirrors: {}: list at least one mirror, or leave registries out',
    ],
    [
      'a mirror keyed by a URL',
      (c) => (c.environments.production.registries = { mirrors: { 'https://docker.io': { endpoint: ['https://harbor.tools.webhost.ch'] } } }),
      'platform.yaml: environments.production.registries.mirrors.https://docker.io: {"endpoint":["https://harbor.tools.webhost.ch"]}: not a registry host; write it as docker.io, or * for every registry',
    ],
    [
      'a registry password in the config',
      (c) =>
        (c.environments.production.registries = {
          mirrors: { 'docker.io': { endpoint: ['https://harbor.tools.webhost.ch'] } },
          configs: { 'harbor.tools.webhost.ch': { auth: { username: 'robot', password: 'hunter2', passwordVariable: 'registry_password' } } },
        }),
      // The secret walk refuses it before the schema would call it an unknown field; the value is never shown.
      "platform.yaml: environments.production.registries.configs.harbor.tools.webhost.ch.auth.password: (hidden: a secret-looking field): looks like a secret (a field named password): the config reaches the nodes' user data, their labels and the synthesized JSON, where base64 hides it from the output scan; keep secrets out of the config: the stacks generate their own, credentials come from the environment",
    ],
    [
      'a registry password variable that is no variable name',
      (c) =>
        (c.environments.production.registries = {
          mirrors: { 'docker.io': { endpoint: ['https://harbor.tools.webhost.ch'] } },
          configs: { 'harbor.tools.webhost.ch': { auth: { username: 'robot', passwordVariable: 'Registry-Password' } } },
        }),
      'platform.yaml: environments.production.registries.configs.harbor.tools.webhost.ch.auth.passwordVariable: (hidden: a secret-looking field): must be an OpenTofu variable name of lower-case letters, digits and underscores, e.g. registry_mirror_password',
    ],
    [
      'the state passphrase as the registry password',
      (c) =>
        (c.environments.production.registries = {
          mirrors: { 'docker.io': { endpoint: ['https://harbor.tools.webhost.ch'] } },
          configs: { 'harbor.tools.webhost.ch': { auth: { username: 'robot', passwordVariable: 'state_encryption_passphrase' } } },
        }),
      'platform.yaml: environments.production.registries.configs.harbor.tools.webhost.ch.auth.passwordVariable: (hidden: a secret-looking field): is the state passphrase; give the registry password a variable of its own',
    ],
    [
      'a registry user with a colon',
      (c) =>
        (c.environments.production.registries = {
          mirrors: { 'docker.io': { endpoint: ['https://harbor.tools.webhost.ch'] } },
          configs: { 'harbor.tools.webhost.ch': { auth: { username: 'robot:pull', passwordVariable: 'registry_password' } } },
        }),
      'platform.yaml: environments.production.registries.configs.harbor.tools.webhost.ch.auth.username: "robot:pull": must be a user name without spaces or colons',
    ],
    [
      'resolver outside the allowed resolvers',
      (c) => (c.cloud.dnsServers = ['8.8.8.8']),
      'platform.yaml: cloud.dnsServers[0]: "8.8.8.8": not among guardrails.allowedDnsResolvers (9.9.9.9, 149.112.112.112); use one of them or add it there',
    ],
    [
      'region outside the allowed regions',
      (c) => (c.guardrails.allowedRegions = ['dc4-a']),
      'platform.yaml: cloud.region: "dc3-a": not among guardrails.allowedRegions (dc4-a); pick one of them or add it there',
    ],
    [
      'Keystone outside the allowed domains',
      (c) => (c.cloud.authUrl = 'https://keystone.example.com/v3'),
      'platform.yaml: cloud.authUrl: "https://keystone.example.com/v3": host keystone.example.com is outside guardrails.allowedEndpointDomains (infomaniak.cloud); use an endpoint there',
    ],
    [
      'S3 outside the allowed domains',
      (c) => (c.cloud.s3Endpoint = 'https://s3.amazonaws.com'),
      'platform.yaml: cloud.s3Endpoint: "https://s3.amazonaws.com": host s3.amazonaws.com is outside guardrails.allowedEndpointDomains (infomaniak.cloud); use an endpoint there',
    ],
    // one mechanism in the loader per class, and its rows here
    // flavors: the price table's list, an explicit opt-in for others
    [
      'a flavor Infomaniak does not sell',
      (c) => (c.environments.tools.agentPools[0].flavor = 'a3-ram7-disk0'),
      `platform.yaml: environments.tools.agentPools[0].flavor: "a3-ram7-disk0": ${UNLISTED('a4-ram8-disk0')}`,
    ],
    [
      'a flavor far beyond any Infomaniak sells',
      (c) => (c.environments.production.servers.flavor = 'a9999-ram99999-disk0'),
      `platform.yaml: environments.production.servers.flavor: "a9999-ram99999-disk0": ${UNLISTED('a16-ram64-disk0')}`,
    ],
    [
      'an opt-in for a flavor that is listed anyway',
      (c) => (c.cloud.unlistedFlavors = ['a2-ram4-disk0']),
      'platform.yaml: cloud.unlistedFlavors[0]: "a2-ram4-disk0": is in the price list already; remove it from cloud.unlistedFlavors',
    ],
    // cron schedules, parsed by croner
    [
      'a cron schedule out of range',
      (c) => (c.environments.production.backups.etcdSnapshotSchedule = '99 99 99 99 99'),
      `platform.yaml: environments.production.backups.etcdSnapshotSchedule: "99 99 99 99 99": not a cron schedule: invalid value for minute: 99; ${CRON_FIX}`,
    ],
    [
      'a cron schedule that never fires',
      (c) => (c.environments.tools.backups.etcdSnapshotSchedule = '0 0 31 2 *'),
      `platform.yaml: environments.tools.backups.etcdSnapshotSchedule: "0 0 31 2 *": never fires: no date matches all five fields; ${CRON_FIX}`,
    ],
    [
      'a cron extension RKE2 does not read',
      (c) => (c.environments.test.backups.etcdSnapshotSchedule = '0 3 L * *'),
      `platform.yaml: environments.test.backups.etcdSnapshotSchedule: "0 3 L * *": uses L, a cron extension RKE2's parser (robfig/cron, standard fields) does not know; ${CRON_FIX}`,
    ],
    // secrets never go into the config
    [
      'a secret in a pool label',
      (c) => (c.environments.production.agentPools[0].labels = { password: 'hunter2' }),
      `platform.yaml: environments.production.agentPools[0].labels.password: (hidden: a secret-looking field): ${SECRET('a field named password')}`,
    ],
    [
      'an access key as a label value',
      (c) => (c.environments.production.agentPools[0].labels = { role: 'AKIAABCDEFGHIJKLMNOP' }),
      `platform.yaml: environments.production.agentPools[0].labels.role: (hidden: looks like a secret): ${SECRET('an AWS-style access key id')}`,
    ],
    [
      'a token in a taint',
      (c) => (c.environments.production.agentPools[0].taints = ['token=s3cr3t:NoSchedule']),
      `platform.yaml: environments.production.agentPools[0].taints[0]: (hidden: looks like a secret): ${SECRET('token=...')}`,
    ],
    [
      'a Keystone URL with a password',
      (c) => (c.cloud.authUrl = 'https://tofu:hunter2@api.pub1.infomaniak.cloud/identity/v3'),
      `platform.yaml: cloud.authUrl: (hidden: looks like a secret): ${SECRET('a URL with a password')}`,
    ],
    [
      'a Keystone URL with a user',
      (c) => (c.cloud.authUrl = 'https://tofu@api.pub1.infomaniak.cloud/identity/v3'),
      'platform.yaml: cloud.authUrl: "https://tofu@api.pub1.infomaniak.cloud/identity/v3": holds user info (tofu@); credentials never go in the URL, which reaches the synthesized JSON and every state (the OpenStack provider reads them from the OS_* variables): remove "tofu@"',
    ],
    [
      'a node label the kubelet may not set',
      (c) => (c.environments.production.agentPools[0].labels = { 'kubernetes.io/role': 'web' }),
      'platform.yaml: environments.production.agentPools[0].labels.kubernetes.io/role: "web": the kubelet may not set labels under kubernetes.io or k8s.io (NodeRestriction); use node.kubernetes.io/ or your own prefix',
    ],
    // each environment its own address plan
    [
      "test on production's address plan",
      (c) => (c.environments.test.network = { ...c.environments.production.network }),
      'platform.yaml: environments.test.network.cidr: "10.20.0.0/16": overlaps environments.production.network.cidr (10.20.0.0/16); each environment has its own address plan: pick a block no other environment uses, such as 10.0.0.0/16',
    ],
    // bounds every document is held to
    [
      'a 10,000-character field',
      (c) => (c.cloud.imageNameRegex = 'x'.repeat(10000)),
      `platform.yaml: cloud.imageNameRegex: "${'x'.repeat(56)}...: is 10,000 characters long; no field takes more than 1,024: shorten it`,
    ],
    [
      'a list of 20,000 entries',
      (c) => (c.cloud.dnsServers = Array.from({ length: 20000 }, () => '9.9.9.9')),
      'platform.yaml: cloud.dnsServers: ["9.9.9.9","9.9.9.9","9.9.9.9","9.9.9.9","9.9.9.9","9.9.9...: has 20,000 entries; no list or map takes more than 10,000: shorten it',
    ],
    // plain messages, never the validator's raw text
    [
      'an empty string',
      (c) => (c.cloud.externalNetwork = ''),
      'platform.yaml: cloud.externalNetwork: "": is empty; write a value',
    ],
    [
      'an empty string where a pattern is expected',
      (c) => (c.platform.name = ''),
      'platform.yaml: platform.name: "": is empty; must be lower-case letters, digits and dashes, starting with a letter (a DNS label); rename it',
    ],
    [
      'an empty string for a number',
      (c) => (c.environments.test.servers.count = ''),
      'platform.yaml: environments.test.servers.count: "": is empty; write a number',
    ],
    [
      'an internationalized host name',
      (c) => (c.platformLayer.tools.grafanaHost = 'grafana.bäckerei.ch'),
      'platform.yaml: platformLayer.tools.grafanaHost: "grafana.bäckerei.ch": an internationalized domain name; write it in punycode, the form DNS and certificates carry: grafana.xn--bckerei-5wa.ch',
    ],
];

describe('bad input names the file, the field, the value and the fix', () => {
  test.each(ROWS)('%s', (_name, change, message) => {
    expect(problemsOf(withChange(change))).toEqual([message]);
  });

  test('an old config with both SSH fields gets both reasons, in any environment', () => {
    const problems = problemsOf(
      withChange((c) => {
        c.environments.test.access.allowWorldSsh = true;
        c.environments.test.access.sshAllowedCidrs = ['0.0.0.0/0'];
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^platform\.yaml: environments\.test\.access\.allowWorldSsh: true: removed with access\.sshAllowedCidrs: /),
      expect.stringMatching(/^platform\.yaml: environments\.test\.access\.sshAllowedCidrs: \["0\.0\.0\.0\/0"\]: removed: it opened port 22, /),
    ]);
  });

  test('a YAML syntax error gives its line', () => {
    expect(problemsOf('platform:\n  name: [unclosed\n')).toEqual([
      expect.stringMatching(/^platform\.yaml: line \d+ column \d+: YAML syntax error: .+; fix the YAML there$/),
    ]);
  });

  test('a key given twice is a YAML error, not a silent override', () => {
    expect(problemsOf(defaultText.replace('platform:\n  name: webhost', 'platform:\n  name: webhost\n  name: other'))).toEqual([
      expect.stringMatching(/^platform\.yaml: line 12 column 3: YAML syntax error: Map keys must be unique; fix the YAML there$/),
    ]);
  });

  test('every problem is reported at once', () => {
    const problems = problemsOf(
      withChange((c) => {
        c.environments.production.servers.count = 4;
        c.environments.test.agentPools[0].flavor = 'tiny';
      }),
    );
    expect(problems).toEqual([
      'platform.yaml: environments.production.servers.count: 4: must be odd for etcd quorum; use 1, 3 or 5',
      expect.stringMatching(/^platform\.yaml: environments\.test\.agentPools\[0\]\.flavor: "tiny": not an Infomaniak flavor name; /),
    ]);
  });
});

describe('every problem is reported in one run, whatever else is wrong', () => {
  // An unrelated mistake (a misspelt field) next to each row's: the row's
  // message must still come, so a check never waits for the rest of the file.
  const UNRELATED: [where: string, add: (c: any) => void, message: string][] = [
    ['at the top level', (c) => (c.extra = 1), 'platform.yaml: extra: 1: unknown field; remove it or fix its spelling'],
    [
      'in the tools environment',
      (c) => (c.environments.tools.extra = 1),
      'platform.yaml: environments.tools.extra: 1: unknown field; remove it or fix its spelling',
    ],
    [
      'in the cloud section',
      (c) => (c.cloud.extra = 1),
      'platform.yaml: cloud.extra: 1: unknown field; remove it or fix its spelling',
    ],
  ];
  const cases = UNRELATED.flatMap(([where, add, other]) =>
    ROWS.filter(([, , message]) => !message.startsWith(other.split(': ').slice(0, 2).join(': '))).map(
      ([name, change, message]) => [`${name}, with a misspelt field ${where}`, change, add, message, other] as const,
    ),
  );
  test.each(cases)('%s', (_name, change, add, message, other) => {
    const problems = problemsOf(
      withChange((c) => {
        change(c);
        add(c);
      }),
    );
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(expect.arrayContaining([message, other]));
  });
});

describe('the opt-in for a flavor the price list lacks', () => {
  test('accepts the flavor it names, only that one', () => {
    const text = withChange((c) => {
      c.cloud.unlistedFlavors = ['a3-ram7-disk0'];
      c.environments.tools.agentPools[0].flavor = 'a3-ram7-disk0';
    });
    expect(parsePlatformConfig(text, 'platform.yaml').environments.tools.agentPools[0].flavor).toBe('a3-ram7-disk0');
    const other = withChange((c) => {
      c.cloud.unlistedFlavors = ['a3-ram7-disk0'];
      c.environments.tools.agentPools[0].flavor = 'a5-ram7-disk0';
    });
    expect(problemsOf(other)).toEqual([expect.stringMatching(/^platform\.yaml: environments\.tools\.agentPools\[0\]\.flavor: "a5-ram7-disk0": not a flavor Infomaniak sells/)]);
  });

  test('takes only flavor names', () => {
    expect(problemsOf(withChange((c) => (c.cloud.unlistedFlavors = ['large'])))).toEqual([
      'platform.yaml: cloud.unlistedFlavors[0]: "large": not an Infomaniak flavor name; use a{vCPU}-ram{GB}-disk{GB}[-perf{n}], for example a4-ram16-disk0',
    ]);
  });
});

describe('bad files: each says what is wrong with the file as a whole', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'bad-config-'));
  /** Loads `content` as PLATFORM_CONFIG and returns its problems. */
  const problemsOfFile = (content: string | Buffer): string[] => {
    const file = path.join(work, 'platform.yaml');
    writeFileSync(file, content);
    try {
      loadPlatformConfig({ PLATFORM_CONFIG: file });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems.map((p) => p.replace(file, 'platform.yaml'));
    }
    throw new Error('expected the file to be refused');
  };
  const latin1 = Buffer.concat([Buffer.from(defaultText), Buffer.from('# M\xe4rz\n', 'latin1')]);
  const aliasBomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');

  test.each<[string, string | Buffer, unknown]>([
    ['an empty file', '', 'platform.yaml: the file is empty (no YAML document, or only comments); start from config/platform.yaml, the embedded default'],
    ['only comments', '# nothing yet\n', 'platform.yaml: the file is empty (no YAML document, or only comments); start from config/platform.yaml, the embedded default'],
    [
      'bytes that are not UTF-8',
      latin1,
      `platform.yaml: line ${defaultText.split('\n').length} column 4: byte 0xE4 is not UTF-8 (in Latin-1 or Windows-1252 it is "ä"); save the file as UTF-8`,
    ],
    [
      'a YAML alias bomb',
      aliasBomb,
      'platform.yaml: its YAML aliases (*name) expand to more than 100 copies, the shape of a "billion laughs" attack; write the values out instead of nesting aliases',
    ],
    [
      'a number beyond 2^53',
      defaultText.replace(/count: 6\b/, 'count: 9007199254740993'),
      'platform.yaml: environments.production.agentPools[0].count: 9007199254740993: is beyond 2^53 (9007199254740992), where numbers lose their exact value; no field takes a number this large',
    ],
    [
      'a value nested 100,000 deep',
      `platform: ${'['.repeat(100000)}${']'.repeat(100000)}\n`,
      // The column is where the parser's stack ran out: it depends on the machine.
      expect.stringMatching(/^platform\.yaml: line 1 column \d+: nests deeper than a YAML parser follows; write the value with less nesting$/),
    ],
    [
      'a YAML 1.1 boolean written plainly',
      defaultText.replace('forceDestroy: false ', 'forceDestroy: no    '),
      `platform.yaml: environments.production.backups.forceDestroy: "no": ${YAML11_BOOLEAN}`,
    ],
  ])('%s', (_name, content, message) => {
    expect(problemsOfFile(content)).toEqual([message]);
  });
});

test('whatever goes wrong inside a loader ends as a ConfigError naming the file, with the original as its cause', () => {
  const boom = new TypeError('Cannot read properties of undefined');
  let caught: unknown;
  try {
    guarded('platform.yaml', ConfigError, () => {
      throw boom;
    });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).problems).toEqual([
    'platform.yaml: could not be read (TypeError: Cannot read properties of undefined); look for very deep nesting or an unusual YAML construct, and report it: PLATFORM_DEBUG=1 shows where it happened',
  ]);
  expect((caught as ConfigError).cause).toBe(boom);
});

test('a field that names where a secret is kept is not a secret', () => {
  expect(documentProblems({ auth: { username: 'robot', passwordVariable: 'registry_mirror_password', tokenSecretName: 'x' } })).toEqual([]);
  expect(documentProblems({ auth: { secretKey: 'x' } })).toEqual([{ at: ['auth', 'secretKey'], message: expect.stringMatching(/^looks like a secret \(a field named secretKey\)/) }]);
});
