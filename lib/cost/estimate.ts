import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { environmentOfStackName } from '../config/environments';
import { AUTOSCALED_POOLS_OUTPUT } from '../rke2/kubelet';
import { flavorHourlyPrice, INFOMANIAK_PRICES, parseFlavor, type PriceList } from './prices';

/** A synthesized input the estimate cannot read: names the stack, the resource and the value. */
export class CostEstimateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CostEstimateError';
  }
}

/** What a line item prices. */
export type CostKind = 'instance' | 'volume' | 'floating-ip' | 'load-balancer' | 'object-storage';

/** One priced resource of one stack. Money is not rounded; round for display only. */
export interface LineItem {
  readonly stack: string;
  /** Terraform address, e.g. openstack_compute_instance_v2.Cluster_Servers_Node1_2BA6730E. */
  readonly address: string;
  readonly kind: CostKind;
  /** What is priced: the flavor name, the volume type, 'floating IPv4', 'load balancer', 'object storage'. */
  readonly item: string;
  /** How many units: instances, GB, IPs, load balancers (a literal `count` multiplies it). */
  readonly quantity: number;
  /** The unit `quantity` counts and `unitPriceEUR` is per: 'instance', 'GB', 'IP', 'load balancer'. */
  readonly unit: string;
  /** EUR per unit per month (hourly list price x hours per month), excl. VAT. */
  readonly unitPriceEUR: number;
  /** quantity x unitPriceEUR. */
  readonly monthlyEUR: number;
  /** True when the quantity is an assumption rather than read from the JSON (stored object storage GB). */
  readonly estimated: boolean;
}

/** A resource that costs money but could not be priced from the JSON alone. */
export interface UnpricedResource {
  readonly stack: string;
  readonly address: string;
  readonly reason: string;
}

/**
 * An autoscaled agent pool: OpenTofu makes (and the lines price) its floor; the
 * cluster-autoscaler may add nodes up to its maximum, each costing what one
 * node of the floor costs (instance and boot volume).
 */
export interface AutoscaledPoolCost {
  readonly pool: string;
  readonly flavor: string;
  readonly minNodes: number;
  readonly maxNodes: number;
  /** One node's instance and boot volume, EUR a month. */
  readonly perNodeEUR: number;
  /** The pool at minNodes (included in the stack's monthlyEUR). */
  readonly minEUR: number;
  /** The pool at maxNodes. */
  readonly maxEUR: number;
}

/** The estimate of one synthesized stack. */
export interface StackEstimate {
  readonly stack: string;
  /** The stack name up to its first '-': production-sites-01 belongs to production. */
  readonly environment: string;
  /** Resource blocks in the stack's JSON (a block with `count` counts once). */
  readonly resourceCount: number;
  readonly lines: readonly LineItem[];
  /** Resources left out of the totals, each with why: the totals are a lower bound while this is not empty. */
  readonly unpriced: readonly UnpricedResource[];
  /** Resource blocks by type, of the types the price table covers. */
  readonly pricedTypes: Readonly<Record<string, number>>;
  /** Resource blocks by type, of the types that cost nothing by themselves (see FREE_RESOURCE_TYPES). */
  readonly freeTypes: Readonly<Record<string, number>>;
  /** At the autoscaled pools' minimum (what OpenTofu makes). */
  readonly monthlyEUR: number;
  readonly monthlyCHF: number;
  /** The autoscaled pools of the stack (its `autoscaled_pools` output), each at its minimum and maximum. */
  readonly autoscaled: readonly AutoscaledPoolCost[];
  /** With every autoscaled pool at its maximum; equals monthlyEUR when nothing autoscales. */
  readonly monthlyMaxEUR: number;
  readonly monthlyMaxCHF: number;
}

/** The estimate of every stack of a synthesized app. */
export interface PlatformEstimate {
  readonly stacks: readonly StackEstimate[];
  readonly prices: PriceList;
  /** The per-container object storage assumption used where no figure was given. */
  readonly objectStorageGBPerContainer: number;
  readonly monthlyEUR: number;
  readonly monthlyCHF: number;
  /** Every autoscaled pool at its maximum. */
  readonly monthlyMaxEUR: number;
  readonly monthlyMaxCHF: number;
}

export interface EstimateOptions {
  /** @default INFOMANIAK_PRICES (the list of 2026-05-20) */
  readonly prices?: PriceList;
  /**
   * GB stored per object storage container, where objectStorageGBByContainer
   * has no figure. The JSON says nothing about what a container will hold.
   * @default DEFAULT_OBJECT_STORAGE_GB_PER_CONTAINER
   */
  readonly objectStorageGBPerContainer?: number;
  /**
   * GB stored by container name as synthesized (e.g. webhost-tools-loki-chunks),
   * for when the config or an operator knows better than the default.
   * @default - every container gets objectStorageGBPerContainer
   */
  readonly objectStorageGBByContainer?: Readonly<Record<string, number>>;
}

/**
 * The stored GB assumed per container: the size of object storage the
 * shared notes' side-by-side comparison gives one whole cluster.
 */
export const DEFAULT_OBJECT_STORAGE_GB_PER_CONTAINER = 100;

/** Resource types the price table covers. */
export const PRICED_RESOURCE_TYPES = [
  'openstack_compute_instance_v2',
  'openstack_blockstorage_volume_v3',
  'openstack_networking_floatingip_v2',
  'openstack_lb_loadbalancer_v2',
  'openstack_objectstorage_container_v1',
] as const;

/**
 * OpenStack resource types with no line in the price list: parts or settings
 * of the priced services (a listener belongs to its load balancer), or free
 * (networks, routers, security groups, credentials). Any other openstack_*
 * type is reported as not priced rather than assumed free.
 */
export const FREE_RESOURCE_TYPES: readonly string[] = [
  'openstack_blockstorage_volume_attach_v3',
  'openstack_compute_interface_attach_v2',
  'openstack_compute_keypair_v2',
  'openstack_compute_servergroup_v2',
  'openstack_compute_volume_attach_v2',
  'openstack_identity_application_credential_v3',
  'openstack_identity_ec2_credential_v3',
  'openstack_lb_l7policy_v2',
  'openstack_lb_l7rule_v2',
  'openstack_lb_listener_v2',
  'openstack_lb_member_v2',
  'openstack_lb_members_v2',
  'openstack_lb_monitor_v2',
  'openstack_lb_pool_v2',
  'openstack_networking_floatingip_associate_v2',
  'openstack_networking_network_v2',
  'openstack_networking_port_v2',
  'openstack_networking_port_secgroup_associate_v2',
  'openstack_networking_router_interface_v2',
  'openstack_networking_router_route_v2',
  'openstack_networking_router_v2',
  'openstack_networking_secgroup_rule_v2',
  'openstack_networking_secgroup_v2',
  'openstack_networking_subnet_v2',
  'openstack_objectstorage_object_v1',
];

/**
 * Providers whose resources create nothing billed by the cloud: local
 * computations (keys, passwords), or objects inside a cluster that is already
 * priced. Kubernetes Services of type LoadBalancer are the exception and are
 * reported (the cloud controller manager creates an Octavia load balancer).
 */
export const FREE_PROVIDER_PREFIXES: readonly string[] = ['tls_', 'random_', 'null_', 'time_', 'local_', 'terraform_data', 'kubernetes_', 'helm_'];

const PRICED = new Set<string>(PRICED_RESOURCE_TYPES);
const FREE = new Set(FREE_RESOURCE_TYPES);

type Unknown = { readonly unknown: string };
const isUnknown = (v: unknown): v is Unknown => typeof v === 'object' && v !== null && 'unknown' in v;

/**
 * Prices one stack's synthesized JSON (the content of
 * cdktf.out/stacks/<stack>/cdk.tf.json). Throws a CostEstimateError naming the
 * stack, resource and value when an input is malformed (a flavor name that
 * does not parse, a negative size); values only known at apply time (tokens,
 * `for_each` over an expression) are reported in `unpriced` instead.
 */
export function estimateStack(stack: string, json: unknown, options: EstimateOptions = {}): StackEstimate {
  const prices = options.prices ?? INFOMANIAK_PRICES;
  const perContainerGB = checkedGB(options.objectStorageGBPerContainer ?? DEFAULT_OBJECT_STORAGE_GB_PER_CONTAINER, 'objectStorageGBPerContainer');
  const byContainerGB = options.objectStorageGBByContainer ?? {};
  for (const [name, gb] of Object.entries(byContainerGB)) checkedGB(gb, `objectStorageGBByContainer.${name}`);

  const resources = resourcesOf(stack, json);
  const lines: LineItem[] = [];
  const unpriced: UnpricedResource[] = [];
  const pricedTypes: Record<string, number> = {};
  const freeTypes: Record<string, number> = {};
  let resourceCount = 0;
  // Instances by the agent pool their metadata names, to price an autoscaled pool's nodes.
  const poolOf = new Map<string, string>();
  const monthly = (eurPerHour: number) => eurPerHour * prices.hoursPerMonth;

  for (const [type, blocks] of Object.entries(resources)) {
    for (const [name, body] of Object.entries(blocks)) {
      resourceCount += 1;
      const address = `${type}.${name}`;
      const where = `stack ${stack}: ${address}`;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new CostEstimateError(`${where}: expected the resource's arguments as an object, got ${JSON.stringify(body)}`);
      }
      const skip = (reason: string) => unpriced.push({ stack, address, reason });
      const line = (kind: CostKind, item: string, quantity: number, unit: string, eurPerUnitHour: number, estimated = false) =>
        lines.push({ stack, address, kind, item, quantity, unit, unitPriceEUR: monthly(eurPerUnitHour), monthlyEUR: quantity * monthly(eurPerUnitHour), estimated });

      if (!PRICED.has(type)) {
        if (FREE.has(type) || FREE_PROVIDER_PREFIXES.some((prefix) => type.startsWith(prefix))) {
          freeTypes[type] = (freeTypes[type] ?? 0) + 1;
          const lb = kubernetesLoadBalancer(type, body);
          if (lb) skip(lb);
        } else {
          skip(`resource type ${type} is not in the price table; check whether it costs and add it to lib/cost`);
        }
        continue;
      }
      pricedTypes[type] = (pricedTypes[type] ?? 0) + 1;
      const copies = copiesOf(where, body);
      if (isUnknown(copies)) {
        skip(copies.unknown);
        continue;
      }

      switch (type) {
        case 'openstack_compute_instance_v2': {
          const flavorName = staticString(body.flavor_name);
          if (flavorName === undefined) {
            skip(body.flavor_name === undefined ? 'no flavor_name (a flavor_id cannot be priced); name the flavor' : `flavor_name ${JSON.stringify(body.flavor_name)} is not known before apply`);
          } else {
            const flavor = parseFlavor(flavorName);
            if (!flavor) {
              throw new CostEstimateError(
                `${where}: flavor_name ${JSON.stringify(flavorName)}: not an Infomaniak flavor name; use a{vCPU}-ram{GB}-disk{GB}[-perf{n}], for example a4-ram16-disk0`,
              );
            }
            if (body.metadata?.role === 'agent' && typeof body.metadata?.pool === 'string') poolOf.set(address, body.metadata.pool);
            const price = flavorHourlyPrice(flavor, prices);
            if ('unpricedReason' in price) skip(price.unpricedReason);
            else line('instance', flavor.name, copies, 'instance', price.eurPerHour);
          }
          if (typeof body.dynamic === 'object' && body.dynamic !== null && 'block_device' in body.dynamic) {
            skip('block_device from a dynamic block: its volumes are not known before apply');
          }
          for (const device of asBlockList(body.block_device)) {
            // Only a volume the instance creates costs here: destination local is
            // the flavor's disk, source volume is priced where that volume is declared.
            if (device.destination_type !== 'volume' || device.source_type === 'volume') continue;
            const volume = volumePrice(where, 'block_device.volume_size', device.volume_size, device.volume_type, prices);
            if (isUnknown(volume)) skip(`boot volume: ${volume.unknown}`);
            else line('volume', volume.type, volume.sizeGB * copies, 'GB', volume.eurPerGbHour);
          }
          break;
        }
        case 'openstack_blockstorage_volume_v3': {
          const volume = volumePrice(where, 'size', body.size, body.volume_type, prices);
          if (isUnknown(volume)) skip(volume.unknown);
          else line('volume', volume.type, volume.sizeGB * copies, 'GB', volume.eurPerGbHour);
          break;
        }
        case 'openstack_networking_floatingip_v2':
          line('floating-ip', 'floating IPv4', copies, 'IP', prices.floatingIpv4EurPerHour);
          break;
        case 'openstack_lb_loadbalancer_v2':
          line('load-balancer', 'load balancer', copies, 'load balancer', prices.loadBalancerEurPerHour);
          break;
        case 'openstack_objectstorage_container_v1': {
          const containerName = staticString(body.name);
          const gb = (containerName !== undefined ? byContainerGB[containerName] : undefined) ?? perContainerGB;
          line('object-storage', 'object storage', gb * copies, 'GB', prices.objectStorageEurPerGbHour, true);
          break;
        }
      }
    }
  }

  const monthlyEUR = lines.reduce((sum, l) => sum + l.monthlyEUR, 0);
  const autoscaled = autoscaledPoolCosts(stack, json, lines, poolOf);
  const monthlyMaxEUR = monthlyEUR + autoscaled.reduce((sum, p) => sum + p.maxEUR - p.minEUR, 0);
  return {
    stack,
    environment: environmentOfStackName(stack),
    resourceCount,
    lines,
    unpriced,
    pricedTypes,
    freeTypes,
    monthlyEUR,
    monthlyCHF: monthlyEUR * prices.chfPerEur,
    autoscaled,
    monthlyMaxEUR,
    monthlyMaxCHF: monthlyMaxEUR * prices.chfPerEur,
  };
}

/**
 * The stack's autoscaled pools (its `autoscaled_pools` output) priced from
 * their floor's own line items: one node costs what the floor costs divided by
 * its nodes. Throws when the output and the instances disagree (a hand-edited
 * or stale output), since a range from them would be wrong.
 */
function autoscaledPoolCosts(stack: string, json: unknown, lines: readonly LineItem[], poolOf: ReadonlyMap<string, string>): AutoscaledPoolCost[] {
  const output = (json as Body).output?.[AUTOSCALED_POOLS_OUTPUT];
  if (output === undefined) return [];
  const where = `stack ${stack}: output.${AUTOSCALED_POOLS_OUTPUT}`;
  const value = output?.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CostEstimateError(`${where}: expected { <pool>: { min_nodes, max_nodes } }, got ${JSON.stringify(value)}`);
  }
  return Object.entries<any>(value).map(([pool, range]) => {
    const minNodes = range?.min_nodes;
    const maxNodes = range?.max_nodes;
    if (!Number.isInteger(minNodes) || !Number.isInteger(maxNodes) || minNodes < 1 || maxNodes < minNodes) {
      throw new CostEstimateError(`${where}.${pool}: ${JSON.stringify(range)}: needs whole min_nodes >= 1 and max_nodes >= min_nodes; synthesize again`);
    }
    const instances = lines.filter((l) => l.kind === 'instance' && poolOf.get(l.address) === pool);
    const nodes = instances.reduce((n, l) => n + l.quantity, 0);
    if (nodes !== minNodes) {
      throw new CostEstimateError(
        `${where}.${pool}: min_nodes ${minNodes}, but the stack has ${nodes} priced instances of agent pool ${pool}; synthesize again (npm run synth)`,
      );
    }
    const addresses = new Set(instances.map((l) => l.address));
    const minEUR = lines.filter((l) => addresses.has(l.address)).reduce((sum, l) => sum + l.monthlyEUR, 0);
    const perNodeEUR = minEUR / minNodes;
    return { pool, flavor: instances[0].item, minNodes, maxNodes, perNodeEUR, minEUR, maxEUR: perNodeEUR * maxNodes };
  });
}

/**
 * Reads cdktf.out/manifest.json under `outdir` and prices every stack it
 * lists, in the manifest's order.
 */
export function estimateOutdir(outdir: string, options: EstimateOptions = {}): PlatformEstimate {
  const prices = options.prices ?? INFOMANIAK_PRICES;
  const stacks = readSynthesizedStacks(outdir).map(({ stack, json }) => estimateStack(stack, json, options));
  const monthlyEUR = stacks.reduce((sum, s) => sum + s.monthlyEUR, 0);
  const monthlyMaxEUR = stacks.reduce((sum, s) => sum + s.monthlyMaxEUR, 0);
  return {
    stacks,
    prices,
    objectStorageGBPerContainer: options.objectStorageGBPerContainer ?? DEFAULT_OBJECT_STORAGE_GB_PER_CONTAINER,
    monthlyEUR,
    monthlyCHF: monthlyEUR * prices.chfPerEur,
    monthlyMaxEUR,
    monthlyMaxCHF: monthlyMaxEUR * prices.chfPerEur,
  };
}

/** Every stack of a synthesized app: its name and parsed cdk.tf.json. */
export function readSynthesizedStacks(outdir: string): { stack: string; json: unknown }[] {
  const manifestFile = path.join(outdir, 'manifest.json');
  let manifest: { stacks?: Record<string, { synthesizedStackPath?: string }> };
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : String(err);
    throw new CostEstimateError(`${manifestFile}: ${reason}; run npm run synth first`);
  }
  return Object.entries(manifest.stacks ?? {}).map(([stack, entry]) => {
    const file = path.join(outdir, entry.synthesizedStackPath ?? path.join('stacks', stack, 'cdk.tf.json'));
    try {
      return { stack, json: JSON.parse(readFileSync(file, 'utf8')) as unknown };
    } catch (err) {
      throw new CostEstimateError(`stack ${stack}: ${file}: cannot read it (${String(err)}); run npm run synth again`);
    }
  });
}

type Body = Record<string, any>;

function resourcesOf(stack: string, json: unknown): Record<string, Record<string, Body>> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CostEstimateError(`stack ${stack}: not a synthesized stack (expected a JSON object with a resource section)`);
  }
  const resource = (json as Body).resource ?? {};
  if (typeof resource !== 'object' || Array.isArray(resource)) {
    throw new CostEstimateError(`stack ${stack}: resource: expected an object of resource types, got ${JSON.stringify(resource)}`);
  }
  return resource;
}

/** How many copies a block makes: 1, a literal `count`, or the keys of a literal `for_each` map. */
function copiesOf(where: string, body: Body): number | Unknown {
  if (body.for_each !== undefined) {
    const forEach = body.for_each;
    if (typeof forEach === 'object' && forEach !== null && !Array.isArray(forEach)) return Object.keys(forEach).length;
    return { unknown: `for_each ${JSON.stringify(forEach)} is not known before apply` };
  }
  if (body.count === undefined) return 1;
  const count = typeof body.count === 'string' && /^\d+$/.test(body.count) ? Number(body.count) : body.count;
  if (typeof count === 'number') {
    if (!Number.isInteger(count) || count < 0) {
      throw new CostEstimateError(`${where}: count ${JSON.stringify(body.count)}: must be a whole number of 0 or more`);
    }
    return count;
  }
  return { unknown: `count ${JSON.stringify(body.count)} is not known before apply` };
}

/** A string known at synth time; undefined when absent or an expression (${...}). */
function staticString(value: unknown): string | undefined {
  return typeof value === 'string' && !value.includes('${') ? value : undefined;
}

function asBlockList(value: unknown): Body[] {
  if (Array.isArray(value)) return value.filter((v): v is Body => typeof v === 'object' && v !== null);
  return typeof value === 'object' && value !== null ? [value as Body] : [];
}

function volumePrice(
  where: string,
  sizeField: string,
  size: unknown,
  volumeType: unknown,
  prices: PriceList,
): { type: string; sizeGB: number; eurPerGbHour: number } | Unknown {
  const sizeGB = typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : size;
  if (typeof sizeGB !== 'number') {
    return { unknown: size === undefined ? `no ${sizeField}: the size comes from its image or snapshot` : `${sizeField} ${JSON.stringify(size)} is not known before apply` };
  }
  if (!Number.isFinite(sizeGB) || sizeGB <= 0) {
    throw new CostEstimateError(`${where}: ${sizeField} ${JSON.stringify(size)}: must be a positive number of GB`);
  }
  if (volumeType === undefined) return { unknown: "no volume_type: the cloud's default type, unknown here; set the type" };
  const type = staticString(volumeType);
  if (type === undefined) return { unknown: `volume_type ${JSON.stringify(volumeType)} is not known before apply` };
  const eurPerGbHour = prices.volumeEurPerGbHour[type];
  if (eurPerGbHour === undefined) {
    return { unknown: `volume_type ${JSON.stringify(type)} has no price (priced: ${Object.keys(prices.volumeEurPerGbHour).join(', ')})` };
  }
  return { type, sizeGB, eurPerGbHour };
}

/** A Kubernetes Service of type LoadBalancer: the cloud creates an Octavia LB for it that this estimate does not see. */
function kubernetesLoadBalancer(type: string, body: Body): string | undefined {
  if (type !== 'kubernetes_service' && type !== 'kubernetes_service_v1') return undefined;
  const spec = asBlockList(body.spec)[0];
  return spec?.type === 'LoadBalancer'
    ? 'Service of type LoadBalancer: the cloud controller manager creates an Octavia load balancer (and floating IP) for it, not counted'
    : undefined;
}

function checkedGB(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CostEstimateError(`${field} ${JSON.stringify(value)}: must be a number of GB, 0 or more`);
  }
  return value;
}
