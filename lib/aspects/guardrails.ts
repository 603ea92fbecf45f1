import { Aspects, TerraformStack, type IAspect } from 'cdktf';
import type { Construct, IConstruct } from 'constructs';
import { protectedEnvironments, type EnvironmentName, type GuardrailsConfig, type PlatformConfig } from '../config';
import { BackupsKeptInProduction } from './backups-kept-in-production';
import { NoSecretLiterals } from './no-secret-literals';
import { NoWorldIngress } from './no-world-ingress';
import { PinnedReleasesAndImages } from './pinned-releases-and-images';
import { resetInspection } from './private/inspect';
import { MetadataClosed } from './metadata-closed';
import { SecretsStayPut } from './secrets-stay-put';
import { Sovereignty } from './sovereignty';
import { TenantIsolation } from './tenant-isolation';
import { GuardrailViolationError, type GuardrailRule, type GuardrailViolation } from './violation';

export interface GuardrailsProps {
  /** The config's `guardrails` section. */
  readonly guardrails: GuardrailsConfig;
  /**
   * The environments marked `protected: true` (production's rules apply to their stacks).
   * @default ['production'] - the default config's
   */
  readonly protectedEnvironments?: readonly EnvironmentName[];
}

/**
 * The platform's invariants as one cdktf aspect per stack. When synth visits
 * the stack it runs every rule on every construct of the stack and throws a
 * GuardrailViolationError listing all violations: `app.synth()`,
 * `Testing.synth()` and `Testing.synthScope()` all stop there.
 *
 * It checks the tree as it stands when the stack is visited, so add it after
 * any aspect that changes resources on the stack itself.
 */
export class Guardrails implements IAspect {
  /** The rule set for a stack. */
  static rules(props: GuardrailsProps): GuardrailRule[] {
    const g = props.guardrails;
    return [
      new NoWorldIngress(),
      new TenantIsolation(),
      new PinnedReleasesAndImages({ allowedRegistries: g.allowedRegistries }),
      new Sovereignty({
        allowedRegions: g.allowedRegions,
        allowedEndpointDomains: g.allowedEndpointDomains,
        allowedDnsResolvers: g.allowedDnsResolvers,
      }),
      new BackupsKeptInProduction(props.protectedEnvironments ?? ['production']),
      new NoSecretLiterals(),
      new SecretsStayPut(),
      new MetadataClosed(),
    ];
  }

  /** Attaches the guardrails to one stack. */
  static of(stack: TerraformStack, props: GuardrailsProps): Guardrails {
    const guardrails = new Guardrails(props);
    Aspects.of(stack).add(guardrails);
    return guardrails;
  }

  readonly rules: readonly GuardrailRule[];
  /**
   * Stacks found clean, with their construct count then: `assertGuardrails`
   * checks before synth, and the aspect need not resolve every value of an
   * unchanged stack a second time (a third of the synth time at scale).
   */
  private readonly clean = new WeakMap<TerraformStack, number>();

  constructor(props: GuardrailsProps) {
    this.rules = Guardrails.rules(props);
  }

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    if (this.clean.get(node) === node.node.findAll().length) return;
    const violations = this.check(node);
    if (violations.length > 0) throw new GuardrailViolationError(violations);
  }

  /** Every violation in the stack, without throwing. */
  check(stack: TerraformStack): GuardrailViolation[] {
    resetInspection();
    this.rules.forEach((rule) => rule.begin?.());
    const constructs = stack.node.findAll();
    // Plain loops: every rule sees every construct of the stack (tens of thousands in a large shard set).
    const violations: GuardrailViolation[] = [];
    for (const construct of constructs) {
      for (const rule of this.rules) {
        const found = rule.check(construct);
        if (found.length > 0) violations.push(...found);
      }
    }
    for (const rule of this.rules) violations.push(...(rule.finish?.() ?? []));
    if (violations.length === 0) this.clean.set(stack, constructs.length);
    else this.clean.delete(stack);
    return violations;
  }
}

function stacksOf(app: Construct): TerraformStack[] {
  return app.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c));
}

/**
 * Guards every stack of the app with the config's guardrails. Call it once
 * all stacks are built.
 */
export function addGuardrails(app: Construct, config: PlatformConfig): void {
  for (const stack of stacksOf(app)) {
    if (Aspects.of(stack).all.some((a) => a instanceof Guardrails)) continue;
    Guardrails.of(stack, { guardrails: config.guardrails, protectedEnvironments: protectedEnvironments(config) });
  }
}

/**
 * Checks every stack of the app before synth and throws one
 * GuardrailViolationError listing the violations of all stacks (synth itself
 * stops at the first failing stack). A stack without guardrails is a violation too.
 */
export function assertGuardrails(app: Construct): void {
  const violations = stacksOf(app).flatMap((stack): GuardrailViolation[] => {
    const guards = Aspects.of(stack).all.filter((a): a is Guardrails => a instanceof Guardrails);
    if (guards.length === 0) {
      return [
        {
          path: stack.node.path,
          rule: 'guarded',
          problem: 'the stack has no guardrails',
          fix: 'call addGuardrails(app, config) after the last stack is built',
        },
      ];
    }
    return guards.flatMap((g) => g.check(stack));
  });
  if (violations.length > 0) throw new GuardrailViolationError(violations);
}
