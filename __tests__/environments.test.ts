import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { parse, stringify } from 'yaml';
import { GuardrailViolationError } from '../lib/aspects';
import { ConfigError, DEFAULT_CONFIG_FILE, environmentPolicies, loadPlatformConfig, parsePlatformConfig, type PlatformConfig } from '../lib/config';
import { pipelineStacks, renderGitlabPipeline, sitesShardsOf } from '../lib/delivery/gitlab-ci';
import { catalogOptionsOf, parseSitesCatalog, type SitesCatalog } from '../lib/sites/catalog';
import { buildPlatform, platformStackNames } from '../stacks';
import { synthPlatform } from './support/synth';

const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');
const catalogText = readFileSync(path.join(__dirname, '..', 'config', 'sites.yaml'), 'utf8');

/** The default config with one change applied, parsed as `platform.yaml`. */
function configWith(change: (raw: any) => void): PlatformConfig {
  const raw = parse(defaultText);
  change(raw);
  return parsePlatformConfig(stringify(raw), 'platform.yaml');
}

/** The problems a config with this change is refused with, one line each. */
function problemsWith(change: (raw: any) => void): string[] {
  try {
    configWith(change);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(String);
    throw err;
  }
  throw new Error('the config was accepted');
}

/** A fourth environment: production's shape, its own address plan, in dc4-a. */
function staging(extra: Record<string, unknown> = {}) {
  return (raw: any) => {
    raw.environments.staging = {
      role: 'sites',
      region: 'dc4-a',
      ...structuredClone(raw.environments.test),
      network: { cidr: '10.40.0.0/16', serversSubnetCidr: '10.40.0.0/24', agentsSubnetCidr: '10.40.16.0/20' },
      ...extra,
    };
  };
}

/** The example catalog with a change, checked against `config`. */
function catalogWith(config: PlatformConfig, change: (raw: any) => void = () => {}): SitesCatalog {
  const raw = parse(catalogText);
  change(raw);
  return parseSitesCatalog(stringify(raw), 'sites.yaml', catalogOptionsOf(config));
}

function catalogProblems(config: PlatformConfig, change: (raw: any) => void): string[] {
  try {
    catalogWith(config, change);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(String);
    throw err;
  }
  throw new Error('the catalog was accepted');
}

describe('environments are data', () => {
  const defaults = loadPlatformConfig({}).config;

  test('the default config: tools watches, production (protected) and test take sites, all in cloud.region', () => {
    expect(environmentPolicies(defaults)).toEqual([
      { name: 'tools', role: 'tools', manualApply: true },
      { name: 'production', role: 'sites', manualApply: true },
      { name: 'test', role: 'sites', manualApply: false },
    ]);
    expect(Object.entries(defaults.environments).map(([name, env]) => [name, env.protected])).toEqual([
      ['tools', false],
      ['production', true],
      ['test', false],
    ]);
    for (const env of Object.values(defaults.environments)) {
      expect(env).toMatchObject({ region: 'dc3-a', authUrl: defaults.cloud.authUrl, s3Endpoint: defaults.cloud.s3Endpoint });
    }
  });

  test('a config written before roles (no role, protected or region) means what the default config spells out', () => {
    const raw = parse(defaultText);
    expect(Object.values<any>(raw.environments).map((env) => env.role)).toEqual(['tools', 'sites', 'sites']);
    const old = configWith((doc) => {
      for (const env of Object.values<any>(doc.environments)) {
        delete env.role;
        delete env.protected;
        delete env.region;
      }
    });
    expect(old).toEqual(defaults);
  });

  describe('a fourth environment, staging in dc4-a', () => {
    const config = configWith(staging());
    const catalog = catalogWith(config, (raw) => {
      raw.previewDomains = { staging: 'staging.webhost.ch' };
      raw.sites[0].environments = ['production', 'staging'];
      raw.sites[0].images = { staging: 'docker.io/nginxinc/nginx-unprivileged:1.29.1-alpine' };
    });
    const { json } = synthPlatform(config, catalog);

    test('gets its cluster, platform and sites stacks, after the others', () => {
      const names = platformStackNames(config, catalog);
      expect(names.slice(0, 8)).toEqual(['tools', 'production', 'test', 'staging', 'tools-platform', 'production-platform', 'test-platform', 'staging-platform']);
      expect(names).toContain('staging-sites-01');
      expect(Object.keys(json)).toEqual(expect.arrayContaining(['staging', 'staging-platform', 'staging-sites-01']));
    });

    test("talks to dc4-a's endpoints, while production stays in dc3-a", () => {
      expect(json.staging.provider.openstack).toEqual([
        expect.objectContaining({ region: 'dc4-a', auth_url: 'https://api.pub2.infomaniak.cloud/identity/v3' }),
      ]);
      expect(json.production.provider.openstack).toEqual([
        expect.objectContaining({ region: 'dc3-a', auth_url: 'https://api.pub1.infomaniak.cloud/identity/v3' }),
      ]);
      // The servers' RKE2 config (etcd snapshots to the region's S3) is in base64 pieces of their user data.
      const text = JSON.stringify(json.staging);
      const pieces = [...text.matchAll(/base64decode\(\\"([A-Za-z0-9+/=]+)\\"\)/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8')).join('\n');
      expect(pieces).toContain('etcd-s3-endpoint: s3.pub2.infomaniak.cloud');
      expect(pieces).toContain('etcd-s3-region: dc4-a');
      expect(`${text}${pieces}`).not.toContain('pub1');
      expect(Object.values<any>(json.staging.resource.openstack_objectstorage_container_v1).map((c) => c.region)).toEqual(['dc4-a']);
    });

    test('keeps its state in the state region (cloud.region), with the other states', () => {
      const s3 = configWith((raw) => {
        staging()(raw);
        raw.state = { backend: 's3', s3: { bucket: 'webhost-state' } };
      });
      const { json: withS3 } = synthPlatform(s3);
      expect(withS3.staging.terraform.backend.s3).toMatchObject({ region: 'dc3-a', endpoints: { s3: 'https://s3.pub1.infomaniak.cloud' } });
      expect(withS3.staging.provider.openstack[0].region).toBe('dc4-a');
    });

    test('serves its sites on its preview domain, with its own image', () => {
      const site = catalog.sites[0];
      const text = JSON.stringify(json['staging-sites-01']);
      expect(text).toContain(`${site.name}.staging.webhost.ch`);
      expect(text).not.toContain(`"${site.hosts[0]}"`);
      expect(text).toContain('nginx-unprivileged:1.29.1-alpine');
      expect(JSON.stringify(json['production-sites-01'])).not.toContain('nginx-unprivileged:1.29.1-alpine');
    });

    test('has a telemetry tenant and password on tools, and reads its password from a variable', () => {
      const outputs = json['tools-platform'].output;
      expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['telemetry_password_production', 'telemetry_password_test', 'telemetry_password_staging']));
      expect(JSON.stringify(json['tools-platform'])).toContain('staging:${random_password.Monitoring_TelemetryPassword-staging');
      expect(json['staging-platform'].variable.telemetry_password.description).toContain("tools-platform's output telemetry_password_staging");
    });

    test("Grafana opens production's metrics by default, and has staging's too", () => {
      const grafana = Object.values<any>(json['tools-platform'].resource.helm_release).find((r) => r.name === 'grafana');
      const sources = parse(grafana.values[0]).datasources['datasources.yaml'].datasources;
      expect(sources.filter((s: any) => s.isDefault).map((s: any) => s.name)).toEqual(['Mimir production']);
      expect(sources.map((s: any) => s.name)).toEqual(expect.arrayContaining(['Mimir staging', 'Loki staging']));
    });

    test('has plan and apply jobs that apply by themselves (not protected), and a sites pipeline', () => {
      const app = new App({ stackTraces: false, outdir: mkdtempSync(path.join(tmpdir(), 'environments-')) });
      buildPlatform(app, config, catalog);
      const environments = environmentPolicies(config);
      const pipeline = parse(renderGitlabPipeline(environments, pipelineStacks(app, environments)));
      expect(pipeline['plan:staging'].script).toEqual(['sh scripts/ci/tofu-stacks.sh plan staging staging-platform']);
      expect(pipeline['apply:staging'].rules).toEqual([{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', when: 'on_success' }]);
      expect(pipeline['sites:staging'].needs).toEqual(['synth', 'apply:staging']);
      const manifest = { stacks: { 'staging-sites-01': { dependencies: ['staging', 'staging-platform'] } } };
      expect(sitesShardsOf(manifest, environments).staging).toEqual(['staging-sites-01']);
      rmSync(app.outdir, { recursive: true, force: true });
    });
  });

  test('a protected environment applies by hand and keeps its backups, like production', () => {
    const config = configWith(staging({ protected: true, backups: { etcdSnapshotSchedule: '0 3 * * *', etcdSnapshotRetention: 7, forceDestroy: false } }));
    const app = new App({ stackTraces: false, outdir: mkdtempSync(path.join(tmpdir(), 'environments-')) });
    buildPlatform(app, config);
    const environments = environmentPolicies(config);
    const pipeline = parse(renderGitlabPipeline(environments, pipelineStacks(app, environments)));
    expect(pipeline['apply:staging'].rules).toEqual([{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', when: 'manual' }]);
    expect(problemsWith(staging({ protected: true, backups: { forceDestroy: true } }))).toEqual([
      expect.stringContaining(
        "environments.staging.backups.forceDestroy: true: staging is protected, and a protected environment's backups are never force-destroyed",
      ),
    ]);
    rmSync(app.outdir, { recursive: true, force: true });
  });

  test("the guardrail keeps a protected environment's containers, whatever built them", () => {
    // The config check refuses forceDestroy on a protected environment; a construct that sets it anyway meets the guardrail.
    const config = configWith(staging({ protected: true, backups: { forceDestroy: false } }));
    const unprotected = configWith(staging({ backups: { forceDestroy: true } }));
    const app = new App({ stackTraces: false, outdir: mkdtempSync(path.join(tmpdir(), 'environments-')) });
    const mixed = { ...config, environments: { ...config.environments, staging: { ...unprotected.environments.staging, protected: true } } };
    expect(() => {
      buildPlatform(app, mixed);
      app.synth();
    }).toThrow(GuardrailViolationError);
    expect(() => synthPlatform(unprotected)).not.toThrow();
    rmSync(app.outdir, { recursive: true, force: true });
  });

  test('without a tools environment the clusters run no telemetry agent and ask for no password', () => {
    const config = configWith((raw) => {
      delete raw.environments.tools;
      delete raw.platformLayer.tenants;
    });
    const { json, stacks } = synthPlatform(config);
    expect(Object.keys(stacks.platform)).toEqual(['production', 'test']);
    expect(stacks.platform.production.telemetry).toBeUndefined();
    expect(json['production-platform'].variable?.telemetry_password).toBeUndefined();
    expect(JSON.stringify(json['production-platform'])).not.toContain('metrics.tools.webhost.ch');
  });

  test.each([
    ['a name with a dash', (raw: any) => (raw.environments['prod-dr'] = raw.environments.test), /environments\.prod-dr: \{.*: not an environment name; use 1 to 12 lower-case letters and digits/],
    ['an upper-case name', (raw: any) => (raw.environments.Staging = raw.environments.test), /environments\.Staging: \{.*: not an environment name/],
    ['a second tools environment', staging({ role: 'tools' }), 'environments.staging.role: "tools": a second tools environment (environments.tools is one)'],
    ['an unknown role', staging({ role: 'web' }), 'environments.staging.role: "web": must be one of tools, sites'],
    ['a region Infomaniak does not have', staging({ region: 'dc9-z' }), 'environments.staging.region: "dc9-z": not an Infomaniak region; use one of dc3-a, dc4-a'],
    [
      'a region outside the guardrails',
      (raw: any) => {
        staging()(raw);
        raw.guardrails.allowedRegions = ['dc3-a'];
      },
      'environments.staging.region: "dc4-a": not among guardrails.allowedRegions (dc3-a)',
    ],
    [
      'a tenant of no environment',
      (raw: any) => (raw.platformLayer.tenants = { ...raw.platformLayer.tenants, staging: 'staging' }),
      'platformLayer.tenants.staging: "staging": not an environment of this config (tools, production, test)',
    ],
    [
      'a new environment whose default tenant is taken',
      (raw: any) => {
        staging()(raw);
        raw.platformLayer.tenants = { ...raw.platformLayer.tenants, test: 'staging' };
      },
      'platformLayer.tenants.staging: (missing): same tenant id as test (staging)',
    ],
    [
      'two environments on one tenant',
      (raw: any) => (raw.platformLayer.tenants.production = 'tools'),
      'platformLayer.tenants.production: "tools": same tenant id as tools (tools); each cluster needs its own tenant',
    ],
    ['no environment at all', (raw: any) => (raw.environments = {}), 'environments: {}: needs at least one environment'],
  ])('refuses %s, naming the field', (_, change, expected: string | RegExp) => {
    expect(problemsWith(change)).toEqual([typeof expected === 'string' ? expect.stringContaining(expected) : expect.stringMatching(expected)]);
  });

  test('counts quotas per region: staging in dc4-a does not eat production’s quota in dc3-a', () => {
    const big = (raw: any) => {
      staging()(raw);
      raw.environments.staging.agentPools[0].count = 40; // 41 nodes in dc4-a, 18 in dc3-a: 59 together, over the quota of 50
    };
    expect(() => configWith(big)).not.toThrow();
    const problems = problemsWith((raw) => {
      big(raw);
      raw.environments.staging.agentPools = [0, 1, 2].map((i) => ({ ...raw.environments.staging.agentPools[0], name: `web${i}`, count: 70 }));
    });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/cloud\.quotas\.instances: .*the nodes of all environments in dc4-a at their largest .* need 211 instances/)]));
    expect(problems.join('\n')).not.toContain('in dc3-a');
  });
});

describe('the sites catalog follows the environments', () => {
  const withStaging = configWith(staging());

  test('a site in a preview environment without a preview domain is refused with the fix', () => {
    expect(catalogProblems(withStaging, (raw) => (raw.sites[0].environments = ['production', 'staging']))).toEqual([
      expect.stringContaining(
        'sites[0].environments[1]: "staging": staging serves each site as <name>.<its preview domain>, and the catalog names none; add previewDomains: { staging: staging.example.ch }',
      ),
    ]);
  });

  test.each([
    ['an environment the config does not have', (raw: any) => (raw.sites[0].environments = ['prod']), 'sites[0].environments[0]: "prod": not a sites environment of the platform config (production, test, staging)'],
    ['a preview domain of a protected environment', (raw: any) => (raw.previewDomains = { production: 'p.webhost.ch' }), 'previewDomains.production: "p.webhost.ch": production is protected'],
    ['a preview domain under test’s', (raw: any) => (raw.previewDomains = { staging: 'staging.test.webhost.ch' }), 'previewDomains.staging: "staging.test.webhost.ch": overlaps testDomain (test.webhost.ch)'],
    [
      'an image for an environment the site does not run in',
      (raw: any) => (raw.sites[0].images = { staging: 'docker.io/nginxinc/nginx-unprivileged:1.29.1-alpine' }),
      'sites[0].images.staging: "docker.io/nginxinc/nginx-unprivileged:1.29.1-alpine": is set but the site does not run on staging',
    ],
    [
      'an unpinned image for an environment',
      (raw: any) => {
        raw.previewDomains = { staging: 'staging.webhost.ch' };
        raw.sites[0].environments = ['production', 'staging'];
        raw.sites[0].images = { staging: 'docker.io/nginxinc/nginx-unprivileged:latest' };
      },
      'sites[0].images.staging: "docker.io/nginxinc/nginx-unprivileged:latest": uses the mutable tag latest',
    ],
    [
      'a host under a preview domain',
      (raw: any) => {
        raw.previewDomains = { staging: 'staging.webhost.ch' };
        raw.sites[0].hosts = ['shop.staging.webhost.ch'];
      },
      'sites[0].hosts[0]: "shop.staging.webhost.ch": is under the staging domain staging.webhost.ch (previewDomains.staging)',
    ],
  ])('refuses %s', (_, change, expected) => {
    expect(catalogProblems(withStaging, change)).toEqual([expect.stringContaining(expected)]);
  });

  test('a second protected environment (disaster recovery) serves every site without a list on its own hosts', () => {
    const config = configWith(staging({ protected: true, backups: { forceDestroy: false } }));
    const catalog = catalogWith(config);
    const unlisted = parse(catalogText).sites.filter((site: any) => site.environments === undefined).length;
    expect(unlisted).toBeGreaterThan(0);
    expect(catalog.sites.filter((site) => site.environments.includes('staging'))).toHaveLength(
      catalog.sites.filter((site) => site.environments.includes('production') && (parse(catalogText).sites.find((s: any) => s.id === site.id).environments === undefined)).length,
    );
    const { json } = synthPlatform(config, catalog);
    const first = catalog.sites.find((site) => site.environments.includes('staging'))!;
    expect(JSON.stringify(json['staging-sites-01'])).toContain(`"${first.hosts[0]}"`);
  });
});
