import { z } from 'zod';
import { isListedFlavor, INFOMANIAK_PRICES, parseFlavor } from '../cost/prices';
import { firstFreeBlock, overlaps, parseCidr, PRIVATE_RANGES, type Ipv4Cidr } from '../net/cidr';
import { entriesOf, type CrossFieldContext } from './cross-field';

/**
 * An https:// endpoint of a service the stacks talk to, without user info: a
 * `user@` or `user:password@` in it would travel into the synthesized JSON and
 * every state, and credentials come from the environment.
 *
 * @param credentials where the credentials come from instead, named in the message
 */
export function endpointUrl(credentials: string) {
  return z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).superRefine((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return; // not a URL: its own check says so
    }
    if (url.username === '' && url.password === '') return;
    const userInfo = text.slice(text.indexOf('//') + 2, text.indexOf('@') + 1);
    ctx.addIssue({
      code: 'custom',
      message: `holds user info (${userInfo}); credentials never go in the URL, which reaches the synthesized JSON and every state (${credentials}): remove "${userInfo}"`,
    });
  });
}

interface EnvironmentsView {
  readonly environments: Readonly<Record<string, { network: { cidr: string }; kubernetes: { podCidr: string; serviceCidr: string } }>>;
}

/**
 * Each environment has its own address plan (README): no environment's
 * network overlaps another's, so that routes, VPNs and allow-lists between
 * them can never confuse one cluster's nodes with another's. Reported at the
 * later environment, with a free block of the same size to take.
 */
export function checkEnvironmentsApart(config: EnvironmentsView, ctx: CrossFieldContext): void {
  const networks: { env: string; block: Ipv4Cidr }[] = [];
  for (const [env] of entriesOf(config.environments)) {
    if (!ctx.valid('environments', env, 'network', 'cidr')) continue;
    const block = parseCidr(config.environments[env].network.cidr);
    if (typeof block === 'string') continue; // its own check reports it
    const clash = networks.find((other) => overlaps(other.block, block));
    if (clash !== undefined) {
      const own = config.environments[env].kubernetes;
      const inside = ['podCidr', 'serviceCidr'] as const;
      const taken = [
        ...networks.map((n) => n.block),
        ...inside.filter((f) => ctx.valid('environments', env, 'kubernetes', f)).map((f) => parseCidr(own[f])),
      ].filter((b): b is Ipv4Cidr => typeof b !== 'string');
      const range = PRIVATE_RANGES.find((r) => r.first <= block.first && block.last <= r.last) ?? PRIVATE_RANGES[0];
      const free = firstFreeBlock(range, block.prefixLength, taken);
      ctx.addIssue({
        code: 'custom',
        path: ['environments', env, 'network', 'cidr'],
        message:
          `overlaps environments.${clash.env}.network.cidr (${clash.block.text}); each environment has its own address plan: ` +
          `pick a block no other environment uses${free === undefined ? '' : `, such as ${free}`}`,
      });
    }
    networks.push({ env, block });
  }
}

interface FlavorsView {
  readonly cloud: { unlistedFlavors: readonly string[] };
  readonly environments: Readonly<Record<string, { servers: { flavor: string }; agentPools: readonly { flavor: string }[] }>>;
}

/**
 * Every flavor is one Infomaniak sells: in the price list (lib/cost/prices.ts),
 * or named in `cloud.unlistedFlavors`, the explicit opt-in for one the list
 * lacks (the cost estimate then reports it as not priced). The name pattern
 * alone let `a3-ram7-disk0` through, priced by extrapolation.
 */
export function checkFlavorsListed(config: FlavorsView, ctx: CrossFieldContext): void {
  const optIn = ctx.valid('cloud', 'unlistedFlavors') ? config.cloud.unlistedFlavors : undefined;
  (optIn ?? []).forEach((name, index) => {
    if (isListedFlavor(name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cloud', 'unlistedFlavors', index],
        message: 'is in the price list already; remove it from cloud.unlistedFlavors',
      });
    }
  });
  for (const [env] of entriesOf(config.environments)) {
    const environment = config.environments[env];
    const fields: (string | number)[][] = [['servers', 'flavor']];
    if (Array.isArray(environment?.agentPools)) environment.agentPools.forEach((_, i) => fields.push(['agentPools', i, 'flavor']));
    for (const field of fields) {
      const at = ['environments', env, ...field];
      if (!ctx.valid(...at)) continue;
      const name = field.reduce<any>((node, key) => node[key], environment) as string;
      if (isListedFlavor(name)) continue;
      if (optIn === undefined || optIn.includes(name)) continue; // opted in, or the opt-in list itself is broken
      ctx.addIssue({
        code: 'custom',
        path: at,
        message:
          `not a flavor Infomaniak sells (it is not in the price list of ${INFOMANIAK_PRICES.date}, lib/cost/prices.ts); ` +
          `pick a listed one, such as ${nearestListedFlavor(name)}, or, if your project has it, add it to cloud.unlistedFlavors ` +
          '(the cost estimate then reports it as not priced)',
      });
    }
  }
}

/**
 * The listed flavor to suggest for an unlisted one: the cheapest CPU flavor of
 * the same local disk with at least its vCPUs and RAM, else the largest such.
 */
export function nearestListedFlavor(name: string): string {
  const wanted = parseFlavor(name);
  const listed = Object.entries(INFOMANIAK_PRICES.flavorsEurPerHour)
    .map(([flavor, eurPerHour]) => ({ flavor: parseFlavor(flavor)!, eurPerHour }))
    .filter(({ flavor }) => flavor.gpu === undefined);
  const sameDisk = listed.filter(({ flavor }) => flavor.localDiskGB === (wanted?.localDiskGB ?? 0));
  const candidates = sameDisk.length > 0 ? sameDisk : listed;
  const fits = candidates
    .filter(({ flavor }) => wanted !== undefined && flavor.vcpus >= wanted.vcpus && flavor.ramGB >= wanted.ramGB)
    .sort((a, b) => a.eurPerHour - b.eurPerHour);
  if (fits.length > 0) return fits[0].flavor.name;
  return [...candidates].sort((a, b) => b.eurPerHour - a.eurPerHour)[0].flavor.name;
}
