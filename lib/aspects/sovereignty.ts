import type { IConstruct } from 'constructs';
import { isLiteral, literalStrings, terraformBlockOf, walk } from './private/inspect';
import type { GuardrailRule, GuardrailViolation } from './violation';

export interface SovereigntyProps {
  /** `guardrails.allowedRegions`. */
  readonly allowedRegions: readonly string[];
  /** `guardrails.allowedEndpointDomains`: a host is allowed when it equals one or ends with `.` + one. */
  readonly allowedEndpointDomains: readonly string[];
  /** `guardrails.allowedDnsResolvers`. */
  readonly allowedDnsResolvers: readonly string[];
}

/**
 * `sovereignty`: the platform talks to Swiss endpoints only. OpenStack
 * providers name an allowed auth_url and region; every literal `region`
 * attribute is allowed; every literal attribute named `*endpoint` or
 * `*auth_url` (at any depth of a block) is a URL on an allowed domain; subnets
 * hand out allowed resolvers only.
 */
export class Sovereignty implements GuardrailRule {
  static readonly ID = 'sovereignty';
  readonly id = Sovereignty.ID;

  constructor(private readonly props: SovereigntyProps) {}

  check(construct: IConstruct): GuardrailViolation[] {
    const block = terraformBlockOf(construct);
    if (!block) return [];
    const a = block.attributes;
    const violations: GuardrailViolation[] = [];
    const add = (problem: string, fix: string) => violations.push({ path: construct.node.path, rule: this.id, problem, fix });
    const regions = this.props.allowedRegions.join(', ');

    if (block.kind === 'provider' && block.type === 'openstack') {
      if (a.auth_url === undefined) add('the OpenStack provider has no auth_url (it would come from OS_AUTH_URL)', 'set auth_url from cloud.authUrl');
      if (a.region === undefined) add('the OpenStack provider has no region (it would come from OS_REGION_NAME)', `set region to one of ${regions}`);
    }
    if (typeof a.region === 'string' && isLiteral(a.region) && !this.props.allowedRegions.includes(a.region)) {
      add(`region "${a.region}" is not an allowed region`, `use one of ${regions} (guardrails.allowedRegions)`);
    }
    walk(a, (key, value, at) => {
      if (!/(endpoint|auth_url)$/.test(key) || typeof value !== 'string' || !isLiteral(value)) return;
      const host = hostOf(value);
      const name = at.join('.');
      if (host === undefined) {
        add(`${name} "${value}" is not a URL`, `write it as https://host/..., on ${this.domains()}`);
      } else if (!this.isAllowedHost(host)) {
        add(`${name} "${value}" is on ${host}, outside the allowed domains`, `use an endpoint on ${this.domains()} (guardrails.allowedEndpointDomains)`);
      }
    });
    if (block.kind === 'resource' && block.type === 'openstack_networking_subnet_v2') {
      for (const resolver of literalStrings(a.dns_nameservers) ?? []) {
        if (!this.props.allowedDnsResolvers.includes(resolver)) {
          add(
            `dns_nameservers ${resolver} is not an allowed resolver`,
            `use ${this.props.allowedDnsResolvers.join(', ')} (cloud.dnsServers within guardrails.allowedDnsResolvers)`,
          );
        }
      }
    }
    return violations;
  }

  private domains(): string {
    return this.props.allowedEndpointDomains.join(', ');
  }

  private isAllowedHost(host: string): boolean {
    return this.props.allowedEndpointDomains.some((d) => host === d.toLowerCase() || host.endsWith(`.${d.toLowerCase()}`));
  }
}

function hostOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.hostname === '' ? undefined : parsed.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
