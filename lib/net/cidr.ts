/**
 * IPv4 CIDR arithmetic for config validation: parsing, containment, overlap.
 * Plain numbers only (no tokens): config values are known at synth time.
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
  const octets = match.slice(1, 5).map(Number);
  const prefixLength = Number(match[5]);
  if (octets.some((o) => o > 255)) return 'an octet is above 255; each of the four numbers must be 0 to 255';
  if (prefixLength > 32) return 'the prefix length is above 32; use /8 to /29';
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefixLength);
  const first = Math.floor(address / size) * size;
  if (first !== address) {
    return `host bits are set; use ${formatAddress(first)}/${prefixLength}`;
  }
  return { text, first, last: first + size - 1, prefixLength };
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
