import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify, parse } from 'yaml';
import { DEFAULT_CONFIG_FILE, loadPlatformConfig } from '../lib/config';

const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');

/** The default config with one change applied, as YAML text. */
function withChange(change: (config: any) => void): string {
  const config = parse(defaultText);
  change(config);
  return stringify(config);
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
