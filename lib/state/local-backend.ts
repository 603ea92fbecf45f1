import { LocalBackend, type TerraformStack } from 'cdktf';

/**
 * Folder of the local state files, relative to a synthesized stack's directory
 * (cdktf.out/stacks/<stack>): `state/` at the repository root, git-ignored.
 * Relative, so the synthesized JSON does not depend on where the repository is
 * checked out, and outside cdktf.out, which every synth rewrites.
 */
export const LOCAL_STATE_DIR = '../../../state';

/** Keeps the stack's state in `state/<stack>.tfstate` at the repository root. */
export function useLocalState(stack: TerraformStack): LocalBackend {
  return new LocalBackend(stack, { path: `${LOCAL_STATE_DIR}/${stack.node.id}.tfstate` });
}
