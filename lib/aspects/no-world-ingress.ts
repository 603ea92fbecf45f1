import type { IConstruct } from 'constructs';
import { describeReach, ipBlockOf, reachOf, type IpBlock, type IpVersion, type Reach } from '../net/cidr';
import { isLiteral, literalStrings, terraformBlockOf } from './private/inspect';
import type { GuardrailRule, GuardrailViolation } from './violation';

/** Ports the whole internet may reach: the websites. */
const PUBLIC_TCP_PORTS = [80, 443];
/** The platform opens no SSH at all (nothing to log in with, nothing to log in to); an override that does gets this. */
const SSH_FIX = 'remove the rule: the platform opens no SSH (no node has a public address or an SSH key; RKE2 needs no login)';
const OPEN_FIX = 'restrict remote_ip_prefix to the networks that need it, or use remote_group_id';
/** Protocols whose rules have port ranges; for any other, a rule opens the whole protocol. */
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'dccp', 'udplite']);
const PROTOCOL_NUMBERS: Readonly<Record<string, string>> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '33': 'dccp', '132': 'sctp', '136': 'udplite' };
const ALL_PORTS = { min: 1, max: 65535 };
const ANY_PROTOCOL = 'any';

/** An ingress rule from an address block, as the stack-wide pass judges it. */
interface SourceRule {
  readonly order: number;
  readonly path: string;
  readonly block: IpBlock;
  /** Lower case name (`tcp`), or `any` for a rule without protocol. */
  readonly protocol: string;
  readonly min: number;
  readonly max: number;
}

/**
 * `no-world-ingress`: no security group rule and no Octavia listener admits the
 * whole internet, except tcp 80 and 443. A rule with neither a remote prefix
 * nor a remote group admits everyone too, and so does a listener without
 * allowed_cidrs.
 *
 * Sources are judged by what they admit together: per protocol and port, the
 * union of the `remote_ip_prefix` of every ingress rule of the stack's
 * security groups (all of them: a port may carry several groups), and per
 * listener the union of its `allowed_cidrs`. A union that is the whole address
 * space, or larger than a /8 (IPv6: a /32, see SANE_PREFIX_LENGTH), fails:
 * `0.0.0.0/1` and `128.0.0.0/1` are the internet as much as `0.0.0.0/0`.
 */
export class NoWorldIngress implements GuardrailRule {
  static readonly ID = 'no-world-ingress';
  readonly id = NoWorldIngress.ID;
  private sources: SourceRule[] = [];

  begin(): void {
    this.sources = [];
  }

  check(construct: IConstruct): GuardrailViolation[] {
    const block = terraformBlockOf(construct);
    if (block?.kind !== 'resource') return [];
    const a = block.attributes;
    const path = construct.node.path;
    if (block.type === 'openstack_networking_secgroup_rule_v2') {
      if (a.direction !== 'ingress') return [];
      const protocol = a.protocol;
      if (!isLiteral(protocol ?? '') || !isLiteral(a.port_range_min ?? 0) || !isLiteral(a.port_range_max ?? 0)) return [];
      const min = a.port_range_min as number | undefined;
      const max = a.port_range_max as number | undefined;
      const source = worldSource(a);
      if (source === undefined) {
        this.collect(path, a.remote_ip_prefix, protocol as string | undefined, min, max);
        return [];
      }
      const single = min !== undefined && min === max ? min : undefined;
      const isTcp = protocol === 'tcp' || protocol === '6';
      if (isTcp && single !== undefined && PUBLIC_TCP_PORTS.includes(single)) return [];
      return [
        {
          path,
          rule: this.id,
          problem: `ingress from ${source} on ${describePorts(protocol as string | undefined, min, max)}`,
          fix: isTcp && single === 22 ? SSH_FIX : OPEN_FIX,
        },
      ];
    }
    if (block.type === 'openstack_lb_listener_v2') {
      const cidrs = a.allowed_cidrs;
      if (cidrs !== undefined && !Array.isArray(cidrs)) return []; // a whole-list token
      const listed = literalStrings(cidrs) ?? [];
      const open =
        listed.length === 0
          ? Array.isArray(cidrs) && cidrs.length > 0
            ? undefined
            : 'anywhere (no allowed_cidrs)'
          : (listed.find(isWorld) ?? broadList(listed));
      if (open === undefined) return [];
      if (!isLiteral(a.protocol_port ?? 0) || !isLiteral(a.protocol ?? '')) return [];
      const port = a.protocol_port as number | undefined;
      const protocol = String(a.protocol ?? '');
      if (port !== undefined && PUBLIC_TCP_PORTS.includes(port) && !['UDP', 'SCTP'].includes(protocol)) return [];
      return [
        {
          path,
          rule: this.id,
          problem: `listener open to ${open} on ${protocol || 'any protocol'} ${port ?? '(any port)'}`,
          fix: 'set allowed_cidrs to the networks that need it (access.apiAllowedCidrs for the Kubernetes API)',
        },
      ];
    }
    return [];
  }

  /** The stack-wide pass: what the rules from address blocks admit together, per family, protocol and port. */
  finish(): GuardrailViolation[] {
    const found: { order: number; violation: GuardrailViolation }[] = [];
    for (const version of [4, 6] as const) {
      const rules = this.sources.filter((r) => r.block.version === version);
      const forAll = rules.filter((r) => r.protocol === ANY_PROTOCOL);
      // A rule without protocol counts on every port; report it once by itself,
      // and a port only when it admits more than those rules do alone.
      const floor = level(reachIn(forAll, version));
      if (floor > 0) found.push(this.report(forAll, ANY_PROTOCOL, ALL_PORTS, reachIn(forAll, version)!));
      const protocols = [...new Set(rules.map((r) => r.protocol))].filter((p) => p !== ANY_PROTOCOL);
      for (const protocol of protocols) {
        const relevant = rules.filter((r) => r.protocol === protocol || r.protocol === ANY_PROTOCOL);
        for (const ports of segments(relevant, protocol)) {
          if (this.exempt(protocol, ports)) continue;
          const covering = relevant.filter((r) => r.min <= ports.min && ports.max <= r.max);
          const reach = reachIn(covering, version);
          if (level(reach) > floor) found.push(this.report(covering, protocol, ports, reach!));
        }
      }
    }
    // In the order of the rules, like the violations of single constructs.
    return found.sort((x, y) => x.order - y.order).map((f) => f.violation);
  }

  private collect(path: string, prefix: unknown, protocol: string | undefined, min: number | undefined, max: number | undefined): void {
    if (typeof prefix !== 'string' || !isLiteral(prefix)) return;
    const block = ipBlockOf(prefix);
    if (block === undefined) return;
    const name = protocol === undefined || protocol === '' ? ANY_PROTOCOL : (PROTOCOL_NUMBERS[protocol] ?? protocol.toLowerCase());
    const ranged = PORT_PROTOCOLS.has(name) && (min !== undefined || max !== undefined);
    this.sources.push({
      order: this.sources.length,
      path,
      block,
      protocol: name,
      min: ranged ? (min ?? ALL_PORTS.min) : ALL_PORTS.min,
      max: ranged ? (max ?? min ?? ALL_PORTS.max) : ALL_PORTS.max,
    });
  }

  private exempt(protocol: string, ports: { min: number; max: number }): boolean {
    if (protocol !== 'tcp' || ports.min !== ports.max) return false;
    return PUBLIC_TCP_PORTS.includes(ports.min);
  }

  private report(rules: readonly SourceRule[], protocol: string, ports: { min: number; max: number }, reach: Reach) {
    const [first, ...others] = rules;
    const shown = rules.slice(0, 4).map((r) => r.block.text);
    const more = rules.length > 4 ? ` and ${rules.length - 4} more` : '';
    const also = others.length > 0 ? ` (with ${others.slice(0, 3).map((r) => r.path).join(', ')}${others.length > 3 ? ', ...' : ''})` : '';
    const where =
      protocol === ANY_PROTOCOL
        ? 'all protocols'
        : PORT_PROTOCOLS.has(protocol)
          ? ports.min === ALL_PORTS.min && ports.max === ALL_PORTS.max
            ? `${protocol} (all ports)`
            : `${protocol} ${ports.min === ports.max ? ports.min : `${ports.min}-${ports.max}`}`
          : protocol;
    const ssh = protocol === 'tcp' && ports.min === 22 && ports.max === 22;
    return {
      order: first.order,
      violation: {
        path: first.path,
        rule: this.id,
        problem: `ingress from ${shown.join(', ')}${more}${also} on ${where} admits ${describeReach(reach)}`,
        fix: ssh ? SSH_FIX : OPEN_FIX,
      },
    };
  }
}

/** The reach of some rules in one family, undefined for none. */
function reachIn(rules: readonly SourceRule[], version: IpVersion): Reach | undefined {
  return reachOf(rules.map((r) => r.block)).find((r) => r.version === version);
}

/** 0 restricted, 1 broader than an organisation's network, 2 the whole internet. */
function level(reach: Reach | undefined): number {
  return reach === undefined ? 0 : reach.whole ? 2 : reach.tooBroad ? 1 : 0;
}

/** The port ranges on which the same rules apply: the rules' ranges cut at every bound. */
function segments(rules: readonly SourceRule[], protocol: string): { min: number; max: number }[] {
  if (!PORT_PROTOCOLS.has(protocol)) return [ALL_PORTS];
  const cuts = [...new Set(rules.flatMap((r) => [r.min, r.max + 1]))].sort((x, y) => x - y);
  return cuts
    .slice(0, -1)
    .map((min, i) => ({ min, max: cuts[i + 1] - 1 }))
    .filter((s) => rules.some((r) => r.min <= s.min && s.max <= r.max));
}

/** A listener's allowed_cidrs with what they admit together, when that is more than an organisation's network. */
function broadList(listed: readonly string[]): string | undefined {
  const blocks = listed.map(ipBlockOf).filter((b): b is IpBlock => b !== undefined);
  const broad = reachOf(blocks).filter((r) => r.tooBroad);
  if (broad.length === 0) return undefined;
  const shown = listed.length > 4 ? [...listed.slice(0, 4), `and ${listed.length - 4} more`] : listed;
  return `${shown.join(', ')} (${broad.map(describeReach).join('; ')})`;
}

/** The world source of an ingress rule (`0.0.0.0/0`, `::/0`, or "anywhere"), or undefined when it is restricted or unknown. */
function worldSource(a: Readonly<Record<string, unknown>>): string | undefined {
  const prefix = a.remote_ip_prefix;
  if (prefix !== undefined && prefix !== '') {
    return typeof prefix === 'string' && isLiteral(prefix) && isWorld(prefix) ? prefix : undefined;
  }
  if (a.remote_group_id !== undefined || a.remote_address_group_id !== undefined) return undefined;
  return 'anywhere (no remote_ip_prefix or remote_group_id)';
}

function isWorld(cidr: string): boolean {
  return /\/0$/.test(cidr.trim());
}

function describePorts(protocol: string | undefined, min: number | undefined, max: number | undefined): string {
  if (protocol === undefined || protocol === '') return 'all protocols';
  if (min === undefined && max === undefined) return `${protocol} (all ports)`;
  if (min === max || max === undefined) return `${protocol} ${min}`;
  return `${protocol} ${min ?? 1}-${max}`;
}
