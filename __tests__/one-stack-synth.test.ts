import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { parse, stringify } from 'yaml';
import { ObjectstorageContainerV1 } from '../.gen/providers/openstack/objectstorage-container-v1';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import { addGuardrails, GuardrailViolationError } from '../lib/aspects';
import { loadPlatformConfig } from '../lib/config';
import { requestedStacks, selectStacks, StackSelectionError, synthesizeAtomically } from '../lib/output';
import { catalogOptionsOf, parseSitesCatalog } from '../lib/sites/catalog';
import { platformStackNames } from '../stacks';

const root = path.join(__dirname, '..');
const work = mkdtempSync(path.join(tmpdir(), 'one-stack-'));
const full = path.join(work, 'full');
const outdir = path.join(work, 'out');
const config = loadPlatformConfig({}).config;

// The example sites at 5 a shard: three production shards, so "the other shards" exist.
const catalogText = stringify({ ...parse(readFileSync(path.join(root, 'config', 'sites.yaml'), 'utf8')), sitesPerShard: 5 });
const catalogFile = path.join(work, 'sites.yaml');
writeFileSync(catalogFile, catalogText);
const catalog = parseSitesCatalog(catalogText, catalogFile, catalogOptionsOf(config));

/** sha256 of every file below dir, by relative path. */
function hashTree(dir: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  const visit = (d: string) => {
    for (const entry of readdirSync(d)) {
      const file = path.join(d, entry);
      if (statSync(file).isDirectory()) visit(file);
      else hashes[path.relative(dir, file)] = createHash('sha256').update(readFileSync(file)).digest('hex');
    }
  };
  visit(dir);
  return hashes;
}
const under = (tree: Record<string, string>, prefix: string) =>
  Object.fromEntries(Object.entries(tree).filter(([file]) => file.startsWith(prefix)));
const without = (tree: Record<string, string>, prefixes: readonly string[]) =>
  Object.fromEntries(Object.entries(tree).filter(([file]) => !prefixes.some((p) => file.startsWith(p))));

function synth(dir: string, ...args: string[]) {
  return spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), ['main.ts', ...args], {
    cwd: root,
    env: { ...process.env, CDKTF_OUTDIR: dir, PLATFORM_CONFIG: '', SITES_CATALOG: catalogFile },
    encoding: 'utf8',
  });
}
/** Only the output dirs are left in the work dir: no staging or old directories. */
const leftovers = () => readdirSync(work).filter((e) => !['full', 'out', 'sites.yaml'].includes(e));

let fullTree: Record<string, string>;

beforeAll(() => {
  const run = synth(full);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  fullTree = hashTree(full);
});

beforeEach(() => {
  rmSync(outdir, { recursive: true, force: true });
  cpSync(full, outdir, { recursive: true });
});

test('the example catalog at 5 sites a shard gives three production shards', () => {
  expect(platformStackNames(config, catalog).filter((s) => s.startsWith('production-sites-'))).toEqual([
    'production-sites-01',
    'production-sites-02',
    'production-sites-03',
  ]);
  expect(readdirSync(path.join(full, 'stacks')).sort()).toEqual([...platformStackNames(config, catalog)].sort());
});

test('--stack writes that stack byte-identical to a full synth and leaves every other folder and the manifest as they were', () => {
  const shard = 'production-sites-02';
  // The folder to rewrite is spoiled first; other folders hold what only tofu writes, and a change of their own.
  writeFileSync(path.join(outdir, 'stacks', shard, 'cdk.tf.json'), '{}');
  mkdirSync(path.join(outdir, 'stacks', shard, '.terraform'));
  writeFileSync(path.join(outdir, 'stacks', shard, '.terraform', 'marker'), 'init');
  writeFileSync(path.join(outdir, 'stacks', shard, `${shard}.tfplan`), 'plan');
  writeFileSync(path.join(outdir, 'stacks', 'production-sites-01', 'cdk.tf.json'), '{"edited": "by hand"}');
  writeFileSync(path.join(outdir, 'stacks', 'production', '.terraform.lock.hcl'), '# lock\n');
  const before = hashTree(outdir);

  const run = synth(outdir, '--stack', shard);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(`Synthesized 1 stack into ${path.relative(root, outdir)}/stacks/: ${shard} (only these; the other stacks' folders are as they were)\n`);
  const after = hashTree(outdir);
  expect(under(after, `stacks/${shard}/cdk.tf.json`)).toEqual(under(fullTree, `stacks/${shard}/cdk.tf.json`));
  // What tofu left in the rewritten folder stays.
  expect(after[`stacks/${shard}/.terraform/marker`]).toBe(before[`stacks/${shard}/.terraform/marker`]);
  expect(after[`stacks/${shard}/${shard}.tfplan`]).toBe(before[`stacks/${shard}/${shard}.tfplan`]);
  // Everything else, the hand edit and the manifest included, byte for byte.
  expect(without(after, [`stacks/${shard}/`])).toEqual(without(before, [`stacks/${shard}/`]));
  expect(after['manifest.json']).toBe(fullTree['manifest.json']);
  expect(leftovers()).toEqual([]);
});

test('a list, as a comma list and repeated flags, writes exactly those stacks, each as a full synth does', () => {
  const chosen = ['production', 'test-sites-01', 'production-sites-03'];
  for (const stack of readdirSync(path.join(outdir, 'stacks'))) writeFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), '{}');
  const before = hashTree(outdir);
  const run = synth(outdir, '--stack', 'production,test-sites-01', '--stack=production-sites-03');
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const after = hashTree(outdir);
  for (const stack of chosen) expect(after[`stacks/${stack}/cdk.tf.json`]).toBe(fullTree[`stacks/${stack}/cdk.tf.json`]);
  const others = readdirSync(path.join(outdir, 'stacks')).filter((s) => !chosen.includes(s));
  expect(others).toHaveLength(platformStackNames(config, catalog).length - chosen.length);
  for (const stack of others) expect(after[`stacks/${stack}/cdk.tf.json`]).toBe(before[`stacks/${stack}/cdk.tf.json`]);
});

test('into an empty output folder: only the stacks asked for, and a manifest of those', () => {
  rmSync(outdir, { recursive: true, force: true });
  const run = synth(outdir, '--stack', 'test-sites-01');
  expect(run.status).toBe(0);
  expect(readdirSync(path.join(outdir, 'stacks'))).toEqual(['test-sites-01']);
  expect(hashTree(outdir)['stacks/test-sites-01/cdk.tf.json']).toBe(fullTree['stacks/test-sites-01/cdk.tf.json']);
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  expect(Object.keys(manifest.stacks)).toEqual(['test-sites-01']);
  expect(manifest.stacks['test-sites-01'].dependencies).toEqual(['test', 'test-platform']);
});

test('an unknown stack name is refused with the valid names, and nothing is written', () => {
  const before = hashTree(outdir);
  const run = synth(outdir, '--stack', 'production-sites-02,production-sites-7');
  expect(run.status).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(
    'synth: no stack named production-sites-7 in this app (from this config and sites catalog); nothing was written. ' +
      `The stacks are: ${platformStackNames(config, catalog).join(', ')}\n`,
  );
  expect(hashTree(outdir)).toEqual(before);
  expect(leftovers()).toEqual([]);
});

test('an unknown option or an empty name is refused, nothing written', () => {
  const before = hashTree(outdir);
  const unknown = synth(outdir, '--stacks', 'production');
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toBe(
    "synth: Unknown option '--stacks'; the one option is --stack: npm run synth -- --stack <name>[,<name>...] (repeat --stack for more)\n",
  );
  const empty = synth(outdir, '--stack', 'production,');
  expect(empty.status).toBe(1);
  expect(empty.stderr).toContain('synth: --stack needs a stack name (an empty one was given)');
  expect(hashTree(outdir)).toEqual(before);
});

describe('the arguments', () => {
  test('without --stack: every stack', () => {
    expect(requestedStacks([])).toBeUndefined();
  });
  test('comma lists and repeated flags, in order, each name once', () => {
    expect(requestedStacks(['--stack', 'b,a', '--stack=c', '--stack', 'a'])).toEqual(['b', 'a', 'c']);
  });
  test('a positional argument is refused', () => {
    expect(() => requestedStacks(['production'])).toThrow(StackSelectionError);
  });
  test('every unknown name at once, with the known ones in the app order', () => {
    expect(() => selectStacks(['x', 'tools', 'y'], ['tools', 'production'])).toThrow(
      'synth: no stack named x, y in this app (from this config and sites catalog); nothing was written. The stacks are: tools, production',
    );
    expect(selectStacks(['production'], ['tools', 'production'])).toEqual(['production']);
  });
});

describe('the atomic output, for some stacks only', () => {
  const appWith = (bucket: { forceDestroy: boolean }) => (dir: string) => {
    const app = new App({ stackTraces: false, outdir: dir });
    for (const name of ['production', 'test']) {
      const stack = new TerraformStack(app, name);
      new OpenstackProvider(stack, 'openstack', { authUrl: config.cloud.authUrl, region: config.cloud.region });
      new ObjectstorageContainerV1(stack, 'Backups', { name: `${name}-b`, forceDestroy: name === 'production' && bucket.forceDestroy });
    }
    addGuardrails(app, config);
    return app;
  };

  test('keeps the same guardrails: a violation leaves the output byte-identical', () => {
    const before = hashTree(outdir);
    expect(() => synthesizeAtomically(appWith({ forceDestroy: true }), { outdir, stacks: ['production'] })).toThrow(GuardrailViolationError);
    expect(hashTree(outdir)).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  test('refuses a selected stack the app does not build, writing nothing', () => {
    const before = hashTree(outdir);
    expect(() => synthesizeAtomically(appWith({ forceDestroy: false }), { outdir, stacks: ['tools'] })).toThrow(
      'synthesizeAtomically: the app has no stack tools to write; build must add every stack selected',
    );
    expect(hashTree(outdir)).toEqual(before);
    expect(leftovers()).toEqual([]);
  });
});
