import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../lib/config';
import { synthPlatform } from './support/synth';

/**
 * What real OpenTofu plans for the restore trigger as synthesized: the
 * production stack's instances stand in as terraform_data resources (same
 * addresses, same lifecycle blocks, no provider needed), the restore's
 * terraform_data is the synthesized one. Each step applies and plans the next
 * config against the state the previous one left:
 *
 *   no restore -> restore set -> same again -> bootstrapped -> generation 2 -> restore removed
 *
 * Needs `tofu`: $TOOLS_DIR/bin, .tools/bin or PATH. Skipped without it,
 * except with REQUIRE_TOFU=1 (CI runs it after `npm run tools`).
 */
const SNAPSHOT = 'etcd-snapshot-webhost-production-server-1-1764288000';
const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');

function production(change: (config: any) => void = () => undefined) {
  const raw = parse(defaultText);
  change(raw);
  return synthPlatform(parsePlatformConfig(stringify(raw), 'platform.yaml')).json.production;
}

/** The stand-in config: every instance and the restore's terraform_data, nothing else. */
function standIn(stack: any) {
  const data: Record<string, unknown> = {};
  for (const [key, instance] of Object.entries<any>(stack.resource.openstack_compute_instance_v2)) {
    const lifecycle = instance.lifecycle.replace_triggered_by ? { replace_triggered_by: instance.lifecycle.replace_triggered_by } : undefined;
    data[`instance_${key}`] = { input: instance.name, ...(lifecycle ? { lifecycle } : {}) };
  }
  for (const [key, body] of Object.entries<any>(stack.resource.terraform_data ?? {})) {
    if (key.startsWith('Cluster_ServersRestore_')) data[key] = body;
  }
  const json = JSON.stringify({ resource: { terraform_data: data } });
  return { json, names: Object.fromEntries(Object.entries<any>(stack.resource.openstack_compute_instance_v2).map(([k, i]) => [`instance_${k}`, i.name])) };
}

function findTofu(): string | undefined {
  const candidates = [process.env.TOOLS_DIR && join(process.env.TOOLS_DIR, 'bin', 'tofu'), join(__dirname, '..', '.tools', 'bin', 'tofu')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return spawnSync('tofu', ['version']).status === 0 ? 'tofu' : undefined;
}

const tofu = findTofu();
const run = tofu || process.env.REQUIRE_TOFU ? describe : describe.skip;
if (!tofu && !process.env.REQUIRE_TOFU) console.warn('tofu not found: the restore trigger was not planned by real OpenTofu (run npm run tools)');

run('the restore trigger, planned by real OpenTofu', () => {
  const dir = mkdtempSync(join(tmpdir(), 'restore-trigger-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_CLI_CONFIG_FILE: join(dir, 'none.tfrc') };
  writeFileSync(join(dir, 'none.tfrc'), '');
  const tf = (...args: string[]) => {
    if (!tofu) throw new Error('REQUIRE_TOFU is set but no tofu was found ($TOOLS_DIR/bin, .tools/bin, PATH)');
    const r = spawnSync(tofu, [`-chdir=${dir}`, ...args, '-no-color'], { encoding: 'utf8', env, timeout: 120_000 });
    if (r.status !== 0) throw new Error(`tofu ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };

  /** Writes the stand-in of `stack`, plans it against the state, applies it; returns the planned actions by instance name. */
  function step(stack: any): Record<string, string> {
    const { json, names } = standIn(stack);
    writeFileSync(join(dir, 'main.tf.json'), json);
    tf('init', '-input=false');
    tf('plan', '-input=false', '-out=plan');
    const plan = JSON.parse(tf('show', '-json', 'plan'));
    tf('apply', '-input=false', 'plan');
    const actions: Record<string, string> = {};
    for (const change of plan.resource_changes ?? []) {
      const what = change.change.actions.join('+');
      if (what === 'no-op') continue;
      actions[names[change.name] ?? (change.name.startsWith('Cluster_ServersRestore_') ? 'restore' : change.name)] = what;
    }
    return actions;
  }

  const servers = ['webhost-production-server-1', 'webhost-production-server-2', 'webhost-production-server-3'];
  const replaced = (extra: Record<string, string>) => ({ ...Object.fromEntries(servers.map((s) => [s, 'delete+create'])), ...extra });

  test('a running cluster without a restore: the instances are created once, then nothing changes', () => {
    expect(Object.keys(step(production()))).toHaveLength(9);
    expect(step(production())).toEqual({});
  });

  test('setting backups.restore replaces the three servers together, and no agent', () => {
    expect(step(production((c) => (c.environments.production.backups.restore = { snapshot: SNAPSHOT })))).toEqual(replaced({ restore: 'create' }));
  });

  test('the same restore again, then servers.bootstrapped: nothing is replaced', () => {
    expect(step(production((c) => (c.environments.production.backups.restore = { snapshot: SNAPSHOT })))).toEqual({});
    const bootstrapped = production((c) => {
      c.environments.production.backups.restore = { snapshot: SNAPSHOT };
      c.environments.production.servers.bootstrapped = true;
    });
    expect(step(bootstrapped)).toEqual({});
  });

  test('a new generation replaces the servers again', () => {
    const again = production((c) => (c.environments.production.backups.restore = { snapshot: SNAPSHOT, generation: 2 }));
    expect(step(again)).toEqual(replaced({ restore: 'update' }));
  });

  test('removing backups.restore afterwards destroys only its terraform_data', () => {
    expect(step(production((c) => (c.environments.production.servers.bootstrapped = true)))).toEqual({ restore: 'delete' });
  });
});
