import type { IConstruct } from 'constructs';

/** One broken invariant: where, which rule, what is wrong, how to fix it. */
export interface GuardrailViolation {
  /** Construct path, e.g. `production/Cluster/SecurityGroups/Rule-ssh`. */
  readonly path: string;
  /** Rule id, e.g. `no-world-ingress`. */
  readonly rule: string;
  /** What is wrong, with the offending value. */
  readonly problem: string;
  /** What to change. */
  readonly fix: string;
}

/** `path: rule: problem: fix`, one line. */
export function formatViolation(v: GuardrailViolation): string {
  return `${v.path}: ${v.rule}: ${v.problem}: ${v.fix}`;
}

/** Thrown at synth when guarded stacks break invariants; lists every violation found. */
export class GuardrailViolationError extends Error {
  constructor(readonly violations: readonly GuardrailViolation[]) {
    const n = violations.length;
    super(
      `${n} guardrail violation${n === 1 ? '' : 's'}; nothing was synthesized, fix ${n === 1 ? 'it' : 'them'} and synthesize again:\n  ` +
        violations.map(formatViolation).join('\n  '),
    );
    this.name = 'GuardrailViolationError';
  }
}

/** One invariant, checked on every construct of a guarded stack. */
export interface GuardrailRule {
  /** Kebab-case id, printed in every violation. */
  readonly id: string;
  /** The violations of one construct (an empty list when it is fine). */
  check(construct: IConstruct): GuardrailViolation[];
  /** Called before each walk of a stack; drop anything cached from an earlier walk. */
  begin?(): void;
  /**
   * Called after every construct of the stack was checked: the violations only
   * the whole stack shows (e.g. rules that are harmless alone and open together).
   */
  finish?(): GuardrailViolation[];
}
