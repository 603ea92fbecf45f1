import type { IConstruct } from 'constructs';
import { isLiteral, terraformBlockOf, walk } from './private/inspect';
import type { GuardrailRule, GuardrailViolation } from './violation';

const SECRET_WORDS = /password|secret|token|private_key|key_pem/;
/** Names that hold a reference to a secret, not the secret itself (`secret_name`, `token_id`, ...). */
const REFERENCE_SUFFIX = /_(name|names|ref|id|ids|type|path|file|version|length)$/;

/** Whether an attribute (snake_case) or JSON key names a secret value: password, secret, token, private_key, key_pem. */
export function isSecretAttributeName(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_WORDS.test(lower) && !REFERENCE_SUFFIX.test(lower);
}

/**
 * `no-secret-literals`: no attribute named like a secret (password, secret,
 * token, private_key, key_pem) holds a literal string: secrets come from
 * resources (random_password, tls_private_key), variables or the environment,
 * never from the code.
 */
export class NoSecretLiterals implements GuardrailRule {
  static readonly ID = 'no-secret-literals';
  readonly id = NoSecretLiterals.ID;

  check(construct: IConstruct): GuardrailViolation[] {
    const block = terraformBlockOf(construct);
    if (!block) return [];
    const violations: GuardrailViolation[] = [];
    walk(block.attributes, (key, value, at) => {
      if (typeof value !== 'string' || value === '' || !isLiteral(value) || !isSecretAttributeName(key)) return;
      violations.push({
        path: construct.node.path,
        rule: this.id,
        problem: `${at.join('.')} is a literal secret`,
        fix: 'take it from a resource (random_password, tls_private_key), a sensitive variable or the environment, never from code or config',
      });
    });
    return violations;
  }
}
