import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { NetworkingSecgroupV2 } from '../.gen/providers/openstack/networking-secgroup-v2';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import { addGuardrails } from '../lib/aspects';
import { loadPlatformConfig } from '../lib/config';
import { OutputScanError, scanJson, scanSynthesizedOutput, synthesizeAtomically } from '../lib/output';
import { catalogOptionsOf, loadSitesCatalog } from '../lib/sites/catalog';
import { synthPlatform } from './support/synth';

/**
 * The output scan's second net under the config loaders: no expression in the
 * synthesized JSON may call a function that reads the file system of the
 * machine running tofu.
 */
const config = loadPlatformConfig({}).config;
const doc = (value: string) => ({ resource: { openstack_networking_secgroup_v2: { Group: { description: value } } } });
const findings = (value: string) => scanJson(doc(value), 'cdk.tf.json').map((f) => `${f.jsonPath}: ${f.rule}: ${f.problem}`);

describe('expressions that read files', () => {
  test.each([
    ['${file("/etc/passwd")}', 'file'],
    ['prefix ${ templatefile("x.tpl", {}) }', 'templatefile'],
    ['${filebase64("/root/.ssh/id_rsa")}', 'filebase64'],
    ['${core::file("/etc/shadow")}', 'file'],
    ['%{ for f in fileset("/", "**") }${f}%{ endfor }', 'fileset'],
    ['${sha256(filesha256("~/.aws/credentials"))}', 'filesha256'],
    ['${fileexists("/etc/passwd") ? "a" : "b"}', 'fileexists'],
  ])('%s is refused', (value, fn) => {
    expect(findings(value)).toEqual([
      `resource.openstack_networking_secgroup_v2.Group.description: no-file-functions: an expression calls ${fn}(), which reads files of the machine running tofu`,
    ]);
  });

  test.each([
    'read the file(s) in the docs', // no expression at all
    '$${file("/etc/passwd")}', // escaped: the literal text ${file(...)}
    '%%{ for f in fileset("/", "**") }', // escaped directive
    '${var.file_name}',
    '${local.profile(1)}',
    '${base64encode(jsonencode({ file = "x" }))}',
  ])('%s passes', (value) => {
    expect(findings(value)).toEqual([]);
  });
});

describe('secrets hidden as base64 (user data)', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const secretFindings = (value: string) =>
    scanJson({ resource: { openstack_compute_instance_v2: { Node: { user_data: value } } } }, 'cdk.tf.json').map((f) => `${f.rule}: ${f.problem}`);

  test.each([
    ['a node label in the literal part of an expression', `\${base64encode(join("", [base64decode("${b64('node-label:\n  - "password=hunter2"\n')}"), var.x]))}`, 'a literal value for password'],
    ['a setting in an INI file', `\${base64decode("${b64('[Global]\napplication-credential-secret = s3cr3t\n')}")}`, 'a literal value for application-credential-secret'],
    ['a private key in user data written whole as base64', b64('#cloud-config\nwrite_files:\n  - content: "-----BEGIN PRIVATE KEY-----"\n'), 'a PEM private key block'],
  ])('%s is found', (_name, value, what) => {
    expect(secretFindings(value)).toEqual([`no-secret-literals: base64-encoded text in it holds ${what}`]);
  });

  test.each([
    ['a secret setting whose value is a reference', `\${base64decode("${b64('token: ')}")}\${random_password.t.result}`],
    ['a switch named after secrets', `\${base64decode("${b64('secrets-encryption: true\n')}")}`],
    ['plain base64 of plain text', b64('#cloud-config\npackage_update: true\n')],
  ])('%s passes', (_name, value) => {
    expect(secretFindings(value)).toEqual([]);
  });
});

test('the default platform with the example sites calls no such function', () => {
  const catalog = loadSitesCatalog(catalogOptionsOf(config), {}).catalog;
  const { json } = synthPlatform(config, catalog);
  expect(Object.keys(json).length).toBeGreaterThanOrEqual(8);
  expect(Object.entries(json).flatMap(([stack, stackJson]) => scanJson(stackJson, stack))).toEqual([]);
});

test('a synth whose JSON reads a file is refused and leaves no output', () => {
  const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'output-scan-')), 'out');
  const build = (dir: string) => {
    const app = new App({ stackTraces: false, outdir: dir });
    const stack = new TerraformStack(app, 'production');
    new OpenstackProvider(stack, 'openstack', { authUrl: config.cloud.authUrl, region: config.cloud.region });
    new NetworkingSecgroupV2(stack, 'Group', { name: 'g', description: '${file("/etc/passwd")}' });
    addGuardrails(app, config);
    return app;
  };
  expect(() => synthesizeAtomically(build, { outdir })).toThrow(OutputScanError);
  expect(() => synthesizeAtomically(build, { outdir })).toThrow(
    /^the output scan found 1 problem in the synthesized JSON; the previous output was kept:\n {2}.*cdk\.tf\.json: resource\.openstack_networking_secgroup_v2\.Group\.description: no-file-functions: an expression calls file\(\), which reads files of the machine running tofu: /,
  );
  expect(existsSync(outdir)).toBe(false);
});

describe('the data a file was written from', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'output-scan-data-'));
  const file = path.join(dir, 'stacks', 'one', 'cdk.tf.json');
  const secretDoc = { resource: { thing: { a: { password: 'hunter2', note: 'ok' } } } };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(secretDoc));

  it('is walked instead of the file when given', () => {
    // Clean data for the file: nothing found, the file is not read (it would have a finding).
    expect(scanSynthesizedOutput(dir, 'out', new Map([[file, { resource: {} }]]))).toEqual([]);
  });

  it('gives way to the file where it has a finding, so that findings are those of the file', () => {
    const fromFile = scanSynthesizedOutput(dir, 'out');
    expect(fromFile).toEqual([expect.objectContaining({ file: 'out/stacks/one/cdk.tf.json', jsonPath: 'resource.thing.a.password' })]);
    expect(scanSynthesizedOutput(dir, 'out', new Map([[file, { resource: { thing: { a: { password: 'other' } } } }]]))).toEqual(fromFile);
  });
});
