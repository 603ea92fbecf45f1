import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  App,
  DataTerraformRemoteStateLocal,
  Fn,
  Lazy,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  TerraformVariable,
  Testing,
  Token,
  Tokenization,
} from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { FastStack } from '../lib/cdktf/fast-stack';
import { PlainResource } from '../lib/cdktf/plain-resource';
import { isPlain } from '../lib/cdktf/plain-values';
import { resolveAsCdktf } from '../lib/cdktf/resolve';
import { stackToTerraform } from '../lib/cdktf/stack-json';
import { TOKEN_MARKER, TOKEN_MARKER_TEXT } from '../lib/cdktf/token-marker';
import { disableTokenStackTraces, restoreTokenStackTraces } from '../lib/cdktf/token-stack-traces';

/**
 * The cdktf internals lib/cdktf relies on (README, "cdktf internals we rely
 * on"), each exercised against cdktf itself: what our fast paths write is
 * compared with what cdktf's own code writes for the same constructs. A
 * cdktf upgrade (or the move to cdktn) that changes one of them fails here,
 * not in a changed synth digest with no hint why.
 */

// The JSON cdktf writes (its synthesizer's json-stable-stringify, two spaces), to compare byte for byte.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stringify = require(require.resolve('json-stable-stringify', { paths: [require.resolve('cdktf')] })) as (
  value: unknown,
  options: { space: number },
) => string;

/** A resource of the kubernetes provider written by PlainResource, as the sites write theirs. */
function plainObject(scope: TerraformStack, id: string, type: string, attributes: Record<string, unknown>, ignoreChanges?: string[]) {
  return new PlainResource(scope, id, {
    terraformResourceType: type,
    providerName: 'kubernetes',
    attributes,
    lifecycle: ignoreChanges && { ignoreChanges },
  });
}

/**
 * An app with a stack of every kind of element and value the fast paths must
 * get exactly as cdktf does, and a second stack it references (a cross-stack
 * reference the preparing pass turns into an output and a remote state).
 */
function mixedApp(app: App = Testing.app({ stackTraces: false })): { app: App; stack: FastStack; source: TerraformStack } {
  const source = new TerraformStack(app, 'source');
  new KubernetesProvider(source, 'kubernetes', { host: 'https://source.example' });
  const sourceNamespace = new NamespaceV1(source, 'SourceNamespace', { metadata: { name: 'source' } });
  const stack = new FastStack(app, 'mixed');
  const remote = new DataTerraformRemoteStateLocal(stack, 'Remote', { path: 'other.tfstate' });
  new KubernetesProvider(stack, 'kubernetes', { host: remote.getString('host'), configPath: undefined });
  // A second provider of the same type: cdktf concatenates the lists at `provider.kubernetes`.
  new KubernetesProvider(stack, 'kubernetes_second', { alias: 'second', host: 'https://second.example' });
  const size = new TerraformVariable(stack, 'size', { type: 'number', default: 3 });
  // Plain: the slim path, undefined keys dropped.
  plainObject(stack, 'Plain', 'kubernetes_namespace_v1', { metadata: { name: 'plain', labels: { a: 'b', c: 'd', gone: undefined } } });
  // Tokens: a string token inside a list, a number token written into a string, a map key from a literal.
  plainObject(stack, 'Tokens', 'kubernetes_network_policy_v1', {
    metadata: { name: 'tokens', namespace: 'plain' },
    spec: { except: ['10.0.0.0/8', `${remote.getString('address')}/32`], note: `size ${size.numberValue}`, count: size.numberValue },
  });
  // A reference into the other stack: resolved in the preparing pass, which adds an output there and a remote state here.
  plainObject(stack, 'CrossStack', 'kubernetes_config_map_v1', { metadata: { name: 'cross' }, data: { source: sourceNamespace.id } });
  // A literal Terraform expression and a string that only looks like a number.
  plainObject(stack, 'Expression', 'kubernetes_config_map_v1', {
    metadata: { name: 'expr' },
    data: { raw: '${var.size}', sci: '1e5 and 2e+289', fn: Fn.upper('x') },
  });
  // Plain with lifecycle.ignore_changes: still the slim path.
  plainObject(stack, 'Ignoring', 'kubernetes_namespace_v1', { metadata: { name: 'ignoring' } }, ['metadata[0].annotations']);
  // Meta-arguments and overrides take cdktf's own path.
  const overridden = plainObject(stack, 'Overridden', 'kubernetes_namespace_v1', { metadata: { name: 'o' } }, ['metadata']);
  overridden.addOverride('metadata.labels', { x: 'y' });
  const binding = new NamespaceV1(stack, 'Binding', { metadata: { name: 'binding', labels: { l: Token.asString(size.value) } } });
  plainObject(stack, 'DependsOn', 'kubernetes_namespace_v1', { metadata: { name: 'depends' } }).dependsOn = [binding.fqn];
  new TerraformOutput(stack, 'out', { value: binding.id });
  stack.addOverride('terraform.required_version', '>= 1.6');
  // An override into a plain body placed as it is: merged into a copy, `undefined` deletes.
  stack.addOverride('resource.kubernetes_namespace_v1.Plain.metadata.annotations', { over: 'ridden' });
  stack.addOverride('resource.kubernetes_namespace_v1.Plain.metadata.labels.c', undefined);
  return { app, stack, source };
}

/** What cdktf's own code writes for a stack: its preparing pass, its toTerraform, every element's own toTerraform. */
function cdktfOwnJson(app: App): Record<string, string> {
  const stacks = app.node.children.filter((child): child is TerraformStack => TerraformStack.isStack(child));
  const spy = jest.spyOn(PlainResource.prototype, 'toTerraform').mockImplementation(function (this: PlainResource) {
    return TerraformResource.prototype.toTerraform.call(this);
  });
  try {
    for (const stack of stacks) TerraformStack.prototype.prepareStack.call(stack);
    return Object.fromEntries(stacks.map((stack) => [stack.node.id, stringify(TerraformStack.prototype.toTerraform.call(stack), { space: 2 })]));
  } finally {
    spy.mockRestore();
  }
}

describe('TerraformStack internals: rawOverrides, cdktfVersion, prepareStack and toTerraform (FastStack, stackToTerraform)', () => {
  it('writes, through app.synth(), the files cdktf\'s own code writes for the same constructs', () => {
    const expected = cdktfOwnJson(mixedApp().app);
    const { app } = mixedApp();
    app.synth();
    const written = Object.fromEntries(['source', 'mixed'].map((name) => [name, readFileSync(path.join(app.outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')]));
    rmSync(app.outdir, { recursive: true, force: true });
    expect(written).toEqual(expected);
    // The comparison is not vacuous: references resolved, the cross-stack wiring done, overrides, lists concatenated.
    expect(expected.mixed).toContain('${data.terraform_remote_state.Remote.outputs.address}/32');
    expect(expected.mixed).toMatch(/"source": "\$\{data\.terraform_remote_state\.cross-stack-reference-input-source\.outputs\.cross-stack-output-kubernetes_namespace_v1SourceNamespace/);
    expect(expected.source).toContain('"cross-stack-output-kubernetes_namespace_v1SourceNamespace');
    expect(expected.mixed).toContain('"over": "ridden"');
    expect(expected.mixed).not.toContain('"c": "d"');
    expect(expected.mixed).toContain('"required_version": ">= 1.6"');
    expect(expected.mixed).toContain('"alias": "second"');
    expect(expected.mixed).toContain('"ignore_changes"');
    expect(expected.mixed).toContain('"depends_on"');
  });

  it('returns, from stackToTerraform, what TerraformStack.toTerraform returns for the same prepared stack', () => {
    const { app, stack } = mixedApp();
    for (const each of app.node.children) (each as TerraformStack).prepareStack();
    expect(stringify(stackToTerraform(stack), { space: 2 })).toBe(stringify(TerraformStack.prototype.toTerraform.call(stack), { space: 2 }));
  });

  it('finds the stack overrides in rawOverrides and the version in cdktfVersion, as cdktf\'s own JSON has them', () => {
    // A real App (Testing.app stubs the version), never synthesized: its output folder is removed at once.
    const outdir = mkdtempSync(path.join(tmpdir(), 'cdktf-internals-'));
    const stack = new TerraformStack(new App({ stackTraces: false, outdir }), 'versioned');
    rmSync(outdir, { recursive: true, force: true });
    stack.addOverride('terraform.required_version', '>= 1.6');
    const internals = stack as unknown as { rawOverrides: unknown; cdktfVersion: unknown };
    expect(internals.rawOverrides).toEqual({ terraform: { required_version: '>= 1.6' } });
    const cdktfPackage = JSON.parse(readFileSync(path.join(path.dirname(require.resolve('cdktf')), '..', 'package.json'), 'utf8')) as { version: string };
    expect(internals.cdktfVersion).toBe(cdktfPackage.version);
    const metadata = TerraformStack.prototype.toTerraform.call(stack)['//'].metadata;
    expect(metadata).toEqual(expect.objectContaining({ version: cdktfPackage.version, overrides: { stack: ['terraform'] } }));
  });

  it('leaves the elements\' own JSON as it was when an override merges into a body it placed', () => {
    const { stack } = mixedApp();
    const plain = stack.node.findChild('Plain') as PlainResource;
    const before = JSON.stringify(plain.toTerraform());
    const json = stackToTerraform(stack) as { resource: Record<string, Record<string, { metadata: { annotations?: unknown; labels?: unknown } }>> };
    expect(json.resource.kubernetes_namespace_v1.Plain.metadata.annotations).toEqual({ over: 'ridden' });
    expect(json.resource.kubernetes_namespace_v1.Plain.metadata.labels).toEqual({ a: 'b' });
    expect(JSON.stringify(plain.toTerraform())).toBe(before);
  });

  it('resolves a token of its own to the expression cdktf writes for it (FastStack.expressionOf)', () => {
    class Probe extends FastStack {
      readonly expression: string;
      constructor(app: App) {
        super(app, 'probe');
        const remote = new DataTerraformRemoteStateLocal(this, 'Remote', { path: 'other.tfstate' });
        this.expression = this.expressionOf(remote.getString('address'));
        new TerraformOutput(this, 'address', { value: remote.getString('address') });
      }
    }
    const probe = new Probe(Testing.app({ stackTraces: false }));
    expect(probe.expression).toBe('${data.terraform_remote_state.Remote.outputs.address}');
    expect(TerraformStack.prototype.toTerraform.call(probe).output.address.value).toBe(probe.expression);
    expect(isPlain(`${probe.expression}/32`)).toBe(true);
  });
});

describe('TerraformResource internals: toTerraform, rawOverrides, constructNodeMetadata, _imported (PlainResource)', () => {
  const resolved = (stack: TerraformStack, json: unknown) => stringify(resolveAsCdktf(stack, json), { space: 2 });
  const cdktfOwn = (resource: PlainResource) => resolved(TerraformStack.of(resource), TerraformResource.prototype.toTerraform.call(resource));

  function stackWithProvider(): TerraformStack {
    const stack = new TerraformStack(Testing.app({ stackTraces: false }), 'resources');
    new KubernetesProvider(stack, 'kubernetes', {});
    return stack;
  }

  it.each([
    ['plain attributes', {}],
    ['lifecycle.ignore_changes', { ignoreChanges: ['metadata[0].labels'] }],
  ])('writes with %s what cdktf writes, without cdktf\'s general path', (_what, options: { ignoreChanges?: string[] }) => {
    const stack = stackWithProvider();
    const resource = plainObject(stack, 'Ns', 'kubernetes_namespace_v1', { metadata: { name: 'n', labels: { a: 'b', unset: undefined } }, wait_for_default_service_account: true }, options.ignoreChanges);
    expect(resource.plainTerraform()).toBeDefined();
    expect(resolved(stack, resource.toTerraform())).toBe(cdktfOwn(resource));
  });

  it.each([
    ['an override (rawOverrides)', (r: PlainResource) => r.addOverride('metadata.labels.x', 'y')],
    ['an import (_imported)', (r: PlainResource) => r.importFrom('ns-id')],
    ['depends_on', (r: PlainResource) => (r.dependsOn = ['kubernetes_namespace_v1.other'])],
    ['count', (r: PlainResource) => (r.count = 2)],
    ['a move', (r: PlainResource) => r.moveToId('kubernetes_namespace_v1.elsewhere')],
    ['a lifecycle setting other than ignore_changes', (r: PlainResource) => (r.lifecycle = { preventDestroy: true })],
  ])('steps aside for %s and writes cdktf\'s JSON', (_what, change) => {
    const stack = stackWithProvider();
    const resource = plainObject(stack, 'Ns', 'kubernetes_namespace_v1', { metadata: { name: 'n' } });
    const slim = resolved(stack, resource.toTerraform());
    change(resource);
    expect(resource.plainTerraform()).toBeUndefined();
    const json = resolved(stack, resource.toTerraform());
    expect(json).toBe(cdktfOwn(resource));
    expect(json).not.toBe(slim);
  });
});

describe('the token marker (lib/cdktf/token-marker.ts) and the resolver\'s rule for plain values (isPlain)', () => {
  const resolvable = { resolve: () => 'x' };

  it('is the marker cdktf writes for string, list and map tokens', () => {
    const stringToken = Token.asString(resolvable);
    expect(stringToken.match(TOKEN_MARKER)).toEqual([stringToken]);
    expect(Token.asList(resolvable)[0]).toContain(TOKEN_MARKER_TEXT);
    expect(Object.keys(Token.asStringMap(resolvable))[0]).toContain(TOKEN_MARKER_TEXT);
    // And cdktf takes a string holding it for a token (a config value with it would be read as one).
    expect(Token.isUnresolved(`prefix ${stringToken}`)).toBe(true);
  });

  it('finds every token in a text (TOKEN_MARKER, as the cloud-init builder uses it)', () => {
    const text = `a ${Token.asString(resolvable)} b ${Fn.upper('y')} c`;
    expect([...text.matchAll(TOKEN_MARKER)]).toHaveLength(2);
    expect(text.replace(TOKEN_MARKER, '')).toBe('a  b  c');
  });

  it.each([
    ['literal JSON', { a: ['x', 1, true, null, { b: 'c' }], uniqueId: 'Site_Namespace_1E5A2E3B' }],
    ['literal Terraform expressions and escapes', { cidr: '${data.terraform_remote_state.p.outputs.ip}/32', escaped: '$${VAR}', directive: '%{ if a }b%{ endif }' }],
  ])('accepts %s, which cdktf\'s resolver returns unchanged', (_what, value) => {
    expect(isPlain(value)).toBe(true);
    const stack = new TerraformStack(Testing.app({ stackTraces: false }), 'resolver');
    expect(resolveAsCdktf(stack, value)).toEqual(value);
  });

  it('accepts undefined object entries, which the resolver drops', () => {
    const stack = new TerraformStack(Testing.app({ stackTraces: false }), 'resolver');
    expect(isPlain({ a: 'b', d: undefined })).toBe(true);
    expect(resolveAsCdktf(stack, { a: 'b', d: undefined })).toStrictEqual({ a: 'b' });
  });

  it.each([
    ['a string token', () => Token.asString({ resolve: () => 'x' })],
    ['a number token', () => Token.asNumber({ resolve: () => 1 })],
    ['a list token', () => Token.asList({ resolve: () => ['x'] })],
    ['a map token', () => Token.asStringMap({ resolve: () => ({ k: 'v' }) })],
    ['a number token written into a string', () => `n=${Token.asNumber({ resolve: () => 1 })}`],
    ['an undefined list entry', () => ['a', undefined]],
    ['an object with a prototype', () => new Date(0)],
    ['a key with a token', () => ({ [Token.asString({ resolve: () => 'k' })]: 'v' })],
  ])('refuses %s, which the resolver changes', (_what, make) => {
    const value = { nested: [make()] };
    expect(isPlain(value)).toBe(false);
    if (!(make() instanceof Date)) {
      const stack = new TerraformStack(Testing.app({ stackTraces: false }), 'resolver');
      expect(resolveAsCdktf(stack, value)).not.toStrictEqual(value);
    }
  });
});

describe('the module cdktf/lib/tokens/private/stack-trace (token-stack-traces.ts)', () => {
  const creationStacks = () => [Lazy.anyValue({ produce: () => 1 }).creationStack, Tokenization.reverseString(Fn.upper('x')).firstToken!.creationStack];

  afterEach(() => disableTokenStackTraces());

  it('is where cdktf\'s tokens take their creation stack from', () => {
    restoreTokenStackTraces();
    for (const trace of creationStacks()) expect(trace.length).toBeGreaterThan(0);
    disableTokenStackTraces();
    for (const trace of creationStacks()) expect(trace).toEqual([]);
  });

  it('is switched off by loading the stacks, as main.ts, the benchmark and the tests\' synth do', () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../stacks');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('cdktf') as typeof import('cdktf');
      expect(fresh.Lazy.anyValue({ produce: () => 1 }).creationStack).toEqual([]);
    });
  });
});
