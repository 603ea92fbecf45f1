import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { parse, stringify } from 'yaml';
import { NetworkingSecgroupV2 } from '../.gen/providers/openstack/networking-secgroup-v2';
import { ObjectstorageContainerV1 } from '../.gen/providers/openstack/objectstorage-container-v1';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import { addGuardrails, GuardrailViolationError } from '../lib/aspects';
import { loadPlatformConfig } from '../lib/config';
import { OutputScanError, synthesizeAtomically } from '../lib/output';

const root = path.join(__dirname, '..');
const work = mkdtempSync(path.join(tmpdir(), 'atomic-output-'));
const outdir = path.join(work, 'out');
const config = loadPlatformConfig({}).config;

/** sha256 of every file below dir, by relative path. */
function hashTree(dir: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  const visit = (d: string) => {
    for (const entry of readdirSync(d)) {
      const full = path.join(d, entry);
      if (statSync(full).isDirectory()) visit(full);
      else hashes[path.relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  visit(dir);
  return hashes;
}

/** `npx tsx main.ts` with the output in the temp dir. */
function synthMain(env: Record<string, string> = {}) {
  return spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), ['main.ts'], {
    cwd: root,
    env: { ...process.env, CDKTF_OUTDIR: outdir, PLATFORM_CONFIG: '', ...env },
    encoding: 'utf8',
  });
}

/** Only the output dir is left next to it: no staging or old directories. */
function leftovers(): string[] {
  return readdirSync(work).filter((e) => e !== 'out' && !e.endsWith('.yaml'));
}

function appWith(build: (stack: TerraformStack) => void) {
  return (dir: string) => {
    const app = new App({ stackTraces: false, outdir: dir });
    const stack = new TerraformStack(app, 'production');
    new OpenstackProvider(stack, 'openstack', { authUrl: config.cloud.authUrl, region: config.cloud.region });
    build(stack);
    addGuardrails(app, config);
    return app;
  };
}

let before: Record<string, string>;

test('main.ts synthesizes into CDKTF_OUTDIR, says where the stacks are and what to run next, and warns of placeholder networks', () => {
  const run = synthMain();
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.status).toBe(0);
  const shown = path.relative(root, outdir);
  expect(run.stdout).toContain(
    `Synthesized 8 stacks into ${shown}/stacks/: production, production-platform, production-sites-01, test, test-platform, test-sites-01, tools, tools-platform\n`,
  );
  expect(run.stdout).toContain(`  tofu -chdir=${shown}/stacks/test init\n  tofu -chdir=${shown}/stacks/test plan -out=test.tfplan\n`);
  // The default config's API allow-lists still hold the documentation range 192.0.2.0/24.
  expect(run.stderr).toBe('');
  expect(run.stdout.split('\n').filter((line) => line.startsWith('warning: '))).toEqual(
    ['tools', 'production', 'test'].map(
      (env) =>
        `warning: config/platform.yaml: environments.${env}.access.apiAllowedCidrs[0]: 192.0.2.0/24: is in 192.0.2.0/24, a documentation range (RFC 5737) ` +
        "no one's traffic comes from, so it admits nobody to the Kubernetes API; replace it with your office and CI runner networks",
    ),
  );
  expect(Object.keys(hashTree(outdir))).toEqual(
    expect.arrayContaining(['manifest.json', 'stacks/production/cdk.tf.json', 'stacks/test/cdk.tf.json', 'stacks/tools/cdk.tf.json']),
  );
  // What `tofu init` leaves next to the JSON, which a re-synth must keep.
  writeFileSync(path.join(outdir, 'stacks', 'production', '.terraform.lock.hcl'), '# lock\n');
  before = hashTree(outdir);
  expect(leftovers()).toEqual([]);
});

test('a broken config exits 1 with the message on stderr and leaves the output byte-identical', () => {
  const broken = path.join(work, 'broken.yaml');
  writeFileSync(broken, 'platform:\n  name: [unclosed\n');
  const run = synthMain({ PLATFORM_CONFIG: broken });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`^Invalid platform config ${broken}:\\n  ${broken}: line \\d+ column \\d+: YAML syntax error: `));
  expect(hashTree(outdir)).toEqual(before);
  expect(leftovers()).toEqual([]);
});

test('a config without documentation ranges gives no warning', () => {
  const own = path.join(work, 'own-networks.yaml');
  writeFileSync(own, readFileSync(path.join(root, 'config', 'platform.yaml'), 'utf8').replaceAll('192.0.2.0/24', '185.17.68.0/24'));
  const run = synthMain({ PLATFORM_CONFIG: own, CDKTF_OUTDIR: path.join(work, 'out-own') });
  expect(run.status).toBe(0);
  expect(run.stdout).not.toMatch(/warning/);
  rmSync(path.join(work, 'out-own'), { recursive: true, force: true });
});

test('an unexpected error is one line naming the input files; the stack trace only with PLATFORM_DEBUG', () => {
  // An output folder below a regular file: no check foresees it, mkdir throws EEXIST.
  const blocker = path.join(work, 'a-file.yaml');
  writeFileSync(blocker, '');
  const env = { CDKTF_OUTDIR: path.join(blocker, 'out') };
  const run = synthMain(env);
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(
    /^synth failed unexpectedly \(Error: EEXIST: file already exists, mkdir '.*a-file\.yaml'\) while building the stacks from config\/platform\.yaml and config\/sites\.yaml; nothing was written: check the output folder \(CDKTF_OUTDIR\) and its permissions; PLATFORM_DEBUG=1 prints the stack trace\n$/,
  );
  const debug = synthMain({ ...env, PLATFORM_DEBUG: '1' });
  expect(debug.status).toBe(1);
  expect(debug.stderr.split('\n')[0]).toMatch(/^synth failed unexpectedly \(Error: EEXIST/);
  expect(debug.stderr).toMatch(/\n {4}at .*atomic-synth\.ts/);
});

test('a guardrail violation leaves the output byte-identical', () => {
  const build = appWith((stack) => new ObjectstorageContainerV1(stack, 'Backups', { name: 'b', forceDestroy: true }));
  expect(() => synthesizeAtomically(build, { outdir })).toThrow(GuardrailViolationError);
  expect(hashTree(outdir)).toEqual(before);
  expect(leftovers()).toEqual([]);
});

test('a secret in the synthesized JSON leaves the output byte-identical and names file and JSON path', () => {
  const build = appWith((stack) => new NetworkingSecgroupV2(stack, 'Group', { name: 'g', description: 'key AKIAABCDEFGHIJKLMNOP' }));
  expect(() => synthesizeAtomically(build, { outdir })).toThrow(
    new OutputScanError([
      {
        file: path.join(outdir, 'stacks', 'production', 'cdk.tf.json'),
        jsonPath: 'resource.openstack_networking_secgroup_v2.Group.description',
        rule: 'no-secret-literals',
        problem: 'contains an AWS-style access key id',
        fix: 'create S3 credentials with openstack_identity_ec2_credential_v3 and reference them',
      },
    ]).message,
  );
  expect(hashTree(outdir)).toEqual(before);
  expect(leftovers()).toEqual([]);
});

test('a good synth replaces the JSON, drops nothing tofu wrote, and keeps no staging directory', () => {
  const build = appWith((stack) => new NetworkingSecgroupV2(stack, 'Group', { name: 'only' }));
  const stale: string[] = [];
  expect(synthesizeAtomically(build, { outdir, onStaleStack: (s) => stale.push(s) })).toBe(outdir);
  const after = hashTree(outdir);
  expect(after['stacks/production/cdk.tf.json']).not.toEqual(before['stacks/production/cdk.tf.json']);
  expect(after['stacks/production/.terraform.lock.hcl']).toEqual(before['stacks/production/.terraform.lock.hcl']);
  // The stacks no longer in the app leave no folder behind, and are named.
  expect(readdirSync(path.join(outdir, 'stacks'))).toEqual(['production']);
  expect(stale).toEqual(['production-platform', 'production-sites-01', 'test', 'test-platform', 'test-sites-01', 'tools', 'tools-platform']);
  expect(leftovers()).toEqual([]);
});

test('a retired shard leaves no folder that tofu -chdir or the pipeline could pick up, tofu files and all', () => {
  expect(synthMain().status).toBe(0);
  const shard = path.join(outdir, 'stacks', 'test-sites-01');
  // What tofu init and plan leave in a stack's folder.
  mkdirSync(path.join(shard, '.terraform', 'providers'), { recursive: true });
  writeFileSync(path.join(shard, '.terraform.lock.hcl'), '# lock\n');
  writeFileSync(path.join(shard, 'test-sites-01.tfplan'), 'plan');
  writeFileSync(path.join(outdir, 'stacks', 'production-sites-01', '.terraform.lock.hcl'), '# lock\n');
  // Every site off test, and its only shard retired.
  const catalog = parse(readFileSync(path.join(root, 'config', 'sites.yaml'), 'utf8'));
  for (const site of catalog.sites) site.environments = ['production'];
  catalog.retiredShards = ['test-sites-01'];
  const file = path.join(work, 'retired.yaml');
  writeFileSync(file, stringify(catalog));
  const run = synthMain({ SITES_CATALOG: file });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(existsSync(shard)).toBe(false);
  expect(readdirSync(path.join(outdir, 'stacks')).filter((s) => s.includes('-sites-'))).toEqual(['production-sites-01']);
  expect(existsSync(path.join(outdir, 'stacks', 'production-sites-01', '.terraform.lock.hcl'))).toBe(true);
  expect(run.stdout).toContain('retired (retiredShards, not synthesized; their states are kept): test-sites-01\n');
  expect(run.stdout).toContain('test-sites-01: no longer synthesized; its folder is removed from the output (its state is kept)\n');
  expect(leftovers()).toEqual([]);
});

test('an emptied shard is synthesized without resources, and synth says what its plan does', () => {
  const catalog = parse(readFileSync(path.join(root, 'config', 'sites.yaml'), 'utf8'));
  catalog.sites = catalog.sites.filter((site: { environments?: string[] }) => !site.environments?.includes('test'));
  const file = path.join(work, 'emptied.yaml');
  writeFileSync(file, stringify(catalog));
  const run = synthMain({ SITES_CATALOG: file });
  expect(run.status).toBe(0);
  const shard = JSON.parse(readFileSync(path.join(outdir, 'stacks', 'test-sites-01', 'cdk.tf.json'), 'utf8'));
  expect(shard.resource).toBeUndefined();
  expect(shard.terraform.backend).toEqual({ local: { path: '../../../state/test-sites-01.tfstate' } });
  expect(run.stdout).toContain(
    'test-sites-01: no sites; synthesized empty, so its plan destroys whatever its state still holds; ' +
      'once that is applied, add it to retiredShards in the sites catalog to stop planning it\n',
  );
  expect(leftovers()).toEqual([]);
});
