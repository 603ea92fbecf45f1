import { Tokenization } from 'cdktf';

/**
 * True when `value` holds no token of any kind: no resolvable object, no
 * encoded string, number, list or map token, no `${...}` interpolation. Such a
 * value resolves to itself, so cdktf's resolver can be skipped for it (the
 * resolver is most of the synth time of a platform with thousands of sites).
 */
export function isPlain(value: unknown): boolean {
  // Encoded string, list and map tokens all carry `TfToken[`; `${` may be an
  // interpolation that still needs escaping by the resolver.
  if (typeof value === 'string') return !value.includes('TfToken[') && !value.includes('${');
  if (typeof value === 'number') return !Tokenization.isResolvable(value) && !isEncodedNumber(value);
  if (value === null || value === undefined || typeof value === 'boolean') return true;
  if (Array.isArray(value)) return value.every(isPlain);
  if (typeof value === 'object') {
    if (Tokenization.isResolvable(value)) return false;
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.entries(value).every(([key, v]) => !key.includes('TfToken[') && isPlain(v));
  }
  return false;
}

/** cdktf encodes number tokens as NaN-boxed doubles around -1.88e289. */
function isEncodedNumber(value: number): boolean {
  return Number.isNaN(value) || Math.abs(value) > 1e280;
}
