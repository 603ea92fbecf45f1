import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { ConfigError, loadPlatformConfig } from '../lib/config';
import { DEFAULT_SITES_CATALOG_FILE, loadSitesCatalog, parseSitesCatalog } from '../lib/sites/catalog';

/**
 * Every way a catalog entry can be wrong, one change to config/sites.yaml per
 * row, with the exact message: file, field, value, fix.
 */
const options = { allowedRegistries: loadPlatformConfig({}).config.guardrails.allowedRegistries };
const defaultText = readFileSync(DEFAULT_SITES_CATALOG_FILE, 'utf8');

function withChange(change: (catalog: any) => void): string {
  const catalog = parse(defaultText);
  change(catalog);
  return stringify(catalog);
}

function problemsOf(text: string): string[] {
  try {
    parseSitesCatalog(text, 'sites.yaml', options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected the catalog to be rejected');
}

test('the example catalog is accepted, with its defaults applied', () => {
  const catalog = parseSitesCatalog(defaultText, 'sites.yaml', options);
  expect(catalog.sites).toHaveLength(12);
  expect(catalog.sitesPerShard).toBe(200);
  const bakery = catalog.sites[0];
  expect(bakery).toMatchObject({ port: 8080, healthPath: '/', autoscaling: { maxReplicas: 4, cpuTargetPercent: 70 } });
  expect(bakery.resources).toEqual({ cpuMillis: 50, memoryMiB: 64, cpuLimitMillis: 100, memoryLimitMiB: 64 });
  expect(catalog.sites.filter((s) => s.environments.includes('test')).map((s) => s.name)).toEqual([
    'baeckerei-brunner',
    'skischule-arosa',
    'weingut-lavaux',
  ]);
});

test('a site may set the user and group it runs as; without it the Website default (10001) applies', () => {
  const catalog = parseSitesCatalog(
    withChange((c) => (c.sites[0].securityContext = { runAsUser: 101, runAsGroup: 101 })),
    'sites.yaml',
    options,
  );
  expect(catalog.sites[0].securityContext).toEqual({ runAsUser: 101, runAsGroup: 101 });
  expect(catalog.sites[1].securityContext).toBeUndefined();
});

describe('bad entries name the file, the field, the value and the fix', () => {
  test.each<[string, (c: any) => void, string]>([
    [
      'a name that is not a DNS label',
      (c) => (c.sites[0].name = 'Bäckerei_Brunner'),
      'sites.yaml: sites[0].name: "Bäckerei_Brunner": must be lower-case letters, digits and dashes, starting with a letter (a DNS label); rename it',
    ],
    [
      'a duplicate name',
      (c) => (c.sites[3].name = 'baeckerei-brunner'),
      'sites.yaml: sites[3].name: "baeckerei-brunner": already the name of sites[0]; give each site its own name',
    ],
    [
      'a duplicate id',
      (c) => (c.sites[2].id = 2),
      'sites.yaml: sites[2].id: 2: already the id of sites[1]; give this site the next unused id',
    ],
    [
      'an id below 1',
      (c) => (c.sites[0].id = 0),
      'sites.yaml: sites[0].id: 0: must be 1 or more; give a new site the next unused id',
    ],
    [
      'a host served by two sites',
      (c) => (c.sites[4].hosts[1] = 'www.baeckerei-brunner.ch'),
      'sites.yaml: sites[4].hosts[1]: "www.baeckerei-brunner.ch": host www.baeckerei-brunner.ch is already served by sites[0] (baeckerei-brunner); a host belongs to one site',
    ],
    [
      'a host that is not a DNS name',
      (c) => (c.sites[1].hosts[0] = 'https://meier-partner.ch/'),
      'sites.yaml: sites[1].hosts[0]: "https://meier-partner.ch/": not a host name; write it in lower case as www.example.ch (no scheme, port, wildcard or trailing dot)',
    ],
    [
      'no hosts',
      (c) => (c.sites[1].hosts = []),
      'sites.yaml: sites[1].hosts: []: needs at least one host name; add the domain the site is served on',
    ],
    [
      'an image tagged latest',
      (c) => (c.sites[0].image = 'docker.io/nginxinc/nginx-unprivileged:latest'),
      'sites.yaml: sites[0].image: "docker.io/nginxinc/nginx-unprivileged:latest": uses the mutable tag latest; pin a version tag or a digest',
    ],
    [
      'an image without tag or digest',
      (c) => (c.sites[0].image = 'nginxinc/nginx-unprivileged'),
      'sites.yaml: sites[0].image: "nginxinc/nginx-unprivileged": has no tag or digest; pin a version tag or a digest, e.g. docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine',
    ],
    [
      'an image from a registry outside the allow-list',
      (c) => (c.sites[1].image = 'registry.example.com/kanzlei:2.4.1'),
      'sites.yaml: sites[1].image: "registry.example.com/kanzlei:2.4.1": comes from registry.example.com, not an allowed registry; use one of guardrails.allowedRegistries (docker.io, quay.io, ghcr.io, registry.k8s.io) or add it there',
    ],
    [
      'maxReplicas below two',
      (c) => (c.sites[0].autoscaling = { maxReplicas: 1 }),
      'sites.yaml: sites[0].autoscaling.maxReplicas: 1: must be at least 2 (every site runs two instances at least)',
    ],
    [
      'maxReplicas above 50',
      (c) => (c.sites[2].autoscaling.maxReplicas = 80),
      'sites.yaml: sites[2].autoscaling.maxReplicas: 80: must be at most 50; talk to the platform team about a dedicated pool',
    ],
    [
      'a CPU target out of range',
      (c) => (c.sites[2].autoscaling.cpuTargetPercent = 99),
      'sites.yaml: sites[2].autoscaling.cpuTargetPercent: 99: must be between 10 and 95 (percent of the CPU request)',
    ],
    [
      'a privileged port',
      (c) => (c.sites[0].port = 80),
      'sites.yaml: sites[0].port: 80: must be 1024 to 65535: the container runs as a non-root user and cannot bind a privileged port',
    ],
    [
      'missing resources',
      (c) => delete c.sites[0].resources,
      'sites.yaml: sites[0].resources: (missing): required field is missing; add it (object)',
    ],
    [
      'a memory limit below the request',
      (c) => (c.sites[2].resources.memoryLimitMiB = 128),
      'sites.yaml: sites[2].resources.memoryLimitMiB: 128: must be at least memoryMiB (256); raise it or remove it',
    ],
    [
      'fractional CPU',
      (c) => (c.sites[0].resources.cpuMillis = 50.5),
      'sites.yaml: sites[0].resources.cpuMillis: 50.5: must be a whole number',
    ],
    [
      'an unknown environment',
      (c) => (c.sites[0].environments = ['production', 'staging']),
      'sites.yaml: sites[0].environments[1]: "staging": must be one of production, test',
    ],
    [
      'a misspelt field',
      (c) => (c.sites[0].host = ['x.ch']),
      'sites.yaml: sites[0].host: ["x.ch"]: unknown field; remove it or fix its spelling',
    ],
    [
      'running as root',
      (c) => (c.sites[0].securityContext = { runAsUser: 0 }),
      'sites.yaml: sites[0].securityContext.runAsUser: 0: must be 1 to 65534: 0 is root; name the image’s own user (101 for nginx-unprivileged) or leave it out for 10001',
    ],
    [
      'the root group',
      (c) => (c.sites[0].securityContext = { runAsUser: 101, runAsGroup: 0 }),
      'sites.yaml: sites[0].securityContext.runAsGroup: 0: must be 1 to 65534: 0 is root; name the image’s own group (101 for nginx-unprivileged) or leave it out for 10001',
    ],
    [
      'a user id above 65534',
      (c) => (c.sites[2].securityContext = { runAsUser: 100000 }),
      'sites.yaml: sites[2].securityContext.runAsUser: 100000: must be 1 to 65534: larger ids break many images and file systems; name the image’s own user or leave it out for 10001',
    ],
    [
      'a fractional group id',
      (c) => (c.sites[2].securityContext = { runAsGroup: 101.5 }),
      'sites.yaml: sites[2].securityContext.runAsGroup: 101.5: must be a whole number',
    ],
    [
      'a user id as a string',
      (c) => (c.sites[2].securityContext = { runAsUser: '101' }),
      'sites.yaml: sites[2].securityContext.runAsUser: "101": must be number, not string; change its type',
    ],
    [
      'a field Kubernetes has but the catalog does not take',
      (c) => (c.sites[0].securityContext = { runAsUser: 101, privileged: true }),
      'sites.yaml: sites[0].securityContext.privileged: true: unknown field; remove it or fix its spelling',
    ],
    [
      'a test host that collides with a production host',
      (c) => (c.sites[1].hosts[0] = 'baeckerei-brunner.test.webhost.ch'),
      'sites.yaml: sites[1].hosts[0]: "baeckerei-brunner.test.webhost.ch": host baeckerei-brunner.test.webhost.ch is already served by sites[0] (baeckerei-brunner); a host belongs to one site',
    ],
  ])('%s', (_name, change, expected) => {
    expect(problemsOf(withChange(change))).toEqual([expected]);
  });
});

test('YAML syntax errors name the line', () => {
  expect(problemsOf('sites:\n  - id: 1\n    id: 2\n')[0]).toMatch(/^sites\.yaml: line 3 column 5: YAML syntax error: .*; fix the YAML there$/);
});

test('SITES_CATALOG picks the file; a missing one is a ConfigError that says how to fix it', () => {
  expect(loadSitesCatalog(options, { SITES_CATALOG: DEFAULT_SITES_CATALOG_FILE }).catalog.sites).toHaveLength(12);
  expect(() => loadSitesCatalog(options, { SITES_CATALOG: 'nowhere/sites.yaml' })).toThrow(ConfigError);
  expect(() => loadSitesCatalog(options, { SITES_CATALOG: 'nowhere/sites.yaml' })).toThrow(
    'nowhere/sites.yaml: file not found: point SITES_CATALOG at an existing YAML file, or unset it to use config/sites.yaml',
  );
});
