import { randomBytes } from 'node:crypto';

/**
 * The text json-stable-stringify 1.3 (what cdktf 0.21 writes `cdk.tf.json`
 * with) makes of a value with `{ space: 2 }`, byte for byte, in a fraction
 * of the time: a copy with sorted keys written by the native JSON.stringify.
 *
 * That library's own ways are kept: keys sorted by code unit, `toJSON`
 * honoured, undefined and functions left out of objects and written as null
 * in lists, a cycle refused, and an empty object or list written open
 * (`{`, newline, indent, `}`). The native writer puts integer-like keys
 * first whatever the order, and writes empty containers closed: an empty
 * container is copied as a marker string (with a random nonce, counted
 * afterwards) that is replaced by the open form, and a value with an
 * integer-like key is written by json-stable-stringify itself.
 */
export function stableJson(value: unknown): string {
  const nonce = randomBytes(9).toString('base64url');
  const state: CopyState = { nonce, markers: 0, integerKey: false, seen: new Set() };
  const copy = sortedCopy(value, 0, state);
  if (state.integerKey) return slowStableJson(value);
  if (copy === undefined) return undefined as unknown as string;
  const text = JSON.stringify(copy, null, 2);
  let replaced = 0;
  const result = text.replace(new RegExp(`"${nonce}([OA])(\\d+)"`, 'g'), (_m, kind: string, level: string) => {
    replaced++;
    return `${kind === 'O' ? '{' : '['}\n${'  '.repeat(Number(level))}${kind === 'O' ? '}' : ']'}`;
  });
  // A string of the value itself that looked like a marker: let the library write it.
  return replaced === state.markers ? result : slowStableJson(value);
}

interface CopyState {
  readonly nonce: string;
  markers: number;
  integerKey: boolean;
  readonly seen: Set<object>;
}

const INTEGER_KEY = /^(0|[1-9]\d*)$/;

function sortedCopy(node: unknown, level: number, state: CopyState): unknown {
  if (node !== null && node !== undefined && typeof (node as { toJSON?: unknown }).toJSON === 'function') {
    node = (node as { toJSON: () => unknown }).toJSON();
  }
  if (typeof node !== 'object' || node === null) return typeof node === 'function' || typeof node === 'symbol' ? undefined : node;
  if (Array.isArray(node)) {
    if (node.length === 0) return marker('A', level, state);
    const copy = new Array<unknown>(node.length);
    for (let i = 0; i < node.length; i++) {
      const item = sortedCopy(node[i], level + 1, state);
      copy[i] = item === undefined ? null : item;
    }
    return copy;
  }
  if (state.seen.has(node)) throw new TypeError('Converting circular structure to JSON');
  state.seen.add(node);
  const copy: Record<string, unknown> = {};
  let written = 0;
  for (const key of Object.keys(node).sort()) {
    if (INTEGER_KEY.test(key)) state.integerKey = true;
    const item = sortedCopy((node as Record<string, unknown>)[key], level + 1, state);
    if (item !== undefined) {
      copy[key] = item;
      written++;
    }
  }
  state.seen.delete(node);
  return written === 0 ? marker('O', level, state) : copy;
}

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
