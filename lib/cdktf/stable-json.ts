import { randomBytes } from 'node:crypto';

/**
 * The text json-stable-stringify 1.3 (what cdktf 0.21 writes `cdk.tf.json`
 * with) makes of a value with `{ space: 2 }`, byte for byte, in a fraction
 * of the time: the native JSON.stringify writes the value, or where its
 * keys are not in order a copy with sorted keys (only the objects out of
 * order and those above them are copied).
 *
 * That library's own ways are kept: keys sorted by code unit, `toJSON`
 * honoured, undefined and functions left out of objects and written as null
 * in lists, a cycle refused, and an empty object or list written open
 * (`{`, newline, indent, `}`). The native writer puts integer-like keys
 * first whatever the order, and writes empty containers closed: an empty
 * container is copied as a marker string (with a random nonce, counted
 * afterwards) that is replaced by the open form, and a value with an
 * integer-like key (or a toJSON giving a value with a toJSON) is written by
 * json-stable-stringify itself.
 */
export function stableJson(value: unknown): string {
  return stableJsonOf(value).text;
}

/** stableJson's text, and whether the value is the data the text holds (see StableJsonText). */
export function stableJsonOf(value: unknown): StableJsonText {
  const nonce = randomBytes(9).toString('base64url');
  const state: CopyState = { nonce, markers: 0, integerKey: false, nestedToJson: false, other: false, seen: new Set() };
  const copy = sortedCopy(value, 0, state);
  if (state.integerKey || state.nestedToJson) return { text: slowStableJson(value), isData: !state.other };
  if (copy === undefined || copy === CHANGED_TO_UNDEFINED || typeof copy === 'function' || typeof copy === 'symbol') {
    return { text: undefined as unknown as string, isData: false };
  }
  const text = JSON.stringify(copy, null, 2);
  let replaced = 0;
  const result = text.replace(new RegExp(`"${nonce}([OA])(\\d+)"`, 'g'), (_m, kind: string, level: string) => {
    replaced++;
    return `${kind === 'O' ? '{' : '['}\n${'  '.repeat(Number(level))}${kind === 'O' ? '}' : ']'}`;
  });
  // A string of the value itself that looked like a marker: let the library write it.
  return { text: replaced === state.markers ? result : slowStableJson(value), isData: !state.other };
}

export interface StableJsonText {
  readonly text: string;
  /**
   * Whether the value holds nothing but JSON data (plain objects, lists,
   * strings, numbers, booleans, null; undefined and functions, which are
   * left out): then its strings, keys and nesting are those of the text,
   * and a reader may walk the value instead of parsing the text. False when
   * a toJSON, an object of a class or a value that cannot be written was met.
   */
  readonly isData: boolean;
}

interface CopyState {
  readonly nonce: string;
  markers: number;
  integerKey: boolean;
  /** A toJSON gave a value with a toJSON of its own: the library calls only the first, the native writer both. */
  nestedToJson: boolean;
  /** Something else than JSON data was met: a toJSON, an object of a class. */
  other: boolean;
  readonly seen: Set<object>;
}

const INTEGER_KEY = /^(0|[1-9]\d*)$/;
/** Below this depth the walk keeps no record of the objects on its path: a cycle still shows, deeper down, as one repeating. */
const UNTRACKED_DEPTH = 64;

/**
 * What the native writer is to write for `node`: `node` itself when it
 * would write it as json-stable-stringify does (keys already in order, no
 * integer-like key, nothing empty, no toJSON, the same below), else a copy
 * that makes it so. Most objects of a stack are small and many are written
 * in order already: they are not copied.
 */
function sortedCopy(node: unknown, level: number, state: CopyState): unknown {
  if (node !== null && node !== undefined && typeof (node as { toJSON?: unknown }).toJSON === 'function') {
    state.other = true;
    const json = (node as { toJSON: () => unknown }).toJSON();
    if (json !== null && json !== undefined && typeof (json as { toJSON?: unknown }).toJSON === 'function') state.nestedToJson = true;
    return sortedCopy(json, level, state) ?? CHANGED_TO_UNDEFINED;
  }
  if (typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) {
    if (node.length === 0) return marker('A', level, state);
    let copy: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      const item = node[i];
      const written = sortedCopy(item, level + 1, state);
      if (written !== item && copy === undefined) copy = node.slice(0, i);
      // The native writer, as the library, writes null for an entry it cannot write.
      if (copy !== undefined) copy.push(written === CHANGED_TO_UNDEFINED ? null : written);
    }
    return copy ?? node;
  }
  if (!state.other) {
    const proto = Object.getPrototypeOf(node);
    if (proto !== Object.prototype && proto !== null) state.other = true;
  }
  const tracked = level >= UNTRACKED_DEPTH;
  if (tracked) {
    if (state.seen.has(node)) throw new TypeError('Converting circular structure to JSON');
    state.seen.add(node);
  }
  const keys = Object.keys(node);
  let ordered = true;
  for (let i = 0; i < keys.length; i++) {
    const code = keys[i].charCodeAt(0);
    if (code >= 48 && code <= 57 && INTEGER_KEY.test(keys[i])) state.integerKey = true;
    if (i > 0 && keys[i - 1] > keys[i]) ordered = false;
  }
  if (!ordered) keys.sort();
  let copy: Record<string, unknown> | undefined = ordered ? undefined : {};
  let written = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const item = (node as Record<string, unknown>)[key];
    const value = sortedCopy(item, level + 1, state);
    if (value !== item && copy === undefined) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]] = (node as Record<string, unknown>)[keys[j]];
    }
    const writable = value !== undefined && value !== CHANGED_TO_UNDEFINED && typeof value !== 'function' && typeof value !== 'symbol';
    if (writable) written++;
    if (copy !== undefined && writable) copy[key] = value;
  }
  if (tracked) state.seen.delete(node);
  return written === 0 ? marker('O', level, state) : (copy ?? node);
}

/** A value whose toJSON gave undefined: left out of an object, null in a list (the native writer would call toJSON again). */
const CHANGED_TO_UNDEFINED = Symbol('undefined by toJSON');

function marker(kind: 'O' | 'A', level: number, state: CopyState): string {
  state.markers++;
  return `${state.nonce}${kind}${level}`;
}

function slowStableJson(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stringify = require(require.resolve('json-stable-stringify', { paths: [require.resolve('cdktf')] })) as (
    value: unknown,
    options: { space: number },
  ) => string;
  return stringify(value, { space: 2 });
}
