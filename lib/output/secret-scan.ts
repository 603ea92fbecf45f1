import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isSecretAttributeName } from '../aspects/no-secret-literals';

/** A secret found in a synthesized file. */
export interface OutputFinding {
  /** The file, as displayed (e.g. `cdktf.out/stacks/production/cdk.tf.json`). */
  readonly file: string;
  /** JSON path of the value, e.g. `resource.openstack_compute_instance_v2.Server.user_data`. */
  readonly jsonPath: string;
  readonly rule: string;
  readonly problem: string;
  readonly fix: string;
}

export const OUTPUT_SCAN_RULE = 'no-secret-literals';

/** Contents that are secrets wherever they appear. */
const SECRET_PATTERNS: readonly { readonly pattern: RegExp; readonly what: string; readonly fix: string }[] = [
  {
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/,
    what: 'a PEM private key block',
    fix: 'generate the key with tls_private_key and reference it, never paste it',
  },
  {
    pattern: /K10[0-9a-f]{32,}::/,
    what: 'an RKE2/K3s cluster token',
    fix: 'generate the token with random_password and reference it',
  },
  {
    pattern: /AKIA[0-9A-Z]{16}/,
    what: 'an AWS-style access key id',
    fix: 'create S3 credentials with openstack_identity_ec2_credential_v3 and reference them',
  },
];

/**
 * What secret a text holds, by its content alone (a PEM private key, an
 * RKE2/K3s token, an AWS-style access key id), or undefined. The config
 * loaders refuse such values before they reach user data or labels, where the
 * output scan sees them only base64-encoded.
 */
export function secretContentIn(value: string): string | undefined {
  return SECRET_PATTERNS.find(({ pattern }) => pattern.test(value))?.what;
}

/** Rule of the second finding kind: expressions that read the file system of the machine running tofu. */
export const FILE_FUNCTIONS_RULE = 'no-file-functions';

/**
 * OpenTofu's functions that read files where tofu runs (the "Filesystem
 * Functions" less the path-only ones: abspath, dirname, basename, pathexpand).
 * Nothing in the platform calls them; an expression that does was smuggled in,
 * and would hand a file of the CI runner or an operator's laptop to a resource.
 */
export const FILE_FUNCTIONS = [
  'file',
  'fileexists',
  'fileset',
  'filebase64',
  'filebase64sha256',
  'filebase64sha512',
  'filemd5',
  'filesha1',
  'filesha256',
  'filesha512',
  'templatefile',
] as const;

/** A call of one of them (also as `core::file(...)`), not a member such as `local.file(`. */
const FILE_FUNCTION_CALL = new RegExp(`(?<![\\w.])(?:core::)?(${FILE_FUNCTIONS.join('|')})\\s*\\(`);

/** The file-reading function a Terraform string's expressions call, if any; escaped `$${` and `%%{` are text. */
export function fileFunctionCalled(value: string): string | undefined {
  // Most strings hold no expression at all: no copy made for them.
  if (!value.includes('${') && !value.includes('%{')) return undefined;
  const unescaped = value.replace(/\$\$\{|%%\{/g, '');
  if (!unescaped.includes('${') && !unescaped.includes('%{')) return undefined;
  return FILE_FUNCTION_CALL.exec(unescaped)?.[1];
}

/** `output: file: jsonPath: rule: problem: fix`, one line. */
export function formatOutputFinding(f: OutputFinding): string {
  return `${f.file}: ${f.jsonPath}: ${f.rule}: ${f.problem}: ${f.fix}`;
}

/** Thrown when the synthesized output holds secrets or reads files; the previous output is kept. */
export class OutputScanError extends Error {
  constructor(readonly findings: readonly OutputFinding[]) {
    const n = findings.length;
    super(
      `the output scan found ${n} problem${n === 1 ? '' : 's'} in the synthesized JSON; the previous output was kept:\n  ` +
        findings.map(formatOutputFinding).join('\n  '),
    );
    this.name = 'OutputScanError';
  }
}

/**
 * Scans every `stacks/<stack>/cdk.tf.json` below `outdir` for secrets (PEM
 * private keys, RKE2/K3s tokens, AWS-style access keys, and keys named like a
 * secret whose value is a non-empty literal, no `${`) and for expressions that
 * call a function reading files ({@link FILE_FUNCTIONS}). Files are shown
 * under `displayDir` (default: `outdir`).
 *
 * `written` (absolute file path to the JSON data the file was written from,
 * in this process, just before) spares parsing a file: its data is walked
 * instead. Where that finds anything, the file itself is read and scanned,
 * so that findings and their order are those of the file as written.
 */
export function scanSynthesizedOutput(outdir: string, displayDir: string = outdir, written?: ReadonlyMap<string, unknown>): OutputFinding[] {
  const stacksDir = path.join(outdir, 'stacks');
  if (!existsSync(stacksDir)) return [];
  const findings: OutputFinding[] = [];
  for (const stack of readdirSync(stacksDir).sort()) {
    const file = path.join(stacksDir, stack, 'cdk.tf.json');
    if (!existsSync(file)) continue;
    const shown = path.join(displayDir, 'stacks', stack, 'cdk.tf.json');
    const data = written?.get(path.resolve(file));
    if (data !== undefined && scanJson(data, shown).length === 0) continue;
    findings.push(...scanJson(JSON.parse(readFileSync(file, 'utf8')), shown));
  }
  return findings;
}

/** A literal `base64decode("...")` argument, as cdktf writes the literal parts of user data. */
const BASE64_LITERAL = /base64decode\("([A-Za-z0-9+/]+={0,2})"\)/g;
/** A whole value that is base64 (user data written as one literal). */
const BASE64_VALUE = /^[A-Za-z0-9+/]{16,}={0,2}$/;

/**
 * The texts hidden as base64 in a Terraform string: the literal arguments of
 * `base64decode(...)` and a value that is base64 as a whole. User data is
 * base64, so a secret that came in through the config (a pool label) would
 * pass a scan of the JSON text alone.
 */
export function base64TextsIn(value: string): string[] {
  const texts = value.includes('base64decode("') ? [...value.matchAll(BASE64_LITERAL)].map((m) => m[1]) : [];
  if (BASE64_VALUE.test(value) && value.length % 4 === 0) texts.push(value);
  return texts.map((text) => Buffer.from(text, 'base64').toString('utf8'));
}

/** `name: value`, `name = value` or `name=value` on a line of decoded text (YAML, INI, a node label). */
const DECODED_ASSIGNMENT = /^[\s-]*["']?([A-Za-z0-9_./-]+)["']?\s*(?:=|:\s)\s*["']?([^"'\s].*?)["']?\s*$/;

/** What secret decoded text holds: a secret by its content, or a secret-named setting with a literal value. */
function secretInDecodedText(text: string): string | undefined {
  const content = SECRET_PATTERNS.find(({ pattern }) => pattern.test(text))?.what;
  if (content !== undefined) return content;
  for (const line of text.split('\n')) {
    const match = DECODED_ASSIGNMENT.exec(line);
    if (!match) continue;
    const [, key, value] = match;
    if (/^(true|false|null|~|\d+)$/i.test(value)) continue; // a setting about secrets (secrets-encryption: true), not one
    if (isSecretAttributeName(key.replace(/[-./]/g, '_').toLowerCase())) return `a literal value for ${key}`;
  }
  return undefined;
}

/** Scans one synthesized JSON document. */
export function scanJson(doc: unknown, file: string): OutputFinding[] {
  const findings: OutputFinding[] = [];
  // The key path of the value visited, one entry per object level (`name[0][1]` for list entries):
  // the walk's own, changed as it goes; joined only for a finding.
  const keys: string[] = [];
  const visitString = (value: string): void => {
    for (const { pattern, what, fix } of SECRET_PATTERNS) {
      if (pattern.test(value)) findings.push({ file, jsonPath: keys.join('.'), rule: OUTPUT_SCAN_RULE, problem: `contains ${what}`, fix });
    }
    const called = fileFunctionCalled(value);
    if (called !== undefined) {
      findings.push({
        file,
        jsonPath: keys.join('.'),
        rule: FILE_FUNCTIONS_RULE,
        problem: `an expression calls ${called}(), which reads files of the machine running tofu`,
        fix: 'pass the content as a resource attribute, a variable or a config value; never read files at plan',
      });
    }
    for (const decoded of base64TextsIn(value)) {
      const what = secretInDecodedText(decoded);
      if (what !== undefined) {
        findings.push({
          file,
          jsonPath: keys.join('.'),
          rule: OUTPUT_SCAN_RULE,
          problem: `base64-encoded text in it holds ${what}`,
          fix: 'keep secrets out of the config and the code (user data is base64): generate them (random_password, tls_private_key) or pass them as sensitive variables',
        });
        break;
      }
    }
    if (value === '' || value.includes('${')) return;
    const last = keys[keys.length - 1] ?? '';
    const key = last.endsWith(']') ? last.replace(/(\[\d+\])+$/, '') : last;
    if (isSecretAttributeName(key)) {
      findings.push({
        file,
        jsonPath: keys.join('.'),
        rule: OUTPUT_SCAN_RULE,
        problem: 'a key named like a secret holds a literal',
        fix: 'take it from a resource (random_password, tls_private_key), a sensitive variable or the environment',
      });
    }
  };
  const visit = (value: unknown): void => {
    if (typeof value === 'string') visitString(value);
    else if (Array.isArray(value)) {
      // A list entry is its key with the index appended (a list at the top: the index alone).
      const top = keys.length === 0;
      if (top) keys.push('');
      const at = keys.length - 1;
      const key = keys[at];
      for (let index = 0; index < value.length; index++) {
        keys[at] = `${key}[${index}]`;
        visit(value[index]);
      }
      keys[at] = key;
      if (top) keys.pop();
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        if (key === '//') continue;
        keys.push(key);
        visit((value as Record<string, unknown>)[key]);
        keys.pop();
      }
    }
  };
  visit(doc);
  return findings;
}
