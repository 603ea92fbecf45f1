import { TerraformStack } from 'cdktf';
import { terraformJsonOf } from './plain-values';
import { resolveAsCdktf } from './resolve';
import { elementsOf, stackToTerraform } from './stack-json';
import { disableTokenStackTraces } from './token-stack-traces';

// Every App of this platform synthesizes with `stackTraces: false` (npm run
// synth, the benchmark, the tests): cdktf's token traces go with them. Done
// when this module is loaded, which the stacks module does (through the sites
// stack) before any stack creates its first token; a stack's constructor would
// be too late for the stacks built before it.
disableTokenStackTraces();

/**
 * A stack whose token-free elements skip cdktf's token resolver: its JSON is
 * cdktf's own, byte for byte, computed with a fraction of the work where most
 * elements are plain (PlainResource, see plain-values.ts). Loading this module
 * switches cdktf's per-token stack traces off (token-stack-traces.ts).
 *
 * Relies on cdktf internals: what `TerraformStack.prepareStack()` does (the
 * backend, then every element resolved once with `preparing: true`) and those
 * stackToTerraform names. __tests__/cdktf-internals.test.ts compares both with
 * cdktf's own.
 */
export class FastStack extends TerraformStack {
  /**
   * cdktf's preparing pass resolves every element once to discover
   * cross-stack references. A plain element holds no token, so it can
   * reference nothing: only the elements that hold tokens are resolved.
   */
  prepareStack(): void {
    this.ensureBackendExists();
    for (const element of elementsOf(this)) {
      const { json, plain } = terraformJsonOf(element);
      if (!plain) resolveAsCdktf(this, json, true);
    }
  }

  /** The stack's JSON as cdktf writes it; plain elements skip the token resolver (see stackToTerraform). */
  toTerraform(): any {
    return stackToTerraform(this);
  }

  /**
   * The Terraform expression a string token of this stack stands for
   * (`${data.terraform_remote_state.x.outputs.y}`), resolved now: a value
   * built from it is plain, so the elements holding it skip the resolver.
   * Only for references within this stack (a remote state output, a
   * variable): a reference to another stack's element is wired into outputs
   * by the preparing pass, which such a value skips.
   */
  protected expressionOf(token: string): string {
    const expression = resolveAsCdktf(this, token);
    if (typeof expression !== 'string') throw new Error(`FastStack.expressionOf: ${token} resolves to a ${typeof expression}, not an expression`);
    return expression;
  }
}
