import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadPlatformConfig } from '../lib/config';
import { catalogOptionsOf, loadSitesCatalog } from '../lib/sites/catalog';
import {
  checkAgainstSchema,
  checkAgainstSchemas,
  emptyCoverage,
  providerOf,
  type ProviderSchemaDocument,
} from '../lib/verify/provider-schema';
import { sharedPath, sharedStatus, testWithShared } from './support/shared';
import { synthPlatform } from './support/synth';

const readSchema = (file: string): ProviderSchemaDocument => JSON.parse(readFileSync(file, 'utf8'));
const repo = path.join(__dirname, '..');

/**
 * The schema of each provider the stacks use, at the version they pin. The
 * project's own: the OpenStack provider (trimmed, the one the bindings are
 * generated from) and OpenTofu's built-in provider (terraform_data,
 * terraform_remote_state), both written by our pinned OpenTofu (npm run
 * schema, scripts/builtin-schema.sh). The others are the genuine schemas in
 * ../shared/schemas/, never copied into the project.
 */
const PROJECT_SCHEMAS = {
  openstack: path.join(repo, 'providers', 'openstack', 'schema.json'),
  terraform: path.join(repo, 'providers', 'terraform', 'schema.json'),
};
const SHARED_SCHEMAS = {
  tls: sharedPath('schemas', 'tls-4.1.0.json'),
  random: sharedPath('schemas', 'random-3.7.2.json'),
  kubernetes: sharedPath('schemas', 'kubernetes-2.38.0.json'),
  helm: sharedPath('schemas', 'helm-3.1.1.json'),
};

/** The version a schema file is of: its provider_versions entry, else the version in its name (tls-4.1.0.json). */
function versionOf(file: string, schema: ProviderSchemaDocument & { provider_versions?: Record<string, string> }): string | undefined {
  return Object.values(schema.provider_versions ?? {})[0] ?? /-(\d+\.\d+\.\d+)\.json$/.exec(file)?.[1];
}

describe('every resource and data source of every synthesized stack conforms to its provider schema', () => {
  const withSchemas = testWithShared(Object.values(SHARED_SCHEMAS));
  const config = loadPlatformConfig({}).config;
  // The example catalog, so the sites stacks are checked too.
  const catalog = loadSitesCatalog(catalogOptionsOf(config), {}).catalog;
  const { json } = synthPlatform(config, catalog);
  const stacks = Object.keys(json).sort();
  const schemas = () =>
    Object.fromEntries(Object.entries({ ...PROJECT_SCHEMAS, ...SHARED_SCHEMAS }).map(([provider, file]) => [provider, readSchema(file)]));

  test('the app synthesizes the cluster, platform and sites stacks', () => {
    expect(stacks).toEqual(['production', 'production-platform', 'production-sites-01', 'test', 'test-platform', 'test-sites-01', 'tools', 'tools-platform']);
  });

  withSchemas('each stack pins the version of the schema it is checked against', () => {
    const files: Record<string, string> = { ...PROJECT_SCHEMAS, ...SHARED_SCHEMAS };
    for (const stack of stacks) {
      for (const [provider, { version }] of Object.entries<{ version: string }>(json[stack].terraform.required_providers)) {
        expect([stack, provider, version]).toEqual([stack, provider, versionOf(files[provider], readSchema(files[provider]))]);
      }
    }
  });

  withSchemas.each(stacks)('%s', (stack) => {
    expect(checkAgainstSchemas(json[stack], schemas())).toEqual([]);
  });

  withSchemas('covers every provider, resource type and data source the stacks use', () => {
    const coverage = emptyCoverage();
    const all = schemas();
    for (const stack of stacks) checkAgainstSchemas(json[stack], all, coverage);
    const used = new Set(stacks.flatMap((stack) => ['resource', 'data'].flatMap((section) => Object.keys(json[stack][section] ?? {}).map((type) => `${section}.${type}`))));
    expect([...coverage.types].sort()).toEqual([...used].sort());
    expect(Object.keys(coverage.resources).sort()).toEqual(['helm', 'kubernetes', 'openstack', 'random', 'terraform', 'tls']);
    expect(Object.keys(coverage.dataSources).sort()).toEqual(['openstack', 'terraform']);
    for (const provider of Object.keys(coverage.resources)) expect([provider, coverage.attributes[provider] > 0]).toEqual([provider, true]);
    // The README's table (What the tests need) is this one, so its figures cannot go stale.
    const files: Record<string, string> = { ...PROJECT_SCHEMAS, ...SHARED_SCHEMAS };
    const n = (value: number | undefined) => (value ?? 0).toLocaleString('en-US');
    const rows = Object.keys(coverage.attributes)
      .sort((a, b) => (coverage.attributes[b] ?? 0) + (coverage.resources[b] ?? 0) * 1000 - ((coverage.attributes[a] ?? 0) + (coverage.resources[a] ?? 0) * 1000))
      .map((p) => {
        const types = [...coverage.types].filter((t) => providerOf(t.slice(t.indexOf('.') + 1)) === p).length;
        const version = versionOf(files[p], all[p]);
        const name = p === 'terraform' ? `built-in (OpenTofu ${version})` : `${p} ${version}`;
        return `| ${name} | ${types} | ${n(coverage.resources[p])} | ${n(coverage.dataSources[p])} | ${n(coverage.providerBlocks[p])} | ${n(coverage.attributes[p])} | ${n(coverage.blocks[p])} |`;
      });
    const table = ['| provider | types | resources | data sources | provider blocks | attribute values | nested blocks |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
    console.log(`schema conformance, all stacks:\n${table}`);
    expect(readFileSync(path.join(repo, 'README.md'), 'utf8')).toContain(table);
  });
});

describe('a missing shared schema', () => {
  const files = [sharedPath('schemas', 'no-such-provider-1.0.0.json')];
  test('fails in CI', () => {
    expect(sharedStatus(files, { CI: 'true' })).toEqual({ run: false, fail: true, message: expect.stringMatching(/is missing: CI must have \.\.\/shared\//) });
  });
  test('is skipped, visibly, elsewhere', () => {
    expect(sharedStatus(files, {})).toEqual({ run: false, fail: false, message: expect.stringMatching(/is missing: the tests that read them are SKIPPED, not passed/) });
  });
});

describe('the conformance check catches', () => {
  const schema = readSchema(PROJECT_SCHEMAS.openstack);
  const stackWith = (resource: Record<string, unknown>, data: Record<string, unknown> = {}) => ({
    provider: { openstack: [{ region: 'dc3-a' }] },
    resource,
    data,
  });
  const problems = (stack: Record<string, unknown>) =>
    checkAgainstSchema(stack, schema, 'openstack').map((v) => `${v.address}: ${v.problem}`);

  test.each<[string, Record<string, unknown>, string[]]>([
    [
      'an unknown resource type',
      { openstack_networking_netwrok_v2: { n: { name: 'x' } } },
      ['resource.openstack_networking_netwrok_v2.n: openstack_networking_netwrok_v2 is not in the provider schema'],
    ],
    [
      'an unknown attribute',
      { openstack_networking_network_v2: { n: { name: 'x', colour: 'red' } } },
      ['resource.openstack_networking_network_v2.n.colour: is not an attribute or block of this type'],
    ],
    [
      'a missing required attribute',
      { openstack_networking_subnet_v2: { s: { cidr: '10.0.0.0/24' } } },
      ['resource.openstack_networking_subnet_v2.s.network_id: is required but not set'],
    ],
    [
      'a computed-only attribute that is set',
      { openstack_networking_network_v2: { n: { name: 'x', all_tags: ['a'] } } },
      ['resource.openstack_networking_network_v2.n.all_tags: is computed-only and cannot be set'],
    ],
    [
      'a literal of the wrong type',
      { openstack_networking_subnet_v2: { s: { network_id: 'n', ip_version: 'four', dns_nameservers: 'x' } } },
      [
        'resource.openstack_networking_subnet_v2.s.ip_version: expected a number, got "four"',
        'resource.openstack_networking_subnet_v2.s.dns_nameservers: expected a list, got "x"',
      ],
    ],
    [
      'an unknown attribute inside a nested block',
      { openstack_compute_instance_v2: { i: { name: 'x', network: [{ uuid: 'u', vlan: 3 }] } } },
      ['resource.openstack_compute_instance_v2.i.network[0].vlan: is not an attribute or block of this type'],
    ],
  ])('%s', (_name, resource, expected) => {
    expect(problems(stackWith(resource))).toEqual(expected);
  });

  test('an unknown provider argument', () => {
    expect(problems({ provider: { openstack: [{ region: 'dc3-a', password_file: 'x' }] } })).toEqual([
      'provider.openstack[0].password_file: is not an attribute or block of this type',
    ]);
  });

  test('an interpolation is left to OpenTofu', () => {
    expect(problems(stackWith({ openstack_networking_subnet_v2: { s: { network_id: 'n', ip_version: '${var.v}' } } }))).toEqual([]);
  });

  test('a provider without a schema', () => {
    expect(checkAgainstSchemas({ resource: { null_resource: { n: {} } } }, { openstack: schema }).map((v) => `${v.address}: ${v.problem}`)).toEqual([
      'null: no provider schema for null to check its resources against',
    ]);
    expect(providerOf('kubernetes_deployment_v1')).toBe('kubernetes');
  });

  test('the built-in provider: terraform_remote_state needs a backend, its outputs are computed', () => {
    const builtin = readSchema(PROJECT_SCHEMAS.terraform);
    expect(
      checkAgainstSchema({ data: { terraform_remote_state: { r: { outputs: {} } } } }, builtin, 'terraform').map((v) => `${v.address}: ${v.problem}`),
    ).toEqual(['data.terraform_remote_state.r.outputs: is computed-only and cannot be set', 'data.terraform_remote_state.r.backend: is required but not set']);
  });

  const withHelm = testWithShared([SHARED_SCHEMAS.helm, SHARED_SCHEMAS.kubernetes]);
  withHelm('inside nested attributes (helm 3: set, the provider kubernetes block) and object types', () => {
    const helm = readSchema(SHARED_SCHEMAS.helm);
    const found = (stack: Record<string, unknown>) => checkAgainstSchema(stack, helm, 'helm').map((v) => `${v.address}: ${v.problem}`);
    expect(found({ resource: { helm_release: { r: { name: 'x', chart: 'c', set: [{ name: 'a', value: 'b', colour: 'red' }, { value: 'no name' }] } } } })).toEqual([
      'resource.helm_release.r.set[0].colour: is not an attribute or block of this type',
      'resource.helm_release.r.set[1].name: is required but not set',
    ]);
    expect(found({ provider: { helm: [{ kubernetes: { host: 'h', insecure: 'maybe' } }] } })).toEqual(['provider.helm[0].kubernetes.insecure: expected a bool, got "maybe"']);
    const kubernetes = readSchema(SHARED_SCHEMAS.kubernetes);
    expect(
      checkAgainstSchema({ resource: { kubernetes_namespace_v1: { n: { metadata: { name: 'x', labels: 'a=b' } } } } }, kubernetes, 'kubernetes').map(
        (v) => `${v.address}: ${v.problem}`,
      ),
    ).toEqual(['resource.kubernetes_namespace_v1.n.metadata[0].labels: expected a map, got "a=b"']);
  });
});
