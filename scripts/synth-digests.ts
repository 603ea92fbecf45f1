/**
 * Writes the sha256 of every file a full synth produces, for the example
 * catalog and a generated one, to __tests__/fixtures/synth-digests.json.
 * `__tests__/synth-identity.test.ts` synthesizes again and compares: a change
 * meant only to make synth faster must leave every byte as it was.
 *
 *   npx tsx scripts/synth-digests.ts
 *
 * Run it only when the output is meant to change, and review the JSON diff.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DIGEST_CASES, synthDigests, type DigestCase } from './lib/synth-digests';

const file = path.join(__dirname, '..', '__tests__', 'fixtures', 'synth-digests.json');
const all = Object.fromEntries((Object.keys(DIGEST_CASES) as DigestCase[]).map((which) => [which, synthDigests(which)]));
writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
console.log(`${file}: ${Object.values(all).reduce((n, d) => n + Object.keys(d).length, 0)} files`);
