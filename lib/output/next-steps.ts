import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * What to do after a successful synth: where the stacks are, and the tofu
 * commands for the first of them, in the order the README gives (an
 * environment's cluster stack, then its platform stack, then its sites shards;
 * tools-platform before the other platform stacks).
 *
 * @param outdir the output directory written, shown relative to `cwd`; its manifest.json lists the stacks
 * @param only the stacks written when only some were (`--stack`): those are named, the others said to be as they were
 */
export function nextSteps(outdir: string, cwd: string = process.cwd(), only?: readonly string[]): string[] {
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as { stacks?: Record<string, unknown> };
  const stacks = only ?? Object.keys(manifest.stacks ?? {});
  const shown = path.relative(cwd, outdir) || '.';
  const dir = (stack: string) => path.join(shown, 'stacks', stack);
  const first = stacks.includes('test') ? 'test' : [...stacks].sort()[0];
  if (first === undefined) return [`Nothing was synthesized into ${shown}.`];
  const rest = only === undefined ? '' : ' (only these; the other stacks\' folders are as they were)';
  return [
    `Synthesized ${stacks.length} stack${stacks.length === 1 ? '' : 's'} into ${path.join(shown, 'stacks')}/: ${[...stacks].sort().join(', ')}${rest}`,
    'Next, with the OpenStack credentials (OS_*) and TF_VAR_state_encryption_passphrase exported (README, "Apply a stack"):',
    `apply each environment's cluster stack, then <env>-platform (tools-platform first), then its sites shards; ${first} first:`,
    `  tofu -chdir=${dir(first)} init`,
    `  tofu -chdir=${dir(first)} plan -out=${first}.tfplan`,
    `  tofu -chdir=${dir(first)} apply ${first}.tfplan`,
  ];
}
