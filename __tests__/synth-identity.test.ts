import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DIGEST_CASES, synthDigests, type DigestCase } from '../scripts/lib/synth-digests';

/**
 * A full synth, byte for byte: every file written for the default config with
 * the example catalog and with a generated catalog of 330 sites (six
 * production and six test shards) has the sha256 recorded by
 * `npx tsx scripts/synth-digests.ts` before synth was made faster. Any change
 * of the JSON, the manifest, a file added or one missing fails here; when the
 * output is meant to change, run that script and review the diff.
 */
const recorded = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'synth-digests.json'), 'utf8')) as Record<
  DigestCase,
  Record<string, string>
>;

describe('full synth output', () => {
  it.each(Object.keys(DIGEST_CASES) as DigestCase[])('is byte-identical to the recorded output (%s catalog)', (which) => {
    expect(synthDigests(which)).toEqual(recorded[which]);
  });

  it('covers several production and test shards', () => {
    const stacks = Object.keys(recorded.generated).filter((file) => /^stacks\/(production|test)-sites-\d+\//.test(file));
    expect(stacks.filter((file) => file.startsWith('stacks/production-')).length).toBeGreaterThanOrEqual(5);
    expect(stacks.filter((file) => file.startsWith('stacks/test-')).length).toBeGreaterThanOrEqual(2);
  });
});
