import { stableJson, stableJsonOf } from '../lib/cdktf/stable-json';

// The JSON cdktf writes (json-stable-stringify, two spaces), to compare byte for byte.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stringify = require(require.resolve('json-stable-stringify', { paths: [require.resolve('cdktf')] })) as (
  value: unknown,
  options: { space: number },
) => string;

describe('stableJson', () => {
  it.each([
    ['empty containers', { a: {}, b: [], c: [[]], d: { e: {} } }],
    ['undefined and functions', { a: undefined, b: () => 1, c: [undefined, () => 1, null], d: { only: undefined } }],
    ['key order by code unit', { é: 1, Z: 2, a: 3, '10': 4, '9': 5, '\u{1F600}': 6, '\uFFFF': 7, _: 8 }],
    ['toJSON and special strings', { date: new Date(0), t: { toJSON: () => [1] }, s: '\u2028"\\\n', n: -0, big: 1.5e300 }],
    ['scalars', 'text'],
    ['a list at the top', [1, { b: [2, { c: 3 }] }]],
  ])('writes %s as json-stable-stringify does', (_what, value) => {
    expect(stableJson(value)).toBe(stringify(value, { space: 2 }));
  });

  it('refuses a cycle', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => stableJson(cyclic)).toThrow(/circular/);
  });
});

describe('stableJsonOf', () => {
  it('says a value of plain data is the data its text holds', () => {
    const value = { b: [1, 'two', null, { c: true }], a: { d: undefined }, e: [] };
    const { text, isData } = stableJsonOf(value);
    expect(text).toBe(stringify(value, { space: 2 }));
    expect(isData).toBe(true);
  });

  it.each([
    ['a toJSON', { when: new Date(0) }],
    ['an object of a class', { map: new (class Holder { x = 1; })() }],
    ['a toJSON below integer-like keys', { '1': { toJSON: () => 'x' } }],
  ])('does not when the value holds %s', (_what, value) => {
    const { text, isData } = stableJsonOf(value);
    expect(text).toBe(stringify(value, { space: 2 }));
    expect(isData).toBe(false);
  });
});
