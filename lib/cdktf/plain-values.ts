import { Tokenization } from 'cdktf';
import { TOKEN_MARKER_TEXT } from './token-marker';

/**
 * True when `value` holds no token of any kind: no resolvable object, no
 * encoded string, number, list or map token, no undefined list entry.
 * cdktf's resolver returns such a value as it is (a copy without its
 * undefined keys), so the resolver can be skipped for it: the resolver is
 * most of the synth time of a platform with thousands of sites.
 *
 * A literal Terraform expression (`${var.x}`, or one a token resolved to) is
 * plain: the resolver looks for escapes only in strings that hold a token
 * marker and returns the others unchanged (cdktf 0.21, tokens/private/resolve.js).
 * Conservative elsewhere: a string that looks like a stringified number
 * token, or an object with a prototype, counts as not plain and takes
 * cdktf's path.
 */
export function isPlain(value: unknown): boolean {
  if (typeof value === 'string') return isPlainString(value);
  if (typeof value === 'number') return !Tokenization.isResolvable(value) && !isEncodedNumber(value);
  if (value === null || value === undefined || typeof value === 'boolean') return true;
  if (Array.isArray(value)) {
    for (const item of value) if (item === undefined || !isPlain(item)) return false;
    return true;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    if (Tokenization.isResolvable(value)) return false;
    for (const key in value) {
      if (!isPlainString(key) || !isPlain((value as Record<string, unknown>)[key])) return false;
    }
    return true;
  }
  return false;
}

/**
 * Encoded string, list and map tokens all carry `TfToken[`; a number token
 * written into a string reads as a double around -1.88e+289, which the
 * resolver replaces too (any digit, lowercase `e`, digit sequence is left to
 * it, as its own number pattern matches only a lowercase `e`; construct ids'
 * uppercase hex hashes stay plain).
 */
function isPlainString(value: string): boolean {
  return !value.includes(TOKEN_MARKER_TEXT) && !SCIENTIFIC_NUMBER.test(value);
}

const SCIENTIFIC_NUMBER = /\de[-+]?\d/;

/** cdktf encodes number tokens as NaN-boxed doubles around -1.88e289. */
function isEncodedNumber(value: number): boolean {
  return Number.isNaN(value) || Math.abs(value) > 1e280;
}

/**
 * An element that can tell, without a walk of its JSON, that the JSON it
 * returns now is plain (a construct whose attributes are fixed when it is
 * created checks them once).
 */
export interface KnownPlainJson {
  /** The element's `toTerraform()` when it holds no token, else undefined. */
  plainTerraform(): Record<string, unknown> | undefined;
}

/** An element's JSON, and whether it is plain (see isPlain). */
export function terraformJsonOf(element: { toTerraform(): unknown }): { readonly json: unknown; readonly plain: boolean } {
  const known = (element as Partial<KnownPlainJson>).plainTerraform?.();
  if (known !== undefined) return { json: known, plain: true };
  const json = element.toTerraform();
  return { json, plain: isPlain(json) };
}
