import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../lib/config';
import { RKE2_BOOT_SCRIPT_PATH, RKE2_CHECKSUMS, RKE2_TARBALL } from '../lib/rke2/cloud-init';
import { synthPlatform } from './support/synth';

/**
 * The boot script as synthesized, run for real in a sandbox: a temporary root
 * (RKE2_BOOT_ROOT), fake `curl`, `systemctl`, `sysctl`, `useradd` and `uname`
 * on PATH that record their calls and fail on demand, and a release tarball
 * whose `bin/rke2` and `bin/rke2-killall.sh` are fakes of the same kind.
 * `sha256sum`, `tar`, `grep` and the shell are the real ones. Each failure
 * path must stop the boot with a non-zero exit, the failed step recorded, and
 * RKE2 never started.
 */

const SNAPSHOT = 'etcd-snapshot-webhost-production-server-1-1764288000';
const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');

function synthWith(change: (config: any) => void) {
  const raw = parse(defaultText);
  change(raw);
  return synthPlatform(parsePlatformConfig(stringify(raw), 'platform.yaml')).json;
}

/** The boot script of each instance of a stack, by instance name. */
function bootScripts(stack: any): Record<string, string> {
  return Object.fromEntries(
    Object.values<any>(stack.resource.openstack_compute_instance_v2).map((instance) => {
      const file = (parse(instance.user_data).write_files as any[]).find((f) => f.path === RKE2_BOOT_SCRIPT_PATH);
      expect(file.encoding).toBeUndefined();
      return [instance.name, file.content as string];
    }),
  );
}

const restoring = synthWith((c) => (c.environments.production.backups.restore = { snapshot: SNAPSHOT }));
const scripts = bootScripts(restoring.production);
const pinnedScripts = (pin: string) =>
  bootScripts(synthWith((c) => (c.environments.test.kubernetes = { releaseChecksumsSha256: pin })).test);

const FAKE = (name: string, body = '') => `#!/bin/sh
echo "${name} $*" >>"$CALLS"
${body}
exit 0
`;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly calls: string[];
  readonly failedStep?: string;
  readonly done: boolean;
  readonly log: string;
  readonly installed: boolean;
}

/** Builds a release (tarball and checksum file) the fake curl serves. */
function makeRelease(dir: string, tamper: 'none' | 'tarball' | 'no-line'): { checksumsSha256: string } {
  const tree = join(dir, 'tree');
  for (const sub of ['bin', 'lib/systemd/system']) mkdirSync(join(tree, sub), { recursive: true });
  writeFileSync(
    join(tree, 'bin/rke2'),
    FAKE('rke2', '[ -z "$FAKE_RKE2_FAIL" ] || { echo "level=fatal msg=\\"failed to download etcd snapshot from S3\\"" >&2; exit 1; }'),
  );
  writeFileSync(join(tree, 'bin/rke2-killall.sh'), FAKE('rke2-killall.sh'));
  writeFileSync(join(tree, 'lib/systemd/system/rke2-server.service'), '[Service]\n');
  for (const f of ['bin/rke2', 'bin/rke2-killall.sh']) chmodSync(join(tree, f), 0o755);
  const serve = join(dir, 'serve');
  mkdirSync(serve);
  const tarball = join(serve, RKE2_TARBALL);
  // Byte for byte the same tarball every time, so that a pin computed once holds.
  const tar = spawnSync(
    'tar',
    ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--use-compress-program=gzip -n', '-cf', tarball, '-C', tree, '.'],
    { encoding: 'utf8' },
  );
  expect(tar.status).toBe(0);
  const hash = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  const lines = [`${'0'.repeat(64)}  rke2-images.linux-amd64.tar.zst`, `${hash}  ${RKE2_TARBALL}`, `${'1'.repeat(64)}  rke2.linux-amd64`];
  writeFileSync(join(serve, RKE2_CHECKSUMS), `${(tamper === 'no-line' ? lines.filter((l) => !l.endsWith(RKE2_TARBALL)) : lines).join('\n')}\n`);
  if (tamper === 'tarball') writeFileSync(tarball, Buffer.concat([readFileSync(tarball), Buffer.from('x')]));
  return { checksumsSha256: createHash('sha256').update(readFileSync(join(serve, RKE2_CHECKSUMS))).digest('hex') };
}

/** Runs `script` in a fresh sandbox; `fail` names what fails. */
function boot(
  script: string,
  options: { fail?: { curl?: string; rke2?: boolean; systemctl?: string }; tamper?: 'none' | 'tarball' | 'no-line' } = {},
): Run {
  const dir = mkdtempSync(join(tmpdir(), 'rke2-boot-'));
  try {
    makeRelease(dir, options.tamper ?? 'none');
    const bin = join(dir, 'fakebin');
    mkdirSync(bin);
    const fakes: Record<string, string> = {
      // -o FILE ... URL: serves the release files by name; fails like curl -f on demand.
      curl: FAKE(
        'curl',
        [
          'out=; url=',
          'while [ $# -gt 0 ]; do case $1 in -o) out=$2; shift 2 ;; -*) shift ;; *) url=$1; shift ;; esac; done',
          'name=$(basename "$url")',
          '[ "$name" != "$FAKE_CURL_FAIL" ] || { echo "curl: (22) The requested URL returned error: 404" >&2; exit 22; }',
          'cp "$SERVE/$name" "$out"',
        ].join('\n'),
      ),
      systemctl: FAKE('systemctl', 'case "$*" in *"$FAKE_SYSTEMCTL_FAIL"*) [ -z "$FAKE_SYSTEMCTL_FAIL" ] || exit 1 ;; esac'),
      sysctl: FAKE('sysctl'),
      useradd: FAKE('useradd'),
      uname: '#!/bin/sh\necho x86_64\n',
      // No etcd user yet: the CIS step must create it.
      id: '#!/bin/sh\nexit 1\n',
    };
    for (const [name, body] of Object.entries(fakes)) {
      writeFileSync(join(bin, name), body);
      chmodSync(join(bin, name), 0o755);
    }
    const root = join(dir, 'root');
    const calls = join(dir, 'calls');
    writeFileSync(calls, '');
    const file = join(dir, 'rke2-boot');
    writeFileSync(file, script);
    chmodSync(file, 0o700);
    const run = spawnSync(file, [], {
      encoding: 'utf8',
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        RKE2_BOOT_ROOT: root,
        CALLS: calls,
        SERVE: join(dir, 'serve'),
        FAKE_CURL_FAIL: options.fail?.curl ?? '',
        FAKE_RKE2_FAIL: options.fail?.rke2 ? '1' : '',
        FAKE_SYSTEMCTL_FAIL: options.fail?.systemctl ?? '',
      },
      timeout: 30_000,
    });
    const state = join(root, 'var/lib/rke2-boot');
    const logFile = join(root, 'var/log/rke2-boot.log');
    return {
      status: run.status,
      stdout: `${run.stdout}${run.stderr}`,
      calls: readFileSync(calls, 'utf8').split('\n').filter(Boolean),
      failedStep: existsSync(join(state, 'failed')) ? readFileSync(join(state, 'failed'), 'utf8').trim() : undefined,
      done: existsSync(join(state, 'done')),
      log: existsSync(logFile) ? readFileSync(logFile, 'utf8') : '',
      installed: existsSync(join(root, 'usr/local/bin/rke2')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = (run: Run) => run.calls.filter((c) => /^systemctl enable --now rke2-(server|agent)\.service$/.test(c));

describe('the boot script, run in a sandbox', () => {
  const server1 = scripts['webhost-production-server-1'];
  const agent = scripts['webhost-production-web-1'];

  test('server 1 of a restore: guard, host, verified install, restore, then the start', () => {
    const run = boot(server1);
    expect(run.stdout).toContain('rke2-boot: done');
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'systemctl daemon-reload',
      'systemctl enable --now rke2-metadata-guard.service',
      'sysctl --system',
      'useradd -r -U -c etcd user -s /sbin/nologin -M etcd',
      expect.stringMatching(new RegExp(`^curl .* -o \\S+/${RKE2_CHECKSUMS} https://github\\.com/rancher/rke2/releases/download/v1\\.34\\.3%2Brke2r3/${RKE2_CHECKSUMS}$`)),
      expect.stringMatching(new RegExp(`^curl .* https://github\\.com/rancher/rke2/releases/download/v1\\.34\\.3%2Brke2r3/${RKE2_TARBALL}$`)),
      'systemctl daemon-reload',
      // The binary that ran is the one unpacked from the verified tarball.
      `rke2 server --cluster-reset --cluster-reset-restore-path=${SNAPSHOT}`,
      'systemctl enable --now rke2-server.service',
    ]);
    expect(run).toMatchObject({ done: true, failedStep: undefined, installed: true });
  });

  test('a restore that fails (wrong name, S3 error) stops: RKE2 is stopped, never started, the failure visible', () => {
    const run = boot(server1, { fail: { rke2: true } });
    expect(run.status).not.toBe(0);
    expect(run.failedStep).toBe('restore');
    expect(run.done).toBe(false);
    expect(started(run)).toEqual([]);
    // What the reset had started is stopped.
    expect(run.calls.slice(-2)).toEqual([`rke2 server --cluster-reset --cluster-reset-restore-path=${SNAPSHOT}`, 'rke2-killall.sh ']);
    expect(run.log).toMatch(/FAILED at step restore \(exit 1\): nothing after it ran and rke2-server\.service was not started/);
    expect(run.stdout).toContain('rke2-boot: FAILED at step restore');
  });

  test.each<[string, Parameters<typeof boot>[1], string]>([
    ['the checksum file cannot be downloaded', { fail: { curl: RKE2_CHECKSUMS } }, 'download'],
    ['the tarball cannot be downloaded', { fail: { curl: RKE2_TARBALL } }, 'download'],
    ['the tarball does not match its checksum', { tamper: 'tarball' }, 'verify'],
    ['the checksum file does not list the tarball', { tamper: 'no-line' }, 'verify'],
    ['the metadata guard cannot be loaded', { fail: { systemctl: 'rke2-metadata-guard' } }, 'metadata-guard'],
  ])('stops when %s: nothing installed or started', (_, options, step) => {
    for (const script of [server1, agent]) {
      const run = boot(script, options);
      expect(run.status).not.toBe(0);
      expect(run.failedStep).toBe(step);
      expect(run).toMatchObject({ done: false, installed: false });
      expect(started(run)).toEqual([]);
      expect(run.calls.filter((c) => c.startsWith('rke2 '))).toEqual([]);
      expect(run.log).toContain(`FAILED at step ${step}`);
    }
  });

  test('an agent installs the same verified release and starts rke2-agent, restoring nothing', () => {
    const run = boot(agent);
    expect(run.status).toBe(0);
    expect(started(run)).toEqual(['systemctl enable --now rke2-agent.service']);
    expect(run.calls.some((c) => c.startsWith('rke2 ') || c.startsWith('useradd'))).toBe(false);
  });

  test('servers 2 and 3 join: no restore step, the same script as each other', () => {
    expect(scripts['webhost-production-server-2']).toBe(scripts['webhost-production-server-3']);
    const run = boot(scripts['webhost-production-server-2']);
    expect(run.status).toBe(0);
    expect(run.calls.filter((c) => c.startsWith('rke2 '))).toEqual([]);
    expect(started(run)).toEqual(['systemctl enable --now rke2-server.service']);
  });
});

describe('the boot script with a pinned checksum file', () => {
  // The pin is checked against the sandbox's own release; build it once to learn its hash.
  const dir = mkdtempSync(join(tmpdir(), 'rke2-release-'));
  const { checksumsSha256 } = makeRelease(dir, 'none');
  rmSync(dir, { recursive: true, force: true });

  test('installs when the checksum file is the pinned one', () => {
    const run = boot(pinnedScripts(checksumsSha256)['webhost-test-server-1']);
    expect(run.status).toBe(0);
    expect(run.installed).toBe(true);
  });

  test('refuses any other checksum file, before it trusts its tarball line', () => {
    const run = boot(pinnedScripts('f'.repeat(64))['webhost-test-server-1']);
    expect(run.status).not.toBe(0);
    expect(run.failedStep).toBe('verify');
    expect(run).toMatchObject({ installed: false });
    expect(started(run)).toEqual([]);
  });
});
