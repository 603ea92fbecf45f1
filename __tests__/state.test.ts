import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { ConfigError, DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../lib/config';
import { catalogOptionsOf, loadSitesCatalog } from '../lib/sites/catalog';
import { synthPlatform } from './support/synth';

const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');

function configWith(state: unknown) {
  const raw = parse(defaultText);
  raw.state = state;
  return parsePlatformConfig(stringify(raw), 'platform.yaml');
}

function problemsOf(state: unknown): string[] {
  try {
    configWith(state);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}

describe('encryption is enforced on every backend', () => {
  // enforced: tofu refuses an unencrypted method for the state or a plan, also
  // one brought in by TF_ENCRYPTION or an override file (npm run check:encryption
  // proves it with real tofu).
  test.each<[string, unknown]>([
    ['local', { backend: 'local' }],
    ['s3', { backend: 's3', s3: { bucket: 'webhost-tofu-state' } }],
  ])('%s: state and plans of every stack', (_, state) => {
    const { json } = synthPlatform(configWith(state));
    for (const [name, stack] of Object.entries(json)) {
      expect([name, stack.terraform.encryption.state.enforced, stack.terraform.encryption.plan.enforced]).toEqual([name, true, true]);
    }
  });
});

describe('the default: local state, encrypted', () => {
  const { json } = synthPlatform();

  test.each(['tools', 'production', 'test'])('%s keeps its state in state/<stack>.tfstate', (name) => {
    expect(json[name].terraform.backend).toEqual({ local: { path: `../../../state/${name}.tfstate` } });
  });

  test.each(['tools', 'production', 'test'])('%s encrypts state and plans with AES-GCM from a passphrase variable', (name) => {
    const stack = json[name];
    expect(stack.terraform.encryption).toEqual({
      key_provider: { pbkdf2: { key1: { passphrase: '${var.state_encryption_passphrase}' } } },
      method: { aes_gcm: { key1: { keys: '${key_provider.pbkdf2.key1}' } } },
      state: { method: 'method.aes_gcm.key1', enforced: true },
      plan: { method: 'method.aes_gcm.key1', enforced: true },
      remote_state_data_sources: { default: { method: 'method.aes_gcm.key1' } },
    });
    const passphrase = stack.variable.state_encryption_passphrase;
    expect(passphrase).toMatchObject({ type: 'string', sensitive: true, nullable: false });
    expect(passphrase.default).toBeUndefined();
    expect(passphrase.validation[0].condition).toBe('${length(var.state_encryption_passphrase) >= 16}');
    expect(stack.variable.state_encryption_passphrase_previous).toBeUndefined();
  });
});

describe('state in Infomaniak object storage', () => {
  const config = configWith({ backend: 's3', s3: { bucket: 'webhost-tofu-state' } });
  const { json } = synthPlatform(config);

  test.each(['tools', 'production', 'test'])('%s gets its own key, path-style, on the region S3 endpoint', (name) => {
    expect(json[name].terraform.backend).toEqual({
      s3: {
        bucket: 'webhost-tofu-state',
        key: `platform/${name}.tfstate`,
        region: 'dc3-a',
        endpoints: { s3: 'https://s3.pub1.infomaniak.cloud' },
        use_path_style: true,
        skip_credentials_validation: true,
        skip_region_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        skip_s3_checksum: true,
        use_lockfile: true,
      },
    });
  });

  test('locks each state with OpenTofu\'s lock file: <key>.tflock next to the state, no DynamoDB', () => {
    for (const name of ['tools', 'production', 'test']) {
      expect(json[name].terraform.backend.s3.use_lockfile).toBe(true);
      expect(json[name].terraform.backend.s3.dynamodb_table).toBeUndefined();
    }
  });

  test('every stack that reads another (platform, sites) reads its state with the same endpoint, path-style and skips, and takes no lock', () => {
    const withSites = synthPlatform(config, loadSitesCatalog(catalogOptionsOf(config), {}).catalog).json;
    const readers = Object.keys(withSites).filter((name) => withSites[name].data?.terraform_remote_state);
    expect(readers.filter((name) => name.endsWith('-platform')).sort()).toEqual(['production-platform', 'test-platform', 'tools-platform']);
    expect(readers.some((name) => name.includes('-sites-'))).toBe(true);
    // Each lookup reads another stack's state: with that stack's settings, less the lock.
    const backendByKey = Object.fromEntries(Object.values(withSites).map((stack) => [stack.terraform.backend.s3.key, stack.terraform.backend.s3]));
    for (const name of readers) {
      for (const [id, remote] of Object.entries<any>(withSites[name].data.terraform_remote_state)) {
        expect(backendByKey[remote.config.key]).toBeDefined();
        const { use_lockfile: _lock, ...reading } = backendByKey[remote.config.key];
        expect([name, id, remote]).toEqual([name, id, { backend: 's3', config: reading, workspace: '${terraform.workspace}' }]);
      }
    }
  });

  test('without the lock file only when typed: state.s3.lockFile: false', () => {
    const unlocked = synthPlatform(configWith({ backend: 's3', s3: { bucket: 'webhost-tofu-state', lockFile: false } })).json;
    for (const name of ['tools', 'production', 'test']) {
      expect(unlocked[name].terraform.backend.s3).not.toHaveProperty('use_lockfile');
      expect(unlocked[name].terraform.backend.s3.use_path_style).toBe(true);
    }
  });

  test('holds no credentials: they come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY at run time', () => {
    const backend = JSON.stringify(json.production.terraform.backend);
    expect(backend).not.toMatch(/access_key|secret_key|token/);
  });

  test('enforces encryption: tofu refuses to write an unencrypted state or plan', () => {
    expect(json.production.terraform.encryption.state.enforced).toBe(true);
    expect(json.production.terraform.encryption.plan.enforced).toBe(true);
  });
});

describe('a key rotation', () => {
  const config = configWith({ encryption: { key: 'key2', previousKey: 'key1' } });
  const stack = synthPlatform(config).json.test;

  test('writes with the new key and reads with the old one as a fallback', () => {
    expect(stack.terraform.encryption).toEqual({
      key_provider: {
        pbkdf2: {
          key2: { passphrase: '${var.state_encryption_passphrase}' },
          key1: { passphrase: '${var.state_encryption_passphrase_previous}' },
        },
      },
      method: { aes_gcm: { key2: { keys: '${key_provider.pbkdf2.key2}' }, key1: { keys: '${key_provider.pbkdf2.key1}' } } },
      state: { method: 'method.aes_gcm.key2', enforced: true, fallback: { method: 'method.aes_gcm.key1' } },
      plan: { method: 'method.aes_gcm.key2', enforced: true, fallback: { method: 'method.aes_gcm.key1' } },
      remote_state_data_sources: { default: { method: 'method.aes_gcm.key2', fallback: { method: 'method.aes_gcm.key1' } } },
    });
    expect(stack.variable.state_encryption_passphrase_previous).toMatchObject({ sensitive: true, type: 'string' });
  });
});

describe('bad state settings', () => {
  test.each<[string, unknown, string]>([
    ['the s3 backend without its settings', { backend: 's3' }, 'platform.yaml: state.s3: (missing): the s3 backend needs its settings; add state.s3.bucket (and optionally keyPrefix)'],
    ['an unknown backend', { backend: 'consul' }, 'platform.yaml: state.backend: "consul": must be local or s3'],
    ['a bucket name with capitals', { backend: 's3', s3: { bucket: 'Tofu_State' } }, 'platform.yaml: state.s3.bucket: "Tofu_State": not a bucket name; use 3 to 63 lower-case letters, digits and dashes'],
    ['a rotation to the same key', { encryption: { key: 'key1', previousKey: 'key1' } }, 'platform.yaml: state.encryption.previousKey: "key1": must differ from key: give the new key a new name (key1 -> key2) and put the old name here'],
    ['a lock file setting that is not a boolean', { backend: 's3', s3: { bucket: 'b-state', lockFile: 'no' } }, 'platform.yaml: state.s3.lockFile: "no": is text, not a boolean: YAML 1.2 reads yes, no, on, off, y and n as strings (only YAML 1.1 took them for booleans); write true or false'],
    ['a key name with a dash', { encryption: { key: 'key-2' } }, 'platform.yaml: state.encryption.key: "key-2": must be a lower-case name of letters, digits and underscores, for example key2'],
  ])('%s', (_, state, message) => {
    expect(problemsOf(state)).toEqual([message]);
  });
});
