import { z } from 'zod';

/** The entries of a map being checked: it may be anything the file had (none unless it is a plain object). */
export function entriesOf<T>(map: Readonly<Record<string, T>> | undefined): [string, T][] {
  return map !== null && typeof map === 'object' && !Array.isArray(map) ? Object.entries(map) : [];
}

/** What a cross-field check gets besides the value: zod's context, and which fields passed their own checks. */
export type CrossFieldContext = z.RefinementCtx & {
  /**
   * Whether the value at `path` (relative to the checked object; none: the
   * object itself) is present as parsed and no problem was found at it,
   * inside it or above it. Read only such fields: the others may hold
   * anything the file had.
   */
  valid(...path: PropertyKey[]): boolean;
};

/**
 * A check across the fields of an object that runs on every parse, also when
 * other fields of the object (or of the file) have problems, so that one run
 * reports everything that can be known.
 *
 * A zod refinement runs only while its object has no problem that stops
 * parsing (a wrong type, an unknown key anywhere below it): a misspelt field in
 * one environment would hide every address-plan and sovereignty problem of the
 * file until it is fixed. This check always runs, and reads through
 * `ctx.valid(...)` only the fields that passed their own checks; it does
 * nothing when the object itself is not an object.
 */
export function crossFieldCheck<T>(check: (value: T, ctx: CrossFieldContext) => void): z.core.$ZodCheck<T> {
  const ch = z.core._check<T>(
    (payload) => {
      const issues = payload.issues;
      const value = payload.value as unknown;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
      const ctx = payload as unknown as CrossFieldContext;
      ctx.addIssue = (issue) => {
        const arg = typeof issue === 'string' ? { message: issue } : issue;
        issues.push({ code: 'custom', input: payload.value, ...arg, continue: true, inst: ch } as z.core.$ZodRawIssue);
      };
      ctx.valid = (...path) => isValidAt(value, issues, path);
      check(payload.value, ctx);
    },
    { when: () => true },
  );
  return ch;
}

function isValidAt(root: unknown, issues: readonly z.core.$ZodRawIssue[], path: readonly PropertyKey[]): boolean {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return false;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  if (node === undefined) return false;
  return !issues.some((issue) => {
    const at = issue.path ?? [];
    // A problem of the object as a whole (two fields that conflict) leaves each field valid on its own.
    if (at.length === 0 && issue.code !== 'unrecognized_keys') return false;
    // An unknown key is a problem of that key only, not of the object that holds it.
    const spots = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys.map((key) => [...at, key]) : [at];
    return spots.some((spot) => overlaps(spot, path));
  });
}

/** One path is the other or lies inside it. */
function overlaps(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
