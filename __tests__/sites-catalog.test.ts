import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, loadPlatformConfig, parsePlatformConfig, DEFAULT_CONFIG_FILE } from '../lib/config';
import { catalogOptionsOf, DEFAULT_SITES_CATALOG_FILE, loadSitesCatalog, parseSitesCatalog } from '../lib/sites/catalog';
import { synthPlatform } from './support/synth';

/**
 * Every way a catalog entry can be wrong, one change to config/sites.yaml per
 * row, with the exact message: file, field, value, fix.
 */
const options = catalogOptionsOf(loadPlatformConfig({}).config);
const defaultText = readFileSync(DEFAULT_SITES_CATALOG_FILE, 'utf8');

function withChange(change: (catalog: any) => void): string {
  const catalog = parse(defaultText);
  change(catalog);
  return stringify(catalog);
}

const UNDER_TEST_DOMAIN =
  'is under the test domain test.webhost.ch (testDomain), where the platform names each test site <name>.test.webhost.ch itself; list production hosts only';
const IN_PLATFORM_DOMAIN =
  "is in webhost.ch, the platform's own domain (platformLayer.tools.grafanaHost is grafana.tools.webhost.ch): a site there could set cookies for the platform's hosts and hold certificates in its name; serve the site on a domain of its own";
const EXPRESSION_FIX =
  'OpenTofu would evaluate it as an expression (file(), templatefile() read files on the machine running plan); remove it: no field takes an expression, every value is plain text';

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
  expect(catalog.highestSiteIdEver).toBe(12);
  expect(catalog.retiredShards).toEqual([]);
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

describe('a test image of its own', () => {
  const released = 'docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine';
  const candidate = 'docker.io/nginxinc/nginx-unprivileged:1.29.1-alpine';
  /** The container images of every deployment of a synthesized stack. */
  const imagesIn = (stack: any): string[] =>
    Object.values<any>(stack.resource?.kubernetes_deployment_v1 ?? {}).flatMap((d) => d.spec.template.spec.container.map((c: any) => c.image));

  test('runs on test only; production keeps image, and a site without one runs image on both', () => {
    const catalog = parseSitesCatalog(withChange((c) => (c.sites[0].testImage = candidate)), 'sites.yaml', options);
    expect(catalog.sites[0]).toMatchObject({ image: released, testImage: candidate });
    const { json } = synthPlatform(loadPlatformConfig({}).config, catalog);
    const deploymentOf = (stack: string, site: string) =>
      Object.values<any>(json[stack].resource.kubernetes_deployment_v1).filter((d) => d.metadata.namespace === `site-${site}`);
    expect(deploymentOf('test-sites-01', 'baeckerei-brunner').map((d) => d.spec.template.spec.container[0].image)).toEqual([candidate]);
    expect(deploymentOf('production-sites-01', 'baeckerei-brunner').map((d) => d.spec.template.spec.container[0].image)).toEqual([released]);
    // The candidate is nowhere else: not in production, not in any other site's deployment.
    expect(JSON.stringify(json['production-sites-01'])).not.toContain(candidate);
    expect(imagesIn(json['test-sites-01']).filter((image) => image === candidate)).toHaveLength(1);
    // The other test sites run their one image.
    const skischule = catalog.sites.find((site) => site.name === 'skischule-arosa')!;
    expect(skischule.testImage).toBeUndefined();
    expect(deploymentOf('test-sites-01', 'skischule-arosa').map((d) => d.spec.template.spec.container[0].image)).toEqual([skischule.image]);
  });
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
      'a test image tagged latest',
      (c) => (c.sites[0].testImage = 'docker.io/nginxinc/nginx-unprivileged:latest'),
      'sites.yaml: sites[0].testImage: "docker.io/nginxinc/nginx-unprivileged:latest": uses the mutable tag latest; pin a version tag or a digest',
    ],
    [
      'a test image without tag or digest',
      (c) => (c.sites[0].testImage = 'nginxinc/nginx-unprivileged'),
      'sites.yaml: sites[0].testImage: "nginxinc/nginx-unprivileged": has no tag or digest; pin a version tag or a digest, e.g. docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine',
    ],
    [
      'a test image from a registry outside the allow-list',
      (c) => (c.sites[0].testImage = 'registry.example.com/bakery:1.0.0'),
      'sites.yaml: sites[0].testImage: "registry.example.com/bakery:1.0.0": comes from registry.example.com, not an allowed registry; use one of guardrails.allowedRegistries (docker.io, quay.io, ghcr.io, registry.k8s.io) or add it there',
    ],
    [
      'a test image with a malformed digest',
      (c) => (c.sites[0].testImage = 'docker.io/nginxinc/nginx-unprivileged@sha256:abc'),
      'sites.yaml: sites[0].testImage: "docker.io/nginxinc/nginx-unprivileged@sha256:abc": has a malformed digest; write @sha256: followed by 64 hex digits',
    ],
    [
      'an empty test image',
      (c) => (c.sites[0].testImage = ''),
      'sites.yaml: sites[0].testImage: "": is empty; must name a container image, or be left out to run image on test too',
    ],
    [
      'a test image on a site that does not run on test',
      (c) => (c.sites[1].testImage = 'ghcr.io/alpenweb-agentur/kanzlei-meier-partner:2.5.0'),
      'sites.yaml: sites[1].testImage: "ghcr.io/alpenweb-agentur/kanzlei-meier-partner:2.5.0": is set but the site does not run on test (environments: production); add test to environments, or remove testImage',
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
      'sites.yaml: sites[0].environments[1]: "staging": not a sites environment of the platform config (production, test); list one of them',
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
      `sites.yaml: sites[1].hosts[0]: "baeckerei-brunner.test.webhost.ch": ${UNDER_TEST_DOMAIN}`,
    ],
    // hosts the platform keeps, and domains that belong to one site
    [
      'a host of the platform',
      (c) => (c.sites[2].hosts[1] = 'grafana.tools.webhost.ch'),
      'sites.yaml: sites[2].hosts[1]: "grafana.tools.webhost.ch": host grafana.tools.webhost.ch is reserved for the platform (platformLayer.tools.grafanaHost of the platform config); serve the site on a domain of its own',
    ],
    [
      'a host under the test domain',
      (c) => (c.sites[3].hosts[1] = 'shop.test.webhost.ch'),
      `sites.yaml: sites[3].hosts[1]: "shop.test.webhost.ch": ${UNDER_TEST_DOMAIN}`,
    ],
    [
      'the test domain itself',
      (c) => (c.sites[3].hosts[1] = 'test.webhost.ch'),
      `sites.yaml: sites[3].hosts[1]: "test.webhost.ch": ${UNDER_TEST_DOMAIN}`,
    ],
    [
      "a host in the platform's own domain",
      (c) => (c.sites[5].hosts[0] = 'www.webhost.ch'),
      `sites.yaml: sites[5].hosts[0]: "www.webhost.ch": ${IN_PLATFORM_DOMAIN}`,
    ],
    [
      "a host in another site's domain",
      (c) => (c.sites[4].hosts[1] = 'shop.baeckerei-brunner.ch'),
      'sites.yaml: sites[4].hosts[1]: "shop.baeckerei-brunner.ch": is in baeckerei-brunner.ch, the domain of sites[0] (baeckerei-brunner, id 1, the oldest site in it); a domain belongs to one site: add the host to that site, or use a domain of this site\'s own',
    ],
    [
      "an older site's domain claimed by a new site listed first",
      (c) => {
        c.sites.unshift({ ...c.sites[6], id: 13, name: 'weingut-neu', hosts: ['weingut-lavaux.ch'] });
        c.highestSiteIdEver = 13;
      },
      'sites.yaml: sites[0].hosts[0]: "weingut-lavaux.ch": host weingut-lavaux.ch is already served by sites[7] (weingut-lavaux); a host belongs to one site',
    ],
    [
      'a public suffix',
      (c) => (c.sites[5].hosts[1] = 'co.uk'),
      'sites.yaml: sites[5].hosts[1]: "co.uk": is a public suffix (co.uk), under which anyone registers names and no one owns it; list the site\'s own domain, such as example.co.uk',
    ],
    [
      'a private public suffix',
      (c) => (c.sites[5].hosts[1] = 'github.io'),
      'sites.yaml: sites[5].hosts[1]: "github.io": is a public suffix (github.io), under which anyone registers names and no one owns it; list the site\'s own domain, such as example.github.io',
    ],
    [
      'an unknown top-level domain',
      (c) => (c.sites[5].hosts[1] = 'schreinerei-vogt.local'),
      'sites.yaml: sites[5].hosts[1]: "schreinerei-vogt.local": .local is no top-level domain of the public suffix list, so no certificate can be issued; check the spelling',
    ],
    [
      'a test host that is a host of the platform',
      (c) => {
        c.testDomain = 'tools.webhost.ch';
        c.sites[0].name = 'grafana';
      },
      'sites.yaml: sites[0].name: "grafana": its test host grafana.tools.webhost.ch is reserved for the platform (platformLayer.tools.grafanaHost of the platform config); rename the site or change testDomain',
    ],
    [
      'a test domain that is a public suffix',
      (c) => (c.testDomain = 'github.io'),
      'sites.yaml: testDomain: "github.io": is a public suffix (github.io), under which anyone registers names and no one owns it; use a domain of the platform\'s own, such as test.example.github.io',
    ],
    [
      'an expression in an image tag',
      (c) => (c.sites[0].image = 'ghcr.io/x:${file("/etc/passwd")}'),
      `sites.yaml: sites[0].image: "ghcr.io/x:\${file(\\"/etc/passwd\\")}": contains \${: ${EXPRESSION_FIX}`,
    ],
    // the shards: every one that may hold resources stays synthesized until retired
    [
      'no highestSiteIdEver (a catalog from before it)',
      (c) => delete c.highestSiteIdEver,
      'sites.yaml: highestSiteIdEver: (missing): required: the highest id ever given to a site, removed sites included (12 or more here), ' +
        'so that a shard whose sites are all removed is still synthesized and its plan destroys them; add highestSiteIdEver: 12, ' +
        'or the id of the last site removed if that was higher',
    ],
    [
      'highestSiteIdEver below a site\'s id',
      (c) => (c.highestSiteIdEver = 10),
      'sites.yaml: highestSiteIdEver: 10: lower than the id of sites[11] (treuhand-sutter, id 12); set it to 12 or more: it is the ' +
        'highest id ever given and is only ever raised (lowering it would drop the stacks of shards above it while their states still hold sites)',
    ],
    [
      'a new site above highestSiteIdEver',
      (c) => c.sites.push({ ...c.sites[3], id: 13, name: 'neu', hosts: ['neu.ch'] }),
      'sites.yaml: highestSiteIdEver: 12: lower than the id of sites[12] (neu, id 13); set it to 13 or more: it is the ' +
        'highest id ever given and is only ever raised (lowering it would drop the stacks of shards above it while their states still hold sites)',
    ],
    [
      'a negative highestSiteIdEver',
      (c) => (c.highestSiteIdEver = -1),
      'sites.yaml: highestSiteIdEver: -1: must be 0 or more: the highest id ever given to a site (0 before the first)',
    ],
    [
      'a retired shard that still holds sites',
      (c) => (c.retiredShards = ['test-sites-01']),
      'sites.yaml: retiredShards[0]: "test-sites-01": still holds sites[0] (baeckerei-brunner, id 1), sites[2] (skischule-arosa, id 3), sites[6] (weingut-lavaux, id 7); ' +
        'retire a shard only once it has no site and its empty plan has been applied: remove its sites (or their environment) first and apply, ' +
        'or remove this entry to synthesize the shard again',
    ],
    [
      'a retired shard that never existed',
      (c) => (c.retiredShards = ['production-sites-02']),
      'sites.yaml: retiredShards[0]: "production-sites-02": never existed: ids up to highestSiteIdEver (12) fill shards 01 to 01 at 200 sites per shard; check the name, or remove the entry',
    ],
    [
      'a retired shard that is no sites stack',
      (c) => (c.retiredShards = ['production-sites-1']),
      'sites.yaml: retiredShards[0]: "production-sites-1": not the name of a sites stack; write <environment>-sites-NN as synth names it (production-sites-01, test-sites-01)',
    ],
    [
      'a retired shard listed twice',
      (c) => {
        c.highestSiteIdEver = 450;
        c.retiredShards = ['production-sites-02', 'production-sites-02'];
      },
      'sites.yaml: retiredShards[1]: "production-sites-02": already listed at retiredShards[0]; list each shard once',
    ],
    [
      'a template directive in the test domain',
      (c) => (c.testDomain = '%{ for d in ["a"] }${d}%{ endfor }.ch'),
      `sites.yaml: testDomain: "%{ for d in [\\"a\\"] }\${d}%{ endfor }.ch": contains \${ and %{: ${EXPRESSION_FIX}`,
    ],
    // bounds, plain messages, every problem in one run
    [
      'a site with 2,000 hosts',
      (c) => (c.sites[0].hosts = Array.from({ length: 2000 }, (_, i) => `h${i}.baeckerei-brunner.ch`)),
      'sites.yaml: sites[0].hosts: ["h0.baeckerei-brunner.ch","h1.baeckerei-brunner.ch","h2....: has 2,000 hosts; a site takes at most 100, the most names Let’s Encrypt puts on one certificate (each site gets one)',
    ],
    [
      'an image tag of 200 characters',
      (c) => (c.sites[0].image = `docker.io/nginxinc/nginx-unprivileged:${'1'.repeat(200)}`),
      `sites.yaml: sites[0].image: "docker.io/nginxinc/nginx-unprivileged:${'1'.repeat(18)}...: its tag is 200 characters; a tag has at most 128 (the OCI distribution spec): pin a shorter tag or a digest`,
    ],
    [
      'an image tag of 10,000 characters',
      (c) => (c.sites[0].image = `docker.io/nginxinc/nginx-unprivileged:${'1'.repeat(10000)}`),
      `sites.yaml: sites[0].image: "docker.io/nginxinc/nginx-unprivileged:${'1'.repeat(18)}...: is 10,038 characters long; no field takes more than 1,024: shorten it`,
    ],
    [
      'a health path of 10,000 characters',
      (c) => (c.sites[0].healthPath = `/${'h'.repeat(9999)}`),
      `sites.yaml: sites[0].healthPath: "/${'h'.repeat(55)}...: is 10,000 characters long; no field takes more than 1,024: shorten it`,
    ],
    [
      'an internationalized host',
      (c) => (c.sites[0].hosts[0] = 'bäckerei-brunner.ch'),
      'sites.yaml: sites[0].hosts[0]: "bäckerei-brunner.ch": an internationalized domain name; write it in punycode, the form DNS and certificates carry: xn--bckerei-brunner-0kb.ch',
    ],
    [
      'an internationalized test domain',
      (c) => (c.testDomain = 'test.bäckerei.ch'),
      'sites.yaml: testDomain: "test.bäckerei.ch": an internationalized domain name; write it in punycode, the form DNS and certificates carry: test.xn--bckerei-5wa.ch',
    ],
    [
      'an empty host',
      (c) => (c.sites[1].hosts[0] = ''),
      'sites.yaml: sites[1].hosts[0]: "": is empty; not a host name; write it in lower case as www.example.ch (no scheme, port, wildcard or trailing dot)',
    ],
    [
      'a secret in a health path',
      (c) => (c.sites[2].healthPath = '/healthz?token=AKIAABCDEFGHIJKLMNOP'),
      "sites.yaml: sites[2].healthPath: (hidden: looks like a secret): looks like a secret (an AWS-style access key id): the config reaches the nodes' user data, their labels and the synthesized JSON, where base64 hides it from the output scan; keep secrets out of the config: the stacks generate their own, credentials come from the environment",
    ],
  ])('%s', (_name, change, expected) => {
    expect(problemsOf(withChange(change))).toEqual([expected]);
  });
});

test('every problem is reported in one run: a bad entry does not hide the cross-site rules', () => {
  expect(
    problemsOf(
      withChange((c) => {
        c.sites[0].port = 'http';
        c.sites[4].hosts[1] = 'www.baeckerei-brunner.ch';
        c.extra = 1;
      }),
    ),
  ).toEqual([
    'sites.yaml: sites[0].port: "http": must be number, not string; change its type',
    'sites.yaml: extra: 1: unknown field; remove it or fix its spelling',
    'sites.yaml: sites[4].hosts[1]: "www.baeckerei-brunner.ch": host www.baeckerei-brunner.ch is already served by sites[0] (baeckerei-brunner); a host belongs to one site',
  ]);
});

describe('bad catalog files', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'bad-catalog-'));
  const problemsOfFile = (content: string | Buffer): string[] => {
    const file = path.join(work, 'sites.yaml');
    writeFileSync(file, content);
    try {
      loadSitesCatalog(options, { SITES_CATALOG: file });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems.map((p) => p.replace(file, 'sites.yaml'));
    }
    throw new Error('expected the file to be refused');
  };
  test.each<[string, string | Buffer, string]>([
    ['an empty file', '', 'sites.yaml: the file is empty (no YAML document, or only comments); start from config/sites.yaml, the example catalog'],
    [
      'a Windows-1252 byte',
      Buffer.concat([Buffer.from('sites:\n  - id: 1\n    name: caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
      'sites.yaml: line 3 column 14: byte 0xE9 is not UTF-8 (in Latin-1 or Windows-1252 it is "é"); save the file as UTF-8',
    ],
    [
      'an id beyond 2^53',
      defaultText.replace('id: 1\n', 'id: 18446744073709551617\n'),
      'sites.yaml: sites[0].id: 18446744073709551617: is beyond 2^53 (9007199254740992), where numbers lose their exact value; no field takes a number this large',
    ],
  ])('%s', (_name, content, message) => {
    expect(problemsOfFile(content)).toEqual([message]);
  });
});

test('registrable domains come from the public suffix list, private section included', () => {
  const catalog = parseSitesCatalog(
    withChange((c) => {
      c.sites[0].hosts = ['alice.github.io'];
      c.sites[1].hosts = ['bob.github.io', 'www.bob.github.io'];
      c.sites[2].hosts = ['skischule-arosa.co.uk', 'booking.skischule-arosa.co.uk'];
    }),
    'sites.yaml',
    options,
  );
  expect(catalog.sites.slice(0, 3).map((s) => s.hosts)).toEqual([
    ['alice.github.io'],
    ['bob.github.io', 'www.bob.github.io'],
    ['skischule-arosa.co.uk', 'booking.skischule-arosa.co.uk'],
  ]);
});

test("the reserved hosts are the platform config's, with their domain", () => {
  const platform = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  platform.platformLayer.tools = { grafanaHost: 'grafana.ops.agentur.ch', metricsHost: 'metrics.ops.agentur.ch', logsHost: 'logs.ops.agentur.ch' };
  const agency = catalogOptionsOf(parsePlatformConfig(stringify(platform), 'platform.yaml'));
  const problems = (change: (c: any) => void) => {
    try {
      parseSitesCatalog(withChange(change), 'sites.yaml', agency);
    } catch (err) {
      return (err as ConfigError).problems;
    }
    return [];
  };
  expect(problems((c) => (c.sites[0].hosts[1] = 'logs.ops.agentur.ch'))).toEqual([
    'sites.yaml: sites[0].hosts[1]: "logs.ops.agentur.ch": host logs.ops.agentur.ch is reserved for the platform (platformLayer.tools.logsHost of the platform config); serve the site on a domain of its own',
  ]);
  expect(problems((c) => (c.sites[0].hosts[1] = 'shop.agentur.ch'))).toEqual([
    "sites.yaml: sites[0].hosts[1]: \"shop.agentur.ch\": is in agentur.ch, the platform's own domain (platformLayer.tools.grafanaHost is grafana.ops.agentur.ch): a site there could set cookies for the platform's hosts and hold certificates in its name; serve the site on a domain of its own",
  ]);
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
