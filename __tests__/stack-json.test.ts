import {
  DataTerraformRemoteStateLocal,
  Fn,
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
  Testing,
  Token,
} from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { isPlain } from '../lib/cdktf/plain-values';
import { stackToTerraform } from '../lib/cdktf/stack-json';
import { stableJson, stableJsonOf } from '../lib/cdktf/stable-json';
import { KubernetesObject } from '../lib/sites/private/kubernetes-object';

// The JSON cdktf writes (json-stable-stringify, two spaces), to compare byte for byte.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stringify = require(require.resolve('json-stable-stringify', { paths: [require.resolve('cdktf')] })) as (
  value: unknown,
  options: { space: number },
) => string;

/** A stack with every kind of element and value the fast path must get exactly as cdktf does. */
function mixedStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app({ stackTraces: false }), 'mixed');
  const remote = new DataTerraformRemoteStateLocal(stack, 'Remote', { path: 'other.tfstate' });
  new KubernetesProvider(stack, 'kubernetes', { host: remote.getString('host'), configPath: undefined });
  const size = new TerraformVariable(stack, 'size', { type: 'number', default: 3 });
  // Plain: the slim path, undefined keys dropped.
  new KubernetesObject(stack, 'Plain', 'kubernetes_namespace_v1', { metadata: { name: 'plain', labels: { a: 'b', gone: undefined } } });
  // Tokens: a string token inside a list, a number token written into a string, a map key from a literal.
  new KubernetesObject(stack, 'Tokens', 'kubernetes_network_policy_v1', {
    metadata: { name: 'tokens', namespace: 'plain' },
    spec: { except: ['10.0.0.0/8', `${remote.getString('address')}/32`], note: `size ${size.numberValue}`, count: size.numberValue },
  });
  // A literal Terraform expression and a string that only looks like a number.
  new KubernetesObject(stack, 'Expression', 'kubernetes_config_map_v1', {
    metadata: { name: 'expr' },
    data: { raw: '${var.size}', sci: '1e5 and 2e+289', fn: Fn.upper('x') },
  });
  // Meta-arguments and overrides take cdktf's own path.
  const overridden = new KubernetesObject(stack, 'Overridden', 'kubernetes_namespace_v1', { metadata: { name: 'o' } }, { ignoreChanges: ['metadata'] });
  overridden.addOverride('metadata.labels', { x: 'y' });
  const binding = new NamespaceV1(stack, 'Binding', { metadata: { name: 'binding', labels: { l: Token.asString(size.value) } } });
  new TerraformOutput(stack, 'out', { value: binding.id });
  stack.addOverride('terraform.required_version', '>= 1.6');
  stack.addOverride('resource.kubernetes_namespace_v1.Plain.metadata.annotations', { over: 'ridden' });
  return stack;
}

describe('stackToTerraform', () => {
  it('returns what TerraformStack.toTerraform returns, byte for byte once written', () => {
    const stack = mixedStack();
    stack.prepareStack();
    const cdktf = stringify(TerraformStack.prototype.toTerraform.call(stack), { space: 2 });
    expect(stringify(stackToTerraform(stack), { space: 2 })).toBe(cdktf);
    // The comparison is not vacuous: the stack holds resolved references, an override and an output.
    expect(cdktf).toContain('${data.terraform_remote_state.Remote.outputs.address}/32');
    expect(cdktf).toContain('"over": "ridden"');
    expect(cdktf).toContain('"required_version": ">= 1.6"');
    expect(cdktf).toContain('"ignore_changes"');
  });

  it('leaves the elements\' own JSON as it was when an override merges into a body it placed', () => {
    const stack = mixedStack();
    const plain = stack.node.findChild('Plain') as KubernetesObject;
    const before = JSON.stringify(plain.toTerraform());
    const json = stackToTerraform(stack) as { resource: Record<string, Record<string, { metadata: { annotations?: unknown } }>> };
    expect(json.resource.kubernetes_namespace_v1.Plain.metadata.annotations).toEqual({ over: 'ridden' });
    expect(JSON.stringify(plain.toTerraform())).toBe(before);
  });
});

describe('isPlain', () => {
  it('accepts literal JSON', () => {
    expect(isPlain({ a: ['x', 1, true, null, { b: 'c' }], uniqueId: 'Site_Namespace_1E5A2E3B', d: undefined })).toBe(true);
    // A literal Terraform expression is returned by the resolver as it is.
    expect(isPlain({ cidr: '${data.terraform_remote_state.p.outputs.ip}/32', escaped: '$${VAR}' })).toBe(true);
  });

  it.each([
    ['a string token', () => Token.asString({ resolve: () => 'x' })],
    ['a number token', () => Token.asNumber({ resolve: () => 1 })],
    ['a list token', () => Token.asList({ resolve: () => ['x'] })],
    ['a number token written into a string', () => `n=${Token.asNumber({ resolve: () => 1 })}`],
    ['an undefined list entry', () => ['a', undefined]],
    ['an object with a prototype', () => new Date(0)],
    ['a key with a token', () => ({ [Token.asString({ resolve: () => 'k' })]: 'v' })],
  ])('refuses %s', (_what, make) => {
    expect(isPlain({ nested: [make()] })).toBe(false);
  });
});

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
