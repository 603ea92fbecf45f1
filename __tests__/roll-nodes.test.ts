import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NodePool } from '../lib/openstack/node-pool';

/**
 * scripts/roll-nodes.sh with a fake tofu and a fake kubectl that log their
 * calls: the order of drains, plans, applies and uncordons is the contract
 * (one node down at a time, drained before it restarts).
 */
const script = path.join(__dirname, '..', 'scripts', 'roll-nodes.sh');
const fakeBin = mkdtempSync(path.join(tmpdir(), 'fake-roll-'));
// tofu: `output -raw nodes` prints $FAKE_NODES; plan records its target and the
// override file; show prints a plan of that target (or $FAKE_PLAN when set);
// apply reboots the target's node (a new boot ID).
writeFileSync(
  path.join(fakeBin, 'tofu'),
  `#!/bin/sh
dir=\${1#-chdir=}; shift
echo "tofu $*" >> "$ROLL_LOG"
case "$1 $2" in
  "output -raw")
    case $3 in
      nodes) printf '%s' "$FAKE_NODES" ;;
      api_endpoint) echo "https://192.0.2.10:6443" ;;
      *) echo "PEM of $3" ;;
    esac ;;
esac
case $1 in
  plan)
    for a in "$@"; do case $a in -target=*) echo "\${a#-target=}" > "$FAKE_STATE/target" ;; esac; done
    if [ -f "$dir/roll_override.tf.json" ]; then echo "override $(cat "$dir/roll_override.tf.json")" >> "$ROLL_LOG"; fi ;;
  show)
    if [ -n "\${FAKE_PLAN:-}" ]; then printf '%s\\n' "$FAKE_PLAN"; exit 0; fi
    target=$(cat "$FAKE_STATE/target")
    line=$(printf '%s\\n' "$FAKE_NODES" | grep " $target ")
    set -- $line
    echo "  # $target will be updated in-place"
    echo "      ~ flavor_name = \\"$5\\" -> \\"$6\\""
    echo "  # $target must be replaced"
    echo "\${FAKE_SUMMARY:-Plan: 0 to add, 1 to change, 0 to destroy.}" ;;
  apply)
    target=$(cat "$FAKE_STATE/target")
    name=$(printf '%s\\n' "$FAKE_NODES" | grep " $target " | cut -d' ' -f3)
    [ -n "\${FAKE_NO_REBOOT:-}" ] || echo rebooted > "$FAKE_STATE/boot-$name" ;;
esac
`,
);
// kubectl: boot IDs from $FAKE_STATE, always Ready; drain fails for $FAKE_DRAIN_FAILS.
writeFileSync(
  path.join(fakeBin, 'kubectl'),
  `#!/bin/sh
echo "kubectl $*" >> "$ROLL_LOG"
case $1 in
  get)
    case $5 in
      *bootID*) cat "$FAKE_STATE/boot-$3" 2>/dev/null || echo first ;;
      *Ready*) echo True ;;
    esac ;;
  drain) [ "$2" != "\${FAKE_DRAIN_FAILS:-}" ] || { echo "error: Cannot evict pod as it would violate the pod's disruption budget." >&2; exit 1; } ;;
esac
`,
);
chmodSync(path.join(fakeBin, 'tofu'), 0o755);
chmodSync(path.join(fakeBin, 'kubectl'), 0o755);

const address = (n: number) => `openstack_compute_instance_v2.Cluster_AgentPool-web_Node${n}_0000000${n}`;
const node = (role: string, pool: string, n: number, now: string, want: string) =>
  `${role} ${pool} webhost-production-${pool}-${n} ${role === 'server' ? `openstack_compute_instance_v2.Cluster_Servers_Node${n}_AAAAAAA${n}` : address(n)} ${now} ${want}`;
const PRODUCTION = [
  node('server', 'server', 1, 'a4-ram8-disk0', 'a4-ram8-disk0'),
  node('server', 'server', 2, 'a4-ram8-disk0', 'a4-ram8-disk0'),
  node('server', 'server', 3, 'a4-ram8-disk0', 'a4-ram8-disk0'),
  node('agent', 'web', 1, 'a8-ram32-disk0', 'a16-ram64-disk0'),
  node('agent', 'web', 2, 'a8-ram32-disk0', 'a16-ram64-disk0'),
  node('agent', 'web', 3, 'a16-ram64-disk0', 'a16-ram64-disk0'), // resized by an earlier, interrupted roll
].join('\n');

function run(args: string[], options: { nodes?: string; env?: Record<string, string>; before?: (dir: string) => void } = {}) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'roll-'));
  const stackDir = path.join(cwd, 'cdktf.out', 'stacks', 'production');
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(path.join(stackDir, 'cdk.tf.json'), '{}');
  const state = path.join(cwd, 'fake-state');
  mkdirSync(state);
  options.before?.(stackDir);
  const log = path.join(cwd, 'roll.log');
  const { KUBECONFIG: _, ...env } = process.env;
  const result = spawnSync('sh', [script, ...args], {
    cwd,
    encoding: 'utf8',
    env: {
      ...env,
      PATH: `${fakeBin}:${process.env.PATH}`,
      ROLL_LOG: log,
      FAKE_STATE: state,
      FAKE_NODES: options.nodes ?? PRODUCTION,
      ROLL_POLL_SECONDS: '0',
      ...options.env,
    },
  });
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return { ...result, calls, stackDir, steps: calls.filter((c) => !/^kubectl get |^tofu (init|output) /.test(c)) };
}

test('is valid POSIX sh', () => {
  expect(() => execFileSync('sh', ['-n', script])).not.toThrow();
});

describe('resize', () => {
  test('one node at a time: drained, resized by a plan of that instance alone, back after a reboot, uncordoned; then the next', () => {
    const result = run(['resize', 'production']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const override = (n: number) =>
      `override {"resource":{"openstack_compute_instance_v2":{"Cluster_AgentPool-web_Node${n}_0000000${n}":{"lifecycle":{"ignore_changes":["user_data","block_device","config_drive"]}}}}}`;
    const steps = (n: number) => [
      `kubectl drain webhost-production-web-${n} --ignore-daemonsets --delete-emptydir-data --timeout=15m`,
      `tofu plan -input=false -no-color -lock-timeout=5m -target=${address(n)} -out=roll.tfplan`,
      override(n),
      'tofu show -no-color roll.tfplan',
      'tofu apply -input=false -no-color -lock-timeout=5m roll.tfplan',
      `kubectl uncordon webhost-production-web-${n}`,
    ];
    // Nodes 1 and 2 of web, not node 3 (already resized) nor the servers (flavor unchanged).
    expect(result.steps).toEqual([...steps(1), ...steps(2)]);
    expect(result.stdout).toContain('== [1/2] webhost-production-web-1 (web): resize a8-ram32-disk0 -> a16-ram64-disk0');
    expect(result.stdout).toContain('rolled 2 node(s) of production, one at a time');
    // The drain respects PodDisruptionBudgets: evictions only.
    expect(result.calls.join('\n')).not.toMatch(/--force|--disable-eviction/);
    // The override is gone: the next plain apply ignores flavor_name again.
    expect(existsSync(path.join(result.stackDir, 'roll_override.tf.json'))).toBe(false);
  });

  test('drops exactly flavor_name from the attributes running instances ignore', () => {
    const text = readFileSync(script, 'utf8');
    const listed = JSON.parse(/"ignore_changes":(\[[^\]]*\])/.exec(text)![1].replace(/\\"/g, '"'));
    expect(listed).toEqual(NodePool.IMMUTABLE_ATTRIBUTES.filter((a) => a !== 'flavor_name'));
    expect(NodePool.IMMUTABLE_ATTRIBUTES).toContain('flavor_name');
  });

  test('kubectl uses the platform-deployer credentials from the stack outputs unless KUBECONFIG is set', () => {
    const result = run(['resize', 'production', 'web']);
    for (const output of ['api_endpoint', 'cluster_ca_certificate', 'platform_client_certificate', 'platform_client_key']) {
      expect(result.calls).toContain(`tofu output -raw ${output}`);
    }
    const own = run(['resize', 'production', 'web'], { env: { KUBECONFIG: '/home/ops/.kube/config' } });
    expect(own.calls.filter((c) => c.startsWith('tofu output'))).toEqual(['tofu output -raw nodes']);
  });

  test('stops at a drain that a PodDisruptionBudget holds back: that node stays cordoned, nothing is resized, no later node is touched', () => {
    const result = run(['resize', 'production'], { env: { FAKE_DRAIN_FAILS: 'webhost-production-web-2' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'roll-nodes.sh: the drain of webhost-production-web-2 did not finish within 15m (a PodDisruptionBudget or a pod that does not stop); nothing was resized. webhost-production-web-2 stays cordoned: fix it and run again, or kubectl uncordon webhost-production-web-2',
    );
    expect(result.steps.filter((c) => c.startsWith('tofu apply'))).toHaveLength(1);
    expect(result.steps.at(-1)).toBe('kubectl drain webhost-production-web-2 --ignore-daemonsets --delete-emptydir-data --timeout=15m');
    expect(existsSync(path.join(result.stackDir, 'roll_override.tf.json'))).toBe(false);
  });

  test('applies nothing when the targeted plan does more than resize that instance (pending changes elsewhere)', () => {
    const result = run(['resize', 'production'], { env: { FAKE_SUMMARY: 'Plan: 1 to add, 1 to change, 0 to destroy.' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `the plan for webhost-production-web-1 is not 'Plan: 0 to add, 1 to change, 0 to destroy., flavor_name a8-ram32-disk0 -> a16-ram64-disk0, of ${address(1)} alone': not applied`,
    );
    expect(result.calls.filter((c) => c.startsWith('tofu apply'))).toEqual([]);
  });

  test('waits for the node to reboot and be Ready, and stops, cordoned, when it does not come back', () => {
    const result = run(['resize', 'production', 'web'], { env: { FAKE_NO_REBOOT: '1', ROLL_READY_TIMEOUT_SECONDS: '0' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('webhost-production-web-1 did not come back Ready after a reboot within 0s; the roll stops here (it stays cordoned)');
    expect(result.steps.filter((c) => c.startsWith('kubectl uncordon'))).toEqual([]);
    expect(result.steps.filter((c) => c.startsWith('tofu apply'))).toHaveLength(1);
  });

  test('nothing to do when every node has its configured flavor', () => {
    const result = run(['resize', 'production', 'web'], { nodes: PRODUCTION.replaceAll('a8-ram32-disk0', 'a16-ram64-disk0') });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('nothing to resize in production pool web: every node has its configured flavor');
    expect(result.steps).toEqual([]);
  });

  test('resizes the only server of a cluster only when told to, since the API stops meanwhile', () => {
    const single = 'server server webhost-test-server-1 openstack_compute_instance_v2.Cluster_Servers_Node1_AAAAAAA1 a2-ram4-disk0 a4-ram8-disk0';
    const refused = run(['resize', 'production'], { nodes: single });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('has a single server: resizing it stops the Kubernetes API until it is back (etcd stays on its volume); set ROLL_ALLOW_ONLY_SERVER=1');
    expect(refused.steps).toEqual([]);
    const allowed = run(['resize', 'production'], { nodes: single, env: { ROLL_ALLOW_ONLY_SERVER: '1' } });
    expect(allowed.status).toBe(0);
    expect(allowed.steps.filter((c) => c.startsWith('tofu apply'))).toHaveLength(1);
  });

  test('refuses to start over an override a killed roll left behind, and names an unknown pool', () => {
    const stale = run(['resize', 'production'], { before: (dir) => writeFileSync(path.join(dir, 'roll_override.tf.json'), '{}') });
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('roll_override.tf.json exists, left by a roll that was killed');
    expect(stale.calls).toEqual([]);
    expect(run(['resize', 'production', 'gpu']).stderr).toContain('roll-nodes.sh: production has no pool gpu');
  });
});

describe('replace', () => {
  test('every node of an agent pool, one at a time: drained, its Node deleted, replaced alone, back, uncordoned', () => {
    const result = run(['replace', 'production', 'web'], { env: { FAKE_SUMMARY: 'Plan: 1 to add, 0 to change, 1 to destroy.' } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const steps = (n: number) => [
      `kubectl drain webhost-production-web-${n} --ignore-daemonsets --delete-emptydir-data --timeout=15m`,
      `kubectl delete node webhost-production-web-${n}`,
      `tofu plan -input=false -no-color -lock-timeout=5m -target=${address(n)} -replace=${address(n)} -out=roll.tfplan`,
      'tofu show -no-color roll.tfplan',
      'tofu apply -input=false -no-color -lock-timeout=5m roll.tfplan',
      `kubectl uncordon webhost-production-web-${n}`,
    ];
    expect(result.steps).toEqual([...steps(1), ...steps(2), ...steps(3)]);
  });

  test('refuses the servers: a server is replaced by hand, never the only one', () => {
    const result = run(['replace', 'production', 'server']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('replace rolls agent pools only');
    expect(result.steps).toEqual([]);
  });

  test('needs a pool, and names an unknown mode', () => {
    expect(run(['replace', 'production']).stderr).toContain('replace needs a POOL');
    expect(run(['restart', 'production']).stderr).toContain('unknown mode restart');
  });
});
