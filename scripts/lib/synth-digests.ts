import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { loadPlatformConfig } from '../../lib/config';
import { synthesizeAtomically } from '../../lib/output';
import { catalogOptionsOf, loadSitesCatalog, validateSitesCatalog, type SitesCatalog } from '../../lib/sites/catalog';
import { buildPlatform } from '../../stacks';
import { generatedCatalog } from './generated-catalog';

/**
 * The catalogs whose full synth must not change by a byte when only the way
 * it is computed changes: the example catalog (`config/sites.yaml`) and a
 * generated one of several production shards and two test shards.
 */
export const DIGEST_CASES = {
  example: () => undefined,
  generated: () => generatedCatalog(330, 60),
} as const;

export type DigestCase = keyof typeof DIGEST_CASES;

/** sha256 of every file of the synthesized output, by path relative to the output folder, sorted. */
export type OutputDigests = Record<string, string>;

/**
 * Synthesizes the default config with a case's catalog exactly as `npm run
 * synth` does (guardrails, synth, secret scan, atomic swap) into a temporary
 * folder, and returns the digest of each file written.
 */
export function synthDigests(which: DigestCase): OutputDigests {
  const { config } = loadPlatformConfig({});
  const options = catalogOptionsOf(config);
  const raw = DIGEST_CASES[which]();
  const catalog: SitesCatalog =
    raw === undefined ? loadSitesCatalog(options, {}).catalog : validateSitesCatalog(raw, which, options);
  const parent = mkdtempSync(path.join(tmpdir(), 'webhost-digests-'));
  try {
    const outdir = synthesizeAtomically(
      (staging) => {
        const app = new App({ stackTraces: false, outdir: staging });
        buildPlatform(app, config, catalog);
        return app;
      },
      { outdir: path.join(parent, 'cdktf.out'), env: {} },
    );
    const digests: OutputDigests = {};
    for (const file of filesBelow(outdir).sort()) {
      digests[file] = createHash('sha256').update(readFileSync(path.join(outdir, file))).digest('hex');
    }
    return digests;
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

function filesBelow(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    return entry.isDirectory() ? filesBelow(dir, relative) : [relative];
  });
}
