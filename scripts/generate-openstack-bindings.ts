/**
 * Generates the TypeScript bindings in .gen/providers/openstack from the
 * committed provider schema (providers/openstack/schema.json), offline, with
 * the cdktf provider generator. Deterministic: the same schema gives the same
 * files byte for byte (a test regenerates and compares).
 *
 *   npm run gen                 # writes .gen/providers/openstack
 *   npm run gen -- --out DIR    # writes DIR/providers/openstack instead
 */
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateOpenstackBindings, OPENSTACK_BINDINGS_DIR } from './lib/openstack-bindings';

async function main(): Promise<void> {
  const outIndex = process.argv.indexOf('--out');
  const repo = path.join(__dirname, '..');
  const target = outIndex > 0 ? path.resolve(process.argv[outIndex + 1]) : path.join(repo, '.gen');
  const schema = JSON.parse(readFileSync(path.join(repo, 'providers/openstack/schema.json'), 'utf8'));

  // Generate beside the target, then swap, so a failure leaves the old bindings intact.
  const staging = mkdtempSync(path.join(tmpdir(), 'openstack-bindings-'));
  try {
    await generateOpenstackBindings(schema, staging);
    const finalDir = path.join(target, OPENSTACK_BINDINGS_DIR);
    rmSync(finalDir, { recursive: true, force: true });
    renameOrCopy(path.join(staging, OPENSTACK_BINDINGS_DIR), finalDir);
    console.log(`wrote ${path.relative(process.cwd(), finalDir) || finalDir}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function renameOrCopy(from: string, to: string): void {
  require('node:fs').mkdirSync(path.dirname(to), { recursive: true });
  try {
    renameSync(from, to);
  } catch {
    require('node:fs').cpSync(from, to, { recursive: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
