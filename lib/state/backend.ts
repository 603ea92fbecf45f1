import { LocalBackend, S3Backend, TerraformVariable, type TerraformStack } from 'cdktf';
import type { CloudConfig, StateConfig } from '../config';

/**
 * Folder of the local state files, relative to a synthesized stack's directory
 * (cdktf.out/stacks/<stack>): `state/` at the repository root, git-ignored.
 * Relative, so the synthesized JSON does not depend on where the repository is
 * checked out, and outside cdktf.out, which every synth rewrites.
 */
export const LOCAL_STATE_DIR = '../../../state';

/** Variable holding the passphrase the state and plan keys are derived from. */
export const PASSPHRASE_VARIABLE = 'state_encryption_passphrase';
/** The passphrase being replaced, during a key rotation only. */
export const PREVIOUS_PASSPHRASE_VARIABLE = 'state_encryption_passphrase_previous';

/** pbkdf2 refuses shorter passphrases; so does the variable's validation. */
export const MIN_PASSPHRASE_LENGTH = 16;

/**
 * Configures where the stack keeps its state and encrypts state and plans.
 *
 * - `local`: `state/<stack>.tfstate` at the repository root, by a relative path.
 * - `s3`: Infomaniak object storage through its S3 API, path-style, one key
 *   per stack, with the AWS-only checks skipped; credentials come from
 *   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (an EC2 credential) at run time.
 *   Each state is locked with OpenTofu's S3 lock file (`<key>.tflock`, created
 *   with a conditional write) unless `state.s3.lockFile` is false.
 *
 * Encryption (OpenTofu's `encryption` block) is on and enforced for every
 * stack and every backend: AES-GCM with a key derived by PBKDF2 from a
 * passphrase given at run time (TF_VAR_state_encryption_passphrase), for the
 * state and for saved plans; tofu refuses an unencrypted method, even one
 * brought in by TF_ENCRYPTION or an override file. The stacks hold private
 * keys and tokens, wherever their state lives.
 */
export function configureState(stack: TerraformStack, state: StateConfig, cloud: CloudConfig): void {
  const name = stack.node.id;
  if (state.backend === 's3') {
    const s3 = state.s3!;
    new S3Backend(stack, {
      bucket: s3.bucket,
      key: `${s3.keyPrefix}/${name}.tfstate`,
      region: cloud.region,
      endpoints: { s3: cloud.s3Endpoint },
      usePathStyle: true,
      skipCredentialsValidation: true,
      skipRegionValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: true,
      // Swift's S3 API does not compute the checksums newer AWS SDKs send. A
      // backend setting, so the stacks reading this state (terraform_remote_state)
      // get it too.
      skipS3Checksum: true,
    });
    if (s3.lockFile) {
      // addOverride: cdktf 0.21's S3BackendConfig has no use_lockfile (OpenTofu
      // 1.10+). On the backend only, not in the props: the stacks that read this
      // state through terraform_remote_state take no lock. Test: state.test.ts.
      stack.addOverride('terraform.backend.s3.use_lockfile', true);
    }
  } else {
    new LocalBackend(stack, { path: `${LOCAL_STATE_DIR}/${name}.tfstate` });
  }
  encryptState(stack, { key: state.encryption.key, previousKey: state.encryption.previousKey });
}

/** Which keys encrypt a stack's state and plans. */
export interface EncryptionOptions {
  /** Name of the current key (`key_provider.pbkdf2.<key>`); recorded in every state it writes. */
  readonly key: string;
  /** During a rotation: the name of the key being replaced, read as a fallback. */
  readonly previousKey?: string;
}

/**
 * The `terraform.encryption` block of a stack, as OpenTofu reads it from JSON.
 * OpenTofu stores the key provider's name with each encrypted state, so a key
 * keeps its name for life and a rotation introduces a new name. State and plan
 * are `enforced`: tofu refuses to write either unencrypted, and enforcement
 * survives a merge with TF_ENCRYPTION or an override file.
 */
export function encryptionBlock(options: EncryptionOptions): Record<string, unknown> {
  const { key, previousKey } = options;
  // In JSON, `method` must be a bare reference (a static traversal), not "${...}".
  const target = {
    method: `method.aes_gcm.${key}`,
    enforced: true,
    ...(previousKey ? { fallback: { method: `method.aes_gcm.${previousKey}` } } : {}),
  };
  const keyProviders: Record<string, unknown> = { [key]: { passphrase: `\${var.${PASSPHRASE_VARIABLE}}` } };
  const methods: Record<string, unknown> = { [key]: { keys: `\${key_provider.pbkdf2.${key}}` } };
  if (previousKey) {
    keyProviders[previousKey] = { passphrase: `\${var.${PREVIOUS_PASSPHRASE_VARIABLE}}` };
    methods[previousKey] = { keys: `\${key_provider.pbkdf2.${previousKey}}` };
  }
  // Stacks that read another stack's outputs (terraform_remote_state) decrypt
  // that state with the same keys.
  const remote = { method: target.method, ...(previousKey ? { fallback: target.fallback } : {}) };
  return {
    key_provider: { pbkdf2: keyProviders },
    method: { aes_gcm: methods },
    state: target,
    plan: target,
    remote_state_data_sources: { default: remote },
  };
}

function encryptState(stack: TerraformStack, options: EncryptionOptions): void {
  const passphrase = (id: string, description: string) =>
    new TerraformVariable(stack, id, {
      type: 'string',
      sensitive: true,
      nullable: false,
      description,
      validation: [
        {
          condition: `\${length(var.${id}) >= ${MIN_PASSPHRASE_LENGTH}}`,
          errorMessage: `The state encryption passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters; set TF_VAR_${id} from your secret store.`,
        },
      ],
    });
  passphrase(PASSPHRASE_VARIABLE, 'Passphrase the state and plan encryption key is derived from (TF_VAR_state_encryption_passphrase).');
  if (options.previousKey) {
    passphrase(PREVIOUS_PASSPHRASE_VARIABLE, 'The passphrase being rotated out: read-only fallback during a key rotation.');
  }
  // addOverride: the encryption block is OpenTofu's, cdktf 0.21 has no binding
  // for it. Test: state.test.ts (and npm run check:encryption, with real tofu).
  stack.addOverride('terraform.encryption', encryptionBlock(options));
}
