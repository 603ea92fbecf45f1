import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse } from 'yaml';
import { METADATA_GUARD_RULES_PATH, RKE2_BOOT_SCRIPT_PATH } from '../lib/rke2/cloud-init';
import { synthPlatform } from './support/synth';
import { evaluateTemplate } from './support/terraform-expr';

const { json } = synthPlatform();
const CLUSTERS = ['tools', 'production', 'test'];
const instances = (stack: string) => Object.entries<any>(json[stack].resource.openstack_compute_instance_v2);
const userDataOf = (instance: any) => parse(instance.user_data) as { write_files: any[]; runcmd: any[]; packages?: string[] };

describe('no node reads its secrets from the metadata service', () => {
  test.each(CLUSTERS)('every %s node boots from the config drive, which it keeps for its life', (stack) => {
    for (const [, instance] of instances(stack)) {
      expect(instance.config_drive).toBe(true);
      expect(instance.lifecycle.ignore_changes).toContain('config_drive');
    }
  });

  test.each(CLUSTERS)('every %s node loads the guard first, and RKE2 requires it', (stack) => {
    for (const [, instance] of instances(stack)) {
      const doc = userDataOf(instance);
      const paths = doc.write_files.map((f) => f.path);
      const service = instance.metadata.role === 'server' ? 'rke2-server' : 'rke2-agent';
      expect(paths).toEqual(
        expect.arrayContaining([
          METADATA_GUARD_RULES_PATH,
          '/etc/systemd/system/rke2-metadata-guard.service',
          `/etc/systemd/system/${service}.service.d/10-metadata-guard.conf`,
        ]),
      );
      // The boot script's first step, before anything is downloaded or started.
      expect(doc.runcmd).toEqual([[RKE2_BOOT_SCRIPT_PATH]]);
      const script: string = doc.write_files.find((f) => f.path === RKE2_BOOT_SCRIPT_PATH).content;
      const steps = script.split('\n').filter((l) => l.startsWith('step ') || l.startsWith('systemctl '));
      expect(steps.slice(0, 3)).toEqual(['step metadata-guard', 'systemctl daemon-reload', 'systemctl enable --now rke2-metadata-guard.service']);
      expect(doc.packages).toEqual(['nftables']);
    }
  });

  test('the CCM and Cinder CSI search the config drive only', () => {
    const server = instances('production').find(([, i]) => i.metadata.role === 'server')![1];
    const secretFile = userDataOf(server).write_files.find((f) => f.path.endsWith('/openstack-cloud-config.yaml'));
    expect(secretFile.permissions).toBe('0600');
    // Rendered as OpenTofu would, with every reference replaced by its name.
    const manifest = parse(Buffer.from(evaluateTemplate(secretFile.content, (ref) => `<${ref}>`), 'base64').toString('utf8'));
    const ini = Buffer.from(manifest.data['cloud.conf'], 'base64').toString('utf8');
    expect(ini).toMatch(/^application-credential-secret = "<openstack_identity_application_credential_v3\.\w+\.secret>"$/m);
    expect(ini).toContain('[Metadata]\nsearch-order = configDrive\n');
  });
});

describe('the synthesized guard, loaded into a real kernel', () => {
  const agent = instances('production').find(([, i]) => i.metadata.role === 'agent')![1];
  const rules: string = userDataOf(agent).write_files.find((f) => f.path === METADATA_GUARD_RULES_PATH).content;
  // Network namespaces need root: as root, or through passwordless sudo.
  const asRoot = process.getuid?.() === 0 ? [] : spawnSync('sudo', ['-n', 'true']).status === 0 ? ['sudo', '-n'] : undefined;
  const canRun = asRoot !== undefined && spawnSync('nft', ['--version']).status === 0 && spawnSync('ip', ['-V']).status === 0;

  test('keeps a routed pod and the node itself from 169.254.169.254 (network namespaces)', () => {
    if (!canRun) {
      if (process.env.CI) throw new Error('CI must run this test: it needs root, nft (nftables) and ip (iproute2)');
      console.warn('skipped: needs root, nft and ip netns (the README says how CI runs it)');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'guard-'));
    try {
      writeFileSync(join(dir, 'guard.nft'), rules);
      const [command, ...args] = [...asRoot!, 'bash', join(__dirname, 'support', 'metadata-guard-netns.sh'), join(dir, 'guard.nft')];
      const run = spawnSync(command, args, { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      // Before: both reach it (the test is not vacuous); after: neither does.
      expect(run.stdout).toBe('pod before: reached\nnode before: reached\npod after: blocked\nnode after: blocked\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
