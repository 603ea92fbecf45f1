import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../lib/config';
import { scanJson } from '../lib/output/secret-scan';
import { RKE2_REGISTRIES_PATH } from '../lib/rke2/cloud-init';
import { synthPlatform } from './support/synth';
import { evaluateTemplate } from './support/terraform-expr';

/**
 * Registry mirrors: the config names a mirror and the variable that holds its
 * password; every node gets /etc/rancher/rke2/registries.yaml (0600) whose
 * password OpenTofu takes from that sensitive variable at apply time.
 */
const MIRROR = {
  mirrors: {
    'docker.io': { endpoint: ['https://harbor.tools.webhost.ch'], rewrite: { '^(.*)$': 'dockerhub-proxy/$1' } },
    'quay.io': { endpoint: ['https://harbor.tools.webhost.ch'], rewrite: { '^(.*)$': 'quay-proxy/$1' } },
  },
  configs: { 'harbor.tools.webhost.ch': { auth: { username: 'robot$platform+pull', passwordVariable: 'registry_mirror_password' } } },
};

const raw = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
raw.environments.production.registries = MIRROR;
const text = stringify(raw);
const { json } = synthPlatform(parsePlatformConfig(text, 'platform.yaml'));
const production = json.production;
const instances = Object.values<any>(production.resource.openstack_compute_instance_v2);

function registriesFile(instance: any) {
  return (parse(instance.user_data).write_files as any[]).find((f) => f.path === RKE2_REGISTRIES_PATH);
}

describe('registry mirrors', () => {
  test('declare the password variable once, sensitive, without a default', () => {
    expect(production.variable.registry_mirror_password).toEqual({
      type: 'string',
      sensitive: true,
      nullable: false,
      description: expect.stringContaining('TF_VAR_registry_mirror_password'),
    });
    expect(json.test.variable.registry_mirror_password).toBeUndefined();
  });

  test('every node, server and agent, gets registries.yaml (root, 0600)', () => {
    expect(instances.length).toBe(9);
    for (const instance of instances) {
      expect(registriesFile(instance)).toMatchObject({ owner: 'root:root', permissions: '0600', encoding: 'b64' });
    }
    for (const instance of Object.values<any>(json.tools.resource.openstack_compute_instance_v2)) {
      expect(registriesFile(instance)).toBeUndefined();
    }
  });

  test('render, as OpenTofu computes them, the mirrors, rewrites and the password from the variable', () => {
    const tricky = 'p"a:s s#w\\o${rd}';
    const file = registriesFile(instances[0]);
    const resolved = evaluateTemplate(file.content, (ref) => {
      if (ref !== 'var.registry_mirror_password') throw new Error(`unexpected reference ${ref}`);
      return tricky;
    });
    expect(parse(Buffer.from(resolved, 'base64').toString('utf8'))).toEqual({
      mirrors: MIRROR.mirrors,
      configs: { 'harbor.tools.webhost.ch': { auth: { username: 'robot$platform+pull', password: tricky } } },
    });
  });

  test('keep the password out of the config and the JSON: only a reference to the variable', () => {
    expect(text).not.toMatch(/password:/);
    const userData = instances.map((i) => i.user_data).join('\n');
    expect(userData).toContain('jsonencode(var.registry_mirror_password)');
    expect(scanJson(production, 'production')).toEqual([]);
  });
});
