import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify, parse } from 'yaml';
import { ConfigError, DEFAULT_CONFIG_FILE, loadPlatformConfig, parsePlatformConfig } from '../lib/config';

const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');

/** The default config with one change applied, as YAML text. */
function withChange(change: (config: any) => void): string {
  const config = parse(defaultText);
  change(config);
  return stringify(config);
}

function problemsOf(text: string): string[] {
  try {
    parsePlatformConfig(text, 'platform.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}

describe('the embedded default config', () => {
  const { config } = loadPlatformConfig({});

  test('targets Infomaniak dc3-a with its Swiss endpoints', () => {
    expect(config.cloud).toMatchObject({
      region: 'dc3-a',
      authUrl: 'https://api.pub1.infomaniak.cloud/identity/v3',
      s3Endpoint: 'https://s3.pub1.infomaniak.cloud',
      externalNetwork: 'ext-floating1',
    });
  });

  test('sizes tools and production for HA and test smaller', () => {
    const { tools, production, test: testEnv } = config.environments;
    expect(tools.servers.count).toBe(3);
    expect(production.servers.count).toBe(3);
    expect(testEnv.servers.count).toBe(1);
    const agents = (env: typeof tools) => env.agentPools.reduce((n, p) => n + p.count, 0);
    expect(agents(tools)).toBeGreaterThanOrEqual(3);
    expect(agents(production)).toBeGreaterThanOrEqual(3);
    expect(agents(testEnv)).toBe(2);
  });

  test('fills in the Kubernetes address ranges RKE2 uses by default', () => {
    expect(config.environments.production.kubernetes).toMatchObject({ podCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16' });
  });
});

describe('choosing the config file', () => {
  test('PLATFORM_CONFIG names another file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'platform-config-'));
    const file = path.join(dir, 'other.yaml');
    writeFileSync(file, withChange((c) => (c.platform.name = 'agency')));
    const loaded = loadPlatformConfig({ PLATFORM_CONFIG: file });
    expect(loaded.file).toBe(file);
    expect(loaded.config.platform.name).toBe('agency');
  });

  test('a missing file is reported with the way out', () => {
    expect(() => loadPlatformConfig({ PLATFORM_CONFIG: '/nonexistent/platform.yaml' })).toThrow(
      '/nonexistent/platform.yaml: file not found: point PLATFORM_CONFIG at an existing YAML file, or unset it to use config/platform.yaml',
    );
  });
});

describe('bad input names the file, the field, the value and the fix', () => {
  test.each<[string, (c: any) => void, string]>([
    [
      'even server count',
      (c) => (c.environments.production.servers.count = 2),
      'platform.yaml: environments.production.servers.count: 2: must be odd for etcd quorum; use 1, 3 or 5',
    ],
    [
      'malformed flavor',
      (c) => (c.environments.tools.agentPools[0].flavor = 'large'),
      'platform.yaml: environments.tools.agentPools[0].flavor: "large": not an Infomaniak flavor name; use a{vCPU}-ram{GB}-disk{GB}[-perf{n}], for example a4-ram16-disk0',
    ],
    [
      'empty agent pool',
      (c) => (c.environments.test.agentPools[0].count = 0),
      'platform.yaml: environments.test.agentPools[0].count: 0: an agent pool needs at least 1 node; raise count or remove the pool',
    ],
    [
      'no agent pools',
      (c) => (c.environments.test.agentPools = []),
      'platform.yaml: environments.test.agentPools: []: needs at least one agent pool; add one under agentPools',
    ],
    [
      'subnet outside its network',
      (c) => (c.environments.tools.network.agentsSubnetCidr = '10.11.16.0/20'),
      'platform.yaml: environments.tools.network.agentsSubnetCidr: "10.11.16.0/20": the agents subnet must lie inside the network 10.10.0.0/16; pick a block inside it',
    ],
    [
      'overlapping subnets',
      (c) => (c.environments.tools.network.agentsSubnetCidr = '10.10.0.0/20'),
      'platform.yaml: environments.tools.network.agentsSubnetCidr: "10.10.0.0/20": overlaps the servers subnet 10.10.0.0/24; pick a separate block',
    ],
    [
      'host bits set',
      (c) => (c.environments.test.network.cidr = '10.30.0.1/16'),
      'platform.yaml: environments.test.network.cidr: "10.30.0.1/16": host bits are set; use 10.30.0.0/16',
    ],
    [
      'pod range clashing with the nodes',
      (c) => (c.environments.test.kubernetes = { podCidr: '10.30.128.0/17' }),
      'platform.yaml: environments.test.kubernetes.podCidr: "10.30.128.0/17": the pod range overlaps the network 10.30.0.0/16; node and pod range addresses must differ',
    ],
    [
      'unknown region',
      (c) => (c.cloud.region = 'eu-west-1'),
      'platform.yaml: cloud.region: "eu-west-1": not an Infomaniak region; use one of dc3-a, dc4-a',
    ],
    [
      'misspelt field',
      (c) => (c.environments.tools.servers.flavour = 'a2-ram4-disk0'),
      'platform.yaml: environments.tools.servers.flavour: "a2-ram4-disk0": unknown field; remove it or fix its spelling',
    ],
    [
      'number written as text',
      (c) => (c.environments.tools.servers.count = '3'),
      'platform.yaml: environments.tools.servers.count: "3": must be number, not string; change its type',
    ],
    [
      'missing field',
      (c) => delete c.environments.tools.servers.bootVolume,
      'platform.yaml: environments.tools.servers.bootVolume: (missing): required field is missing; add it (object)',
    ],
    [
      'unknown volume type',
      (c) => (c.environments.tools.servers.bootVolume.type = 'ssd'),
      'platform.yaml: environments.tools.servers.bootVolume.type: "ssd": must be one of CEPH_1_perf1, CEPH_1_perf2, CEPH_1_perf3',
    ],
    [
      'duplicate pool names',
      (c) => c.environments.production.agentPools.push({ ...c.environments.production.agentPools[0] }),
      'platform.yaml: environments.production.agentPools[1].name: "web": duplicate agent pool name; give each pool its own name',
    ],
  ])('%s', (_name, change, message) => {
    expect(problemsOf(withChange(change))).toEqual([message]);
  });

  test('a YAML syntax error gives its line', () => {
    expect(problemsOf('platform:\n  name: [unclosed\n')).toEqual([
      expect.stringMatching(/^platform\.yaml: line \d+ column \d+: YAML syntax error: .+; fix the YAML there$/),
    ]);
  });

  test('every problem is reported at once', () => {
    const problems = problemsOf(
      withChange((c) => {
        c.environments.production.servers.count = 4;
        c.environments.test.agentPools[0].flavor = 'tiny';
      }),
    );
    expect(problems).toHaveLength(2);
  });
});
