import type { IConstruct } from 'constructs';
import { isLiteral, literalStrings, terraformBlockOf } from './private/inspect';
import type { GuardrailRule, GuardrailViolation } from './violation';

export interface NoWorldIngressProps {
  /**
   * Tolerate tcp 22 open to the world on security group rules: the
   * environment's `access.allowWorldSsh` opt-in.
   * @default false
   */
  readonly allowWorldSsh?: boolean;
}

/** Ports the whole internet may reach: the websites. */
const PUBLIC_TCP_PORTS = [80, 443];
const SSH_FIX = 'restrict remote_ip_prefix to your admin networks (access.sshAllowedCidrs)';

/**
 * `no-world-ingress`: no security group rule and no Octavia listener admits the
 * whole internet, except tcp 80 and 443. A rule with neither a remote prefix
 * nor a remote group admits everyone too, and so does a listener without
 * allowed_cidrs.
 */
export class NoWorldIngress implements GuardrailRule {
  static readonly ID = 'no-world-ingress';
  readonly id = NoWorldIngress.ID;
  private readonly allowWorldSsh: boolean;

  constructor(props: NoWorldIngressProps = {}) {
    this.allowWorldSsh = props.allowWorldSsh ?? false;
  }

  check(construct: IConstruct): GuardrailViolation[] {
    const block = terraformBlockOf(construct);
    if (block?.kind !== 'resource') return [];
    const a = block.attributes;
    const path = construct.node.path;
    if (block.type === 'openstack_networking_secgroup_rule_v2') {
      if (a.direction !== 'ingress') return [];
      const source = worldSource(a);
      if (source === undefined) return [];
      const protocol = a.protocol;
      if (!isLiteral(protocol ?? '') || !isLiteral(a.port_range_min ?? 0) || !isLiteral(a.port_range_max ?? 0)) return [];
      const min = a.port_range_min as number | undefined;
      const max = a.port_range_max as number | undefined;
      const single = min !== undefined && min === max ? min : undefined;
      const isTcp = protocol === 'tcp' || protocol === '6';
      if (isTcp && single !== undefined && PUBLIC_TCP_PORTS.includes(single)) return [];
      if (isTcp && single === 22 && this.allowWorldSsh) return [];
      return [
        {
          path,
          rule: this.id,
          problem: `ingress from ${source} on ${describePorts(protocol as string | undefined, min, max)}`,
          fix: isTcp && single === 22 ? SSH_FIX : 'restrict remote_ip_prefix to the networks that need it, or use remote_group_id',
        },
      ];
    }
    if (block.type === 'openstack_lb_listener_v2') {
      const cidrs = a.allowed_cidrs;
      if (cidrs !== undefined && !Array.isArray(cidrs)) return []; // a whole-list token
      const listed = literalStrings(cidrs) ?? [];
      const open = listed.length === 0 ? (Array.isArray(cidrs) && cidrs.length > 0 ? undefined : 'anywhere (no allowed_cidrs)') : listed.find(isWorld);
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
