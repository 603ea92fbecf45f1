/**
 * cdktf checks the version of the terraform binary for every element that
 * needs a recent one (each TerraformDataResource, an import, a move): one
 * `terraform version` process per element, at every synth, each giving the
 * same answer. `checkingBinaryVersionsOnce` runs a function (a synth) with
 * each distinct check made once and its answer reused: same messages, same
 * failures, one process per command instead of one per element.
 *
 * Relies on a cdktf internal: the module
 * `cdktf/lib/validations/validate-binary-version` and its class
 * `ValidateBinaryVersion`, whose `validate()` runs `versionCommand` and
 * compares with `versionConstraint`; ValidateTerraformVersion extends it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const binaryVersion = require('cdktf/lib/validations/validate-binary-version') as {
  ValidateBinaryVersion: { prototype: BinaryVersionCheck };
};

interface BinaryVersionCheck {
  validate(this: BinaryVersionCheck): string[];
  readonly binary?: string;
  readonly versionConstraint?: string;
  readonly versionCommand?: string;
  readonly hint?: string;
}

/** Runs `synth` with every distinct binary version check made once; cdktf's own check is back afterwards. */
export function checkingBinaryVersionsOnce<T>(synth: () => T): T {
  const prototype = binaryVersion.ValidateBinaryVersion.prototype;
  const own = Object.prototype.hasOwnProperty.call(prototype, 'validate') ? prototype.validate : undefined;
  if (own === undefined) return synth(); // not the cdktf this was written for: leave it alone
  const answers = new Map<string, string[]>();
  prototype.validate = function validateOnce(this: BinaryVersionCheck): string[] {
    const key = JSON.stringify([this.binary, this.versionConstraint, this.versionCommand, this.hint]);
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = own.call(this);
      answers.set(key, answer);
    }
    return [...answer];
  };
  try {
    return synth();
  } finally {
    prototype.validate = own;
  }
}
