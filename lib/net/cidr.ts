import { IPv4, IPv6 } from 'ipaddr.js';

/**
 * CIDR arithmetic for config validation and the guardrails: parsing,
 * containment, overlap (IPv4 address plans), and how much of the internet a
 * list of IPv4 or IPv6 blocks admits (allow-lists). Parsing and network
 * addresses come from ipaddr.js; only the union of blocks is computed here.
 * Plain values only (no tokens): config values are known at synth time.
 */
export interface Ipv4Cidr {
  /** The text as written in the config. */
  readonly text: string;
  /** First address of the block as an unsigned 32-bit integer. */
  readonly first: number;
  /** Last address of the block. */
  readonly last: number;
  readonly prefixLength: number;
}

// Stricter than ipaddr.js, which also reads the legacy forms 10.1, 0x0a.0.0.1
// and 010.0.0.1 (octal: 8.0.0.1); Go's net.ParseCIDR, in OpenTofu and the
// OpenStack provider, refuses those.
const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The RFC 1918 private ranges: cluster networks must sit inside one of them. */
export const PRIVATE_RANGES: readonly Ipv4Cidr[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(
  (text) => parseCidr(text) as Ipv4Cidr,
);

/**
 * Parses "a.b.c.d/n". Returns a string describing the problem when the text is
 * not a canonical IPv4 CIDR block (host bits set count as a problem, with the
 * block that was probably meant).
 */
export function parseCidr(text: string): Ipv4Cidr | string {
  const match = CIDR_PATTERN.exec(text);
  if (!match) return 'not an IPv4 CIDR block; write it as a.b.c.d/n, for example 10.10.0.0/16';
  const octets = match.slice(1, 5);
  const prefixLength = Number(match[5]);
  if (octets.some((o) => Number(o) > 255)) return 'an octet is above 255; each of the four numbers must be 0 to 255';
  if (octets.some((o) => o.length > 1 && o.startsWith('0'))) {
    return 'an octet has a leading zero (read as octal by some tools); write each number without leading zeros';
  }
  if (prefixLength > 32) return 'the prefix length is above 32; use /8 to /29';
  const network = IPv4.networkAddressFromCIDR(text);
  if (network.toString() !== octets.map(Number).join('.')) return `host bits are set; use ${network}/${prefixLength}`;
  return {
    text,
    first: Number(toBigInt(network)),
    last: Number(toBigInt(IPv4.broadcastAddressFromCIDR(text))),
    prefixLength,
  };
}

export function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function contains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function overlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function isPrivate(cidr: Ipv4Cidr): boolean {
  return PRIVATE_RANGES.some((range) => contains(range, cidr));
}

/** The address blocks of one cluster, as written in its config. */
export interface AddressPlan {
  readonly networkCidr: string;
  readonly serversSubnetCidr: string;
  readonly agentsSubnetCidr: string;
  /** @default - not checked */
  readonly podCidr?: string;
  /** @default - not checked */
  readonly serviceCidr?: string;
}

export interface AddressPlanProblem {
  readonly field: keyof AddressPlan;
  readonly message: string;
}

/**
 * Everything wrong with an address plan: malformed blocks, a network outside
 * the private ranges, subnets outside their network, too small or overlapping,
 * and pod or service ranges clashing with the nodes' addresses.
 */
export function addressPlanProblems(plan: AddressPlan): AddressPlanProblem[] {
  const problems: AddressPlanProblem[] = [];
  const labels: Record<keyof AddressPlan, string> = {
    networkCidr: 'network',
    serversSubnetCidr: 'servers subnet',
    agentsSubnetCidr: 'agents subnet',
    podCidr: 'pod range',
    serviceCidr: 'service range',
  };
  const blocks: Partial<Record<keyof AddressPlan, Ipv4Cidr>> = {};
  for (const field of Object.keys(labels) as Array<keyof AddressPlan>) {
    const text = plan[field];
    if (text === undefined) continue;
    const parsed = parseCidr(text);
    if (typeof parsed === 'string') problems.push({ field, message: parsed });
    else blocks[field] = parsed;
  }
  const { networkCidr: network, serversSubnetCidr: servers, agentsSubnetCidr: agents, podCidr: pods, serviceCidr: services } = blocks;
  if (network && !isPrivate(network)) {
    problems.push({
      field: 'networkCidr',
      message: 'must be a private range (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)',
    });
  }
  for (const field of ['serversSubnetCidr', 'agentsSubnetCidr'] as const) {
    const subnet = blocks[field];
    if (!network || !subnet) continue;
    if (!contains(network, subnet)) {
      problems.push({ field, message: `the ${labels[field]} must lie inside the network ${network.text}; pick a block inside it` });
    } else if (subnet.prefixLength > 28) {
      problems.push({ field, message: `the ${labels[field]} is too small for nodes and load balancers; use /28 or larger` });
    }
  }
  if (servers && agents && overlaps(servers, agents)) {
    problems.push({ field: 'agentsSubnetCidr', message: `overlaps the servers subnet ${servers.text}; pick a separate block` });
  }
  for (const field of ['podCidr', 'serviceCidr'] as const) {
    const range = blocks[field];
    if (range && network && overlaps(range, network)) {
      problems.push({
        field,
        message: `the ${labels[field]} overlaps the network ${network.text}; node and ${labels[field]} addresses must differ`,
      });
    }
  }
  if (pods && services && overlaps(pods, services)) {
    problems.push({ field: 'serviceCidr', message: `overlaps the pod range ${pods.text}; pick a separate block` });
  }
  return problems;
}

export type IpVersion = 4 | 6;

/** An IPv4 or IPv6 block, e.g. an entry of an allow-list. */
export interface IpBlock {
  /** The text as written. */
  readonly text: string;
  readonly version: IpVersion;
  readonly prefixLength: number;
  /** First and last address as unsigned integers (128 bits for IPv6). */
  readonly first: bigint;
  readonly last: bigint;
}

/** Bits of an address. */
export const ADDRESS_BITS: Readonly<Record<IpVersion, number>> = { 4: 32, 6: 128 };

/**
 * The shortest prefix an allow-list block may have, and the most addresses a
 * whole list may admit (one block of that length). No organisation's own
 * network is larger: the largest IPv4 assignments ever made are /8s, and an
 * IPv6 /32 is what a registry allocates to a whole provider (which then hands
 * /48s to its customers). A list broader than that admits strangers.
 */
export const SANE_PREFIX_LENGTH: Readonly<Record<IpVersion, number>> = { 4: 8, 6: 32 };

/**
 * Parses an IPv4 block ("a.b.c.d/n", as {@link parseCidr}) or an IPv6 block
 * ("2001:db8::/32"). Returns a string describing the problem when the text is
 * not a canonical block of either kind.
 */
export function parseIpBlock(text: string): IpBlock | string {
  if (!text.includes(':')) {
    const v4 = parseCidr(text);
    if (typeof v4 === 'string') return v4;
    return { text, version: 4, prefixLength: v4.prefixLength, first: BigInt(v4.first), last: BigInt(v4.last) };
  }
  if (text.includes('%') || !IPv6.isValidCIDR(text)) {
    return 'not an IPv6 CIDR block; write it as x:x::/n, for example 2001:db8::/48 (no zone, prefix 0 to 128)';
  }
  const [address, prefixLength] = IPv6.parseCIDR(text);
  const network = IPv6.networkAddressFromCIDR(text);
  if (toBigInt(network) !== toBigInt(address)) return `host bits are set; use ${network.toRFC5952String()}/${prefixLength}`;
  return { text, version: 6, prefixLength, first: toBigInt(network), last: toBigInt(IPv6.broadcastAddressFromCIDR(text)) };
}

/**
 * The block a Terraform attribute such as `remote_ip_prefix` admits, host
 * bits ignored (the cloud admits the whole block); undefined when the text is
 * no block at all.
 */
export function ipBlockOf(text: string): IpBlock | undefined {
  const trimmed = text.trim();
  const v6 = trimmed.includes(':');
  const kind = v6 ? IPv6 : IPv4;
  const valid = v6
    ? !trimmed.includes('%') && IPv6.isValidCIDR(trimmed)
    : CIDR_PATTERN.test(trimmed) && !/(^|\.)0\d/.test(trimmed) && IPv4.isValidCIDRFourPartDecimal(trimmed);
  if (!valid) return undefined;
  return {
    text: trimmed,
    version: v6 ? 6 : 4,
    prefixLength: kind.parseCIDR(trimmed)[1],
    first: toBigInt(kind.networkAddressFromCIDR(trimmed)),
    last: toBigInt(kind.broadcastAddressFromCIDR(trimmed)),
  };
}

/** How much of one address family a set of blocks admits. */
export interface Reach {
  readonly version: IpVersion;
  /** Addresses admitted, overlaps counted once. */
  readonly size: bigint;
  /** The blocks together are the whole address space: the internet. */
  readonly whole: boolean;
  /** More addresses than one block of {@link SANE_PREFIX_LENGTH}: broader than any organisation's network. */
  readonly tooBroad: boolean;
}

/** The reach of the blocks per address family, IPv4 first; none for an empty list. */
export function reachOf(blocks: readonly IpBlock[]): Reach[] {
  return ([4, 6] as const).flatMap((version) => {
    const own = blocks.filter((b) => b.version === version).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    if (own.length === 0) return [];
    // The union's size: merge the sorted blocks into disjoint runs.
    let size = 0n;
    let runFirst = own[0].first;
    let runLast = own[0].last;
    for (const block of own.slice(1)) {
      if (block.first > runLast + 1n) {
        size += runLast - runFirst + 1n;
        runFirst = block.first;
      }
      if (block.last > runLast) runLast = block.last;
    }
    size += runLast - runFirst + 1n;
    const bits = ADDRESS_BITS[version];
    return [{ version, size, whole: size === 1n << BigInt(bits), tooBroad: size > 1n << BigInt(bits - SANE_PREFIX_LENGTH[version]) }];
  });
}

/** "the whole IPv4 internet" or "2,147,483,648 IPv4 addresses, more than a /8". */
export function describeReach(reach: Reach): string {
  const family = `IPv${reach.version}`;
  if (reach.whole) return `the whole ${family} internet`;
  return `${reach.size.toLocaleString('en-US')} ${family} addresses, more than a /${SANE_PREFIX_LENGTH[reach.version]}`;
}

function toBigInt(address: IPv4 | IPv6): bigint {
  return address.toByteArray().reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

/**
 * The first block of `prefixLength` inside `within` that overlaps none of
 * `taken`, to suggest in a message; undefined when there is none.
 */
export function firstFreeBlock(within: Ipv4Cidr, prefixLength: number, taken: readonly Ipv4Cidr[]): string | undefined {
  if (prefixLength < within.prefixLength || prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  for (let first = within.first; first + size - 1 <= within.last; first += size) {
    const block = { text: '', first, last: first + size - 1, prefixLength };
    if (!taken.some((t) => overlaps(t, block))) return `${formatAddress(first)}/${prefixLength}`;
  }
  return undefined;
}

/**
 * The documentation ranges of RFC 5737 (TEST-NET-1 to -3): no one's traffic
 * comes from them, so an allow-list that still holds one admits nobody from
 * it (the default config's placeholder 192.0.2.0/24).
 */
export const DOCUMENTATION_RANGES: readonly Ipv4Cidr[] = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map(
  (text) => parseCidr(text) as Ipv4Cidr,
);

/** The RFC 5737 range a block lies in or overlaps, or undefined. */
export function documentationRangeOf(text: string): string | undefined {
  const block = parseCidr(text);
  if (typeof block === 'string') return undefined;
  return DOCUMENTATION_RANGES.find((range) => overlaps(range, block))?.text;
}
