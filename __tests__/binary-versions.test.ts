// The module object cdktf calls execSync through (an `import *` would be a copy of it).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcess = require('node:child_process') as typeof import('node:child_process');
import { checkingBinaryVersionsOnce } from '../lib/cdktf/binary-versions';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ValidateTerraformVersion } = require('cdktf/lib/validations/validate-terraform-version') as {
  ValidateTerraformVersion: new (constraint: string, hint?: string) => { validate(): string[] };
};

describe('checkingBinaryVersionsOnce', () => {
  afterEach(() => jest.restoreAllMocks());

  it('runs each distinct version command once and gives every check the same answer as cdktf', () => {
    const exec = jest.spyOn(childProcess, 'execSync').mockReturnValue(Buffer.from('Terraform v1.3.0\n'));
    const expected = new ValidateTerraformVersion('>=1.4', 'upgrade').validate();
    expect(expected).toEqual([expect.stringMatching(/version 1\.3\.0 is lower than the required version >=1\.4.*upgrade/)]);
    exec.mockClear();
    const answers = checkingBinaryVersionsOnce(() => [
      new ValidateTerraformVersion('>=1.4', 'upgrade').validate(),
      new ValidateTerraformVersion('>=1.4', 'upgrade').validate(),
      new ValidateTerraformVersion('>=1.5', 'moves').validate(),
    ]);
    expect(answers).toEqual([expected, expected, [expect.stringMatching(/>=1\.5 for this construct\. moves$/)]]);
    // Two distinct checks of one command: the answer is per check, the process per check too (not per element).
    expect(exec).toHaveBeenCalledTimes(2);
  });

  it('gives cdktf its own check back afterwards, also when the synth throws', () => {
    const exec = jest.spyOn(childProcess, 'execSync').mockReturnValue(Buffer.from('Terraform v1.9.0\n'));
    expect(() =>
      checkingBinaryVersionsOnce(() => {
        throw new Error('synth failed');
      }),
    ).toThrow('synth failed');
    new ValidateTerraformVersion('>=1.4').validate();
    new ValidateTerraformVersion('>=1.4').validate();
    expect(exec).toHaveBeenCalledTimes(2);
  });

  it('keeps a missing binary a failure of every check', () => {
    jest.spyOn(childProcess, 'execSync').mockImplementation(() => {
      throw new Error('terraform: not found');
    });
    const answers = checkingBinaryVersionsOnce(() => [1, 2].map(() => new ValidateTerraformVersion('>=1.4').validate()));
    expect(answers).toEqual([[expect.stringMatching(/Could not determine version of terraform.*not found/)], [expect.stringMatching(/not found/)]]);
  });
});
