import { TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { POD_SECURITY_LABELS, POD_SECURITY_LEVEL, TENANT_LABEL } from './conventions';
import { first, isLiteral, isRecord, terraformBlockOf } from './private/inspect';
import type { GuardrailRule, GuardrailViolation } from './violation';

const NAMESPACE_TYPES = ['kubernetes_namespace_v1', 'kubernetes_namespace'];
const NETWORK_POLICY_TYPES = ['kubernetes_network_policy_v1', 'kubernetes_network_policy'];

/** The namespace a network policy names: a literal, or a `${...}` expression. */
interface PolicyInNamespace {
  readonly namespace: string;
  readonly defaultDeny: boolean;
}

/**
 * A stack's network policies, found once: by literal namespace name (a lookup
 * per tenant namespace, not a scan of every policy of the stack), and those
 * whose namespace is an expression (a reference may name the namespace).
 */
interface StackPolicies {
  readonly byLiteralNamespace: Map<string, PolicyInNamespace[]>;
  readonly byExpression: PolicyInNamespace[];
}

/**
 * `tenant-isolation`: every namespace labelled with TENANT_LABEL enforces the
 * restricted Pod Security Standard (enforce, audit and warn) and holds a
 * default-deny NetworkPolicy (empty pod selector, Ingress and Egress, no rules).
 */
export class TenantIsolation implements GuardrailRule {
  static readonly ID = 'tenant-isolation';
  readonly id = TenantIsolation.ID;
  private policiesByStack = new WeakMap<TerraformStack, StackPolicies>();

  begin(): void {
    this.policiesByStack = new WeakMap();
  }

  check(construct: IConstruct): GuardrailViolation[] {
    const block = terraformBlockOf(construct);
    if (block?.kind !== 'resource' || !NAMESPACE_TYPES.includes(block.type)) return [];
    const metadata = first(block.attributes.metadata);
    if (!isRecord(metadata)) return [];
    const labels = isRecord(metadata.labels) ? metadata.labels : {};
    if (!(TENANT_LABEL in labels)) return [];

    const name = typeof metadata.name === 'string' ? metadata.name : undefined;
    const shown = name !== undefined && isLiteral(name) ? `"${name}"` : '(name not known at synth)';
    const violations: GuardrailViolation[] = [];
    const path = construct.node.path;

    const wrongLabels = POD_SECURITY_LABELS.filter((label) => labels[label] !== POD_SECURITY_LEVEL && isLiteral(labels[label] ?? ''));
    if (wrongLabels.length > 0) {
      violations.push({
        path,
        rule: this.id,
        problem: `tenant namespace ${shown} lacks ${wrongLabels.map((l) => `${l}=${POD_SECURITY_LEVEL}`).join(', ')}`,
        fix: `label it ${POD_SECURITY_LABELS.map((l) => `${l}: ${POD_SECURITY_LEVEL}`).join(', ')}`,
      });
    }

    // A policy belongs to this namespace by its literal name, or by a reference to this resource.
    const ref = `\${${block.type}.${(construct as unknown as { friendlyUniqueId: string }).friendlyUniqueId}.`;
    const policies = this.policiesOf(TerraformStack.of(construct));
    const inNamespace = [
      ...(name !== undefined && isLiteral(name) ? (policies.byLiteralNamespace.get(name) ?? []) : []),
      ...policies.byExpression.filter((p) => p.namespace.includes(ref)),
    ];
    if (!inNamespace.some((p) => p.defaultDeny)) {
      violations.push({
        path,
        rule: this.id,
        problem: `tenant namespace ${shown} has no default-deny NetworkPolicy`,
        fix: 'add a NetworkPolicyV1 in it with an empty pod selector, policy_types [Ingress, Egress] and no ingress or egress rules',
      });
    }
    return violations;
  }

  private policiesOf(stack: TerraformStack): StackPolicies {
    let policies = this.policiesByStack.get(stack);
    if (!policies) {
      policies = { byLiteralNamespace: new Map(), byExpression: [] };
      for (const c of stack.node.findAll()) {
        const block = terraformBlockOf(c);
        if (block?.kind !== 'resource' || !NETWORK_POLICY_TYPES.includes(block.type)) continue;
        const metadata = first(block.attributes.metadata);
        const namespace = isRecord(metadata) && typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
        const policy = { namespace, defaultDeny: isDefaultDeny(first(block.attributes.spec)) };
        if (isLiteral(namespace)) {
          const named = policies.byLiteralNamespace.get(namespace);
          if (named) named.push(policy);
          else policies.byLiteralNamespace.set(namespace, [policy]);
        } else policies.byExpression.push(policy);
      }
      this.policiesByStack.set(stack, policies);
    }
    return policies;
  }
}

function isDefaultDeny(spec: unknown): boolean {
  if (!isRecord(spec)) return false;
  const selector = first(spec.pod_selector);
  const emptySelector =
    selector === undefined ||
    (isRecord(selector) && Object.values(selector).every((v) => v === undefined || isEmpty(v)));
  const types = Array.isArray(spec.policy_types) ? spec.policy_types : [];
  const noRules = isEmpty(spec.ingress) && isEmpty(spec.egress);
  return emptySelector && types.includes('Ingress') && types.includes('Egress') && noRules;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value)) return Object.keys(value).length === 0;
  return false;
}
