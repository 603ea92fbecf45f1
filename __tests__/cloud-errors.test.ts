import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * scripts/cloud/errors.sh (npm run cloud:errors), what CI prints of the test
 * cloud's logs before cloud:down removes them, on logs written as gunicorn and
 * oslo.log write them.
 */
const script = path.join(__dirname, '..', 'scripts', 'cloud', 'errors.sh');

function errorsOf(logs: Record<string, string[]>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cloud-errors-'));
  try {
    mkdirSync(path.join(dir, 'log'));
    for (const [name, lines] of Object.entries(logs)) writeFileSync(path.join(dir, 'log', `${name}.log`), `${lines.join('\n')}\n`);
    const run = spawnSync('bash', [script], { env: { ...process.env, CLOUD_DIR: dir }, encoding: 'utf8' });
    expect(run.status).toBe(0);
    return run.stdout.replaceAll(dir, '<dir>');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const boot = '[2026-12-03 10:28:59 +0000] [15106] [INFO] Booting worker with pid: 15106';
const request = '127.0.0.1 "DELETE /v2.0/ports/8a92c504 HTTP/1.1" 204 0 31ms [03/Dec/2026:10:30:00 +0000]';

describe('npm run cloud:errors', () => {
  it("prints an API's last requests even when it logged no error (a request a client lost may leave nothing else)", () => {
    expect(errorsOf({ 'neutron-api': [boot, request] })).toBe(`--- neutron-api (<dir>/log/neutron-api.log)\n  last requests:\n    ${request}\n`);
  });

  it("names a lost gunicorn worker and oslo's errors", () => {
    const out = errorsOf({
      'nova-api': [
        boot,
        '[2026-12-03 10:31:00 +0000] [15085] [CRITICAL] WORKER TIMEOUT (pid:15106)',
        '[2026-12-03 10:31:01 +0000] [15200] [INFO] Booting worker with pid: 15200',
        '2026-12-03 10:31:02.000 15200 ERROR nova.api.openstack [-] boom',
      ],
    });
    expect(out).toContain('  gunicorn workers:\n');
    expect(out).toContain('WORKER TIMEOUT (pid:15106)');
    expect(out).toContain('  last errors:\n');
    expect(out).toContain('ERROR nova.api.openstack [-] boom');
  });

  it('says nothing of a clean start: one worker booted, option dumps naming ERROR, the fake driver\'s "No DB access"', () => {
    expect(
      errorsOf({
        'octavia-api': [boot, '2026-12-03 10:29:49.900 15110 INFO octavia.api.app [-] rate_limit_except_level = CRITICAL'],
        'nova-compute': ['2026-12-03 10:29:44.698 15090 ERROR nova.db.main.api [None req-1 - - - - - -] No DB access allowed in nova-compute:   File "x"'],
        'neutron-manage': ['2026-12-03 10:29:44.698 1 ERROR x [-] ignored: a manage log'],
      }),
    ).toBe('');
  });
});
