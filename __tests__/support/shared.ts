import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * `../shared/` next to the repository: reference files the project may read
 * in tests but never copies in (provider schemas, GitLab's CI schema). CI has
 * it at the same relative path.
 */
export const SHARED_DIR = path.join(__dirname, '..', '..', '..', 'shared');

/** A file of ../shared/, e.g. sharedPath('schemas', 'helm-3.1.1.json'). */
export const sharedPath = (...parts: string[]) => path.join(SHARED_DIR, ...parts);

/** What a test that reads shared files does: run, fail (CI without them) or skip (elsewhere without them). */
export type SharedStatus = { readonly run: true } | { readonly run: false; readonly fail: boolean; readonly message: string };

/**
 * Whether the tests that read `files` can run. In CI (the environment sets
 * CI, as .ci/run and GitLab do) a missing file is a failure: those tests are
 * part of what CI proves. Elsewhere (a clone without ../shared/) they are
 * skipped, and the message says so, never as a pass.
 */
export function sharedStatus(files: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): SharedStatus {
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length === 0) return { run: true };
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  const message =
    `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: ` +
    (ci
      ? 'CI must have ../shared/ next to the repository (README, "Tests and what they need")'
      : 'the tests that read them are SKIPPED, not passed; put ../shared/ next to the repository to run them');
  return { run: false, fail: ci, message };
}

/**
 * `test` when the shared files are there, else `test.skip` with a warning, or
 * in CI a failing test in their place. Call it at the top of a describe block.
 */
export function testWithShared(files: readonly string[]): jest.It {
  const status = sharedStatus(files);
  if (status.run) return test;
  if (status.fail) {
    test('the shared files it reads are present', () => {
      throw new Error(status.message);
    });
  } else console.warn(status.message);
  return test.skip;
}
