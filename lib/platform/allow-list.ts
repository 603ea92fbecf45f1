import { parseCidr, parseIpBlock, reachOf, type IpBlock, type Ipv4Cidr } from '../net/cidr';

/** One entry of a source allow-list that cannot be used. */
export interface AllowListProblem {
  /** Index of the entry in the list. */
  readonly index: number;
  /** What is wrong and the fix. */
  readonly message: string;
}

/** A source allow-list (CIDR blocks as written), parsed. */
export interface ParsedAllowList {
  /** The well-formed blocks, in order, without repeats. */
  readonly blocks: readonly Ipv4Cidr[];
  /** Malformed and repeated entries. */
  readonly problems: readonly AllowListProblem[];
}

/** Parses the blocks of a source allow-list: each must be a canonical IPv4 CIDR block, listed once. */
export function parseAllowList(texts: readonly string[]): ParsedAllowList {
  const blocks: Ipv4Cidr[] = [];
  const problems: AllowListProblem[] = [];
  const seen = new Map<string, number>();
  texts.forEach((text, index) => {
    const parsed = parseCidr(text);
    if (typeof parsed === 'string') {
      problems.push({ index, message: parsed });
      return;
    }
    const first = seen.get(text);
    if (first !== undefined) {
      problems.push({ index, message: `listed twice (also at index ${first}); remove one` });
      return;
    }
    seen.set(text, index);
    blocks.push(parsed);
  });
  return { blocks, problems };
}

/**
 * Whether a source allow-list lets the whole IPv4 internet in: the question a
 * world opt-in (allowWorldGrafana) answers. Judged on the union of the blocks
 * (lib/net's reachOf), so `0.0.0.0/1` + `128.0.0.0/1` counts as the internet,
 * as does any set broader than a /8 (no organisation's network is).
 */
export function admitsTheWholeInternet(blocks: readonly Ipv4Cidr[]): boolean {
  const ipBlocks = blocks.map((b) => parseIpBlock(b.text)).filter((b): b is IpBlock => typeof b !== 'string');
  return reachOf(ipBlocks).some((reach) => reach.whole || reach.tooBroad);
}
