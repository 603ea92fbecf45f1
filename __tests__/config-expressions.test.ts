import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, DEFAULT_CONFIG_FILE, loadPlatformConfig, parsePlatformConfig } from '../lib/config';
import { DEFAULT_SITES_CATALOG_FILE, parseSitesCatalog, validateSitesCatalog } from '../lib/sites/catalog';

/**
 * Every string the platform config and the sites catalog hold ends up in the
 * Terraform JSON, where OpenTofu evaluates `${...}` and `%{...}`. The loaders
 * refuse such strings, in every field and every key, before anything else.
 */
const INJECTION = '${file("/etc/passwd")}';
const platformText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');
const catalogText = readFileSync(DEFAULT_SITES_CATALOG_FILE, 'utf8');
const options = { allowedRegistries: loadPlatformConfig({}).config.guardrails.allowedRegistries };

type Path = (string | number)[];

/** Paths of every string in a value (after the loader applied its defaults: defaulted fields are fields too). */
function stringPaths(value: unknown, at: Path = []): Path[] {
  if (typeof value === 'string') return [at];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringPaths(item, [...at, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) => stringPaths(child, [...at, key]));
  }
  return [];
}

/** Paths of every map of a value, the top level included. */
function mapPaths(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => mapPaths(item, [...at, i]));
  if (value !== null && typeof value === 'object') {
    return [at, ...Object.entries(value).flatMap(([key, child]) => mapPaths(child, [...at, key]))];
  }
  return [];
}

/** Sets `value` at `at` in a parsed YAML document, creating the maps on the way. */
function setAt(doc: any, at: Path, value: unknown): void {
  let node = doc;
  at.slice(0, -1).forEach((key, i) => {
    node[key] ??= typeof at[i + 1] === 'number' ? [] : {};
    node = node[key];
  });
  node[at[at.length - 1]] = value;
}

function show(at: Path): string {
  return at.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${k}`)).join('');
}

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected the file to be refused');
}

const FIX = 'OpenTofu would evaluate it as an expression (file(), templatefile() read files on the machine running plan); remove it: no field takes an expression, every value is plain text';
const platformProblems = (doc: unknown) => problemsOf(() => parsePlatformConfig(stringify(doc), 'platform.yaml'));
const catalogProblems = (doc: unknown) => problemsOf(() => parseSitesCatalog(stringify(doc), 'sites.yaml', options));

describe.each([
  ['platform.yaml', platformText, () => parsePlatformConfig(platformText, 'platform.yaml'), platformProblems],
  ['sites.yaml', catalogText, () => parseSitesCatalog(catalogText, 'sites.yaml', options), catalogProblems],
] as const)('%s', (file, text, loadDefault, problems) => {
  const fields = stringPaths(loadDefault());
  const maps = mapPaths(parse(text));

  test('the walk finds the fields to try', () => {
    expect(fields.length).toBeGreaterThan(file === 'platform.yaml' ? 60 : 50);
  });

  test.each(fields.map((at) => [show(at), at] as const))('an expression in %s is refused, alone', (_shown, at) => {
    const doc = parse(text);
    setAt(doc, [...at], INJECTION);
    expect(problems(doc)).toEqual([`${file}: ${show([...at])}: "\${file(\\"/etc/passwd\\")}": contains \${: ${FIX}`]);
  });

  test.each(maps.map((at) => [show(at) || '(top level)', at] as const))('an expression as a key of %s is refused', (_shown, at) => {
    const doc = parse(text);
    const map = at.reduce<any>((node, key) => node[key], doc);
    map[INJECTION] = 'x';
    expect(problems(doc)).toEqual([
      `${file}: ${show([...at, INJECTION])}: "\${file(\\"/etc/passwd\\")}" (a key): contains \${: ${FIX}`,
    ]);
  });
});

test('%{ directives are refused too, and every finding is listed at once', () => {
  const doc = parse(platformText);
  doc.cloud.imageNameRegex = '%{ for l in fileset("/", "**") }${l}%{ endfor }';
  doc.environments.production.agentPools[0].labels = { role: 'web', [INJECTION]: 'x' };
  doc.environments.production.agentPools[0].taints = ['%{if true}a%{endif}=b:NoSchedule'];
  expect(platformProblems(doc)).toEqual([
    `platform.yaml: cloud.imageNameRegex: "%{ for l in fileset(\\"/\\", \\"**\\") }\${l}%{ endfor }": contains \${ and %{: ${FIX}`,
    `platform.yaml: environments.production.agentPools[0].labels.\${file("/etc/passwd")}: "\${file(\\"/etc/passwd\\")}" (a key): contains \${: ${FIX}`,
    `platform.yaml: environments.production.agentPools[0].taints[0]: "%{if true}a%{endif}=b:NoSchedule": contains %{: ${FIX}`,
  ]);
});

test('a YAML alias does not smuggle an expression past the walk', () => {
  const text = platformText
    .replace('externalNetwork: ext-floating1', `externalNetwork: &tpl '${INJECTION}'`)
    .replace("imageNameRegex: '^Ubuntu 24\\.04 LTS'", 'imageNameRegex: *tpl');
  expect(text).toMatch(/&tpl[^]*\*tpl/);
  expect(problemsOf(() => parsePlatformConfig(text, 'platform.yaml'))).toEqual([
    `platform.yaml: cloud.externalNetwork: "\${file(\\"/etc/passwd\\")}": contains \${: ${FIX}`,
    `platform.yaml: cloud.imageNameRegex: "\${file(\\"/etc/passwd\\")}": contains \${: ${FIX}`,
  ]);
});

test('a value under a secret-looking key is not echoed', () => {
  const doc = parse(platformText);
  doc.state = { s3: { bucket: 'webhost-tofu-state', secretKey: '${var.leaked}' } };
  expect(platformProblems(doc)).toEqual([`platform.yaml: state.s3.secretKey: (hidden: a secret-looking field): contains \${: ${FIX}`]);
});

test('a catalog built in code (validateSitesCatalog) is walked too', () => {
  const raw = parse(catalogText);
  raw.sites[0].image = `ghcr.io/x:${INJECTION}`;
  expect(problemsOf(() => validateSitesCatalog(raw, 'generated', options))).toEqual([
    `generated: sites[0].image: "ghcr.io/x:\${file(\\"/etc/passwd\\")}": contains \${: ${FIX}`,
  ]);
});

test('a dollar or a percent sign alone is still plain text', () => {
  const doc = parse(catalogText);
  doc.sites[0].healthPath = '/price$list/100%';
  expect(parseSitesCatalog(stringify(doc), 'sites.yaml', options).sites[0].healthPath).toBe('/price$list/100%');
});

test('main.ts with such a PLATFORM_CONFIG exits 1 and writes nothing', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'config-expressions-'));
  const evil = path.join(work, 'evil.yaml');
  writeFileSync(evil, platformText.replace('externalNetwork: ext-floating1', `externalNetwork: '${INJECTION}'`));
  const run = spawnSync(path.join(__dirname, '..', 'node_modules', '.bin', 'tsx'), ['main.ts'], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, CDKTF_OUTDIR: path.join(work, 'out'), PLATFORM_CONFIG: evil },
    encoding: 'utf8',
  });
  expect(run.stderr).toContain(`${evil}: cloud.externalNetwork: "\${file(\\"/etc/passwd\\")}": contains \${: `);
  expect(run.status).toBe(1);
  expect(spawnSync('ls', ['-A', work], { encoding: 'utf8' }).stdout.trim()).toBe('evil.yaml');
});
