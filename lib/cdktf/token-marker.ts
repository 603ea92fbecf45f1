/**
 * How cdktf 0.21 writes a token into a string (tokens/private/encoding.js):
 * `${TfToken[TOKEN.12]}` for a string, `#{TfToken[...]}` for a list and
 * `&{TfToken[...]}` for a map. Not part of cdktf's API: the code that looks
 * for tokens in text (plain-values.ts, lib/rke2/terraform-text.ts) reads the
 * marker from here, and __tests__/cdktf-internals.test.ts checks it against
 * the tokens cdktf makes.
 */

/** Text that every encoded string, list and map token carries. */
export const TOKEN_MARKER_TEXT = 'TfToken[';

/** Matches one encoded string token, `${TfToken[TOKEN.12]}` (global: for `matchAll` and `replace`). */
export const TOKEN_MARKER = /\$\{TfToken\[[^\]]+\]\}/g;
