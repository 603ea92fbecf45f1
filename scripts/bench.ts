/**
 * Synth benchmark: the whole platform (three cluster stacks) plus N generated
 * tenant websites in their sites stacks, synthesized exactly as `npm run synth`
 * does (guardrails, synth, secret scan, atomic swap) into a temporary directory.
 *
 *   npm run bench                                   # 500, 1,000 and 5,000 sites, three runs each
 *   npm run bench -- --sizes 1000,2000 [--runs 5]   # other sizes
 *   npm run bench -- --sites 5000 [--per-shard 200] [--keep]   # one run, by phase
 *
 * With `--sizes` (the default) every run is a process of its own, started the
 * way `npm run synth` starts its node (the flags of package.json's synth
 * script, `scripts/run.cjs`, the bundle), and the table gives the median of
 * the runs: CPU time of that process and its children (user + system, from
 * the start of node to the end of the synth, module loading included; npm's
 * own process, about 0.3 s, and the benchmark's count of the resources
 * written afterwards are not counted) and its peak memory (resident set). With `--sites` one run in this process prints
 * wall time per phase, the CPU time and peak memory of the whole process, and
 * resources per second. On a shared machine compare CPU time, not wall time:
 * other processes stretch the wall clock, not the CPU this process uses.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { App } from 'cdktf';
import { loadPlatformConfig } from '../lib/config';
import { synthesizeAtomically } from '../lib/output';
import { catalogOptionsOf, validateSitesCatalog } from '../lib/sites/catalog';
import { buildPlatform } from '../stacks';
import { generatedCatalog } from './lib/generated-catalog';

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs a whole number, got ${process.argv[at + 1]}`);
  return value;
}

function countResources(outdir: string): number {
  let total = 0;
  for (const stack of readdirSync(path.join(outdir, 'stacks'))) {
    const json = JSON.parse(readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    for (const items of Object.values<Record<string, unknown>>(json.resource ?? {})) total += Object.keys(items).length;
  }
  return total;
}

/** What one run measured. */
interface RunFigures {
  readonly sites: number;
  readonly resources: number;
  readonly stacks: number;
  readonly cpuSeconds: number;
  readonly peakMiB: number;
}

function singleRun(): void {
  const count = argument('sites', 1000);
  const perShard = argument('per-shard', 200);
  const keep = process.argv.includes('--keep');
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

  const start = performance.now();
  const { config } = loadPlatformConfig({});
  const raw = generatedCatalog(count, perShard);
  const catalog = validateSitesCatalog(raw, 'generated', catalogOptionsOf(config));
  const catalogDone = performance.now();

  const parent = mkdtempSync(path.join(tmpdir(), 'webhost-bench-'));
  let built = 0;
  const outdir = synthesizeAtomically(
    (staging) => {
      const app = new App({ stackTraces: false, outdir: staging });
      buildPlatform(app, config, catalog);
      built = performance.now();
      return app;
    },
    { outdir: path.join(parent, 'cdktf.out'), env: {} },
  );
  const end = performance.now();
  const usage = process.resourceUsage();
  // What the synth started and waited for (cdktf's `terraform version`), measured here too.
  const childrenSeconds = childrenCpuSeconds() ?? 0;
  const heap = process.memoryUsage();
  const resources = countResources(outdir);
  const stacks = readdirSync(path.join(outdir, 'stacks')).length;
  const maxRssBytes = usage.maxRSS * 1024;
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;

  console.log(`sites            ${count} (${Math.ceil(count / perShard)} production shards of ${perShard})`);
  console.log(`resources        ${resources} in ${stacks} stacks`);
  console.log(`catalog          ${seconds(catalogDone - start)}  (generate and validate)`);
  console.log(`build            ${seconds(built - catalogDone)}  (constructs)`);
  console.log(`synth            ${seconds(end - built)}  (guardrails, synth, secret scan, swap)`);
  console.log(`wall             ${seconds(end - start)}  (process total ${seconds(performance.now())})`);
  console.log(
    `cpu              ${seconds(cpuMs)}  (user ${seconds(usage.userCPUTime / 1000)} + system ${seconds(usage.systemCPUTime / 1000)}, whole process; its child processes ${childrenSeconds.toFixed(2)} s more)`,
  );
  console.log(`peak memory      ${mib(maxRssBytes)} RSS (heap now ${mib(heap.heapUsed)} of ${mib(heap.heapTotal)})`);
  console.log(`throughput       ${Math.round(resources / ((end - start) / 1000))} resources/s`);
  if (keep) console.log(`output           ${outdir}`);
  else rmSync(parent, { recursive: true, force: true });
  if (process.argv.includes('--json')) {
    const figures: RunFigures = {
      sites: count,
      resources,
      stacks,
      cpuSeconds: cpuMs / 1000 + childrenSeconds,
      peakMiB: maxRssBytes / 2 ** 20,
    };
    console.log(`figures ${JSON.stringify(figures)}`);
  }
}

const ROOT = path.join(__dirname, '..');

/** The node flags of package.json's synth script (`node <flags> scripts/run.cjs main.ts`): the runs start node alike. */
function synthNodeFlags(): string[] {
  const script: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.synth;
  const words = script.split(/\s+/);
  const launcher = words.indexOf('scripts/run.cjs');
  if (words[0] !== 'node' || launcher < 0) throw new Error(`bench: the synth script is not "node [flags] scripts/run.cjs main.ts": ${script}`);
  return words.slice(1, launcher);
}

/** User + system CPU seconds of this process's waited-for children so far (Linux), or undefined elsewhere. */
function childrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of proc(5) (cutime, cstime), counted from field 3 here; clock ticks of 1/100 s.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs each size `runs` times, each in a fresh process, and prints the medians. */
function sizesRun(): void {
  const at = process.argv.indexOf('--sizes');
  const sizes = (at < 0 ? '500,1000,5000' : process.argv[at + 1] ?? '').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`--sizes needs whole numbers separated by commas, got ${process.argv[at + 1]}`);
  const runs = argument('runs', 3);
  const perShard = argument('per-shard', 200);
  const flags = synthNodeFlags();
  const command = [process.execPath, ...flags, 'scripts/run.cjs', 'scripts/bench.ts'];
  console.log(`each run: node ${[...flags, 'scripts/run.cjs', 'scripts/bench.ts'].join(' ')} --sites N --per-shard ${perShard}; median of ${runs}`);
  console.log('| sites | resources | stacks | CPU | peak memory |');
  console.log('|---|---|---|---|---|');
  for (const sites of sizes) {
    const figures: RunFigures[] = [];
    for (let run = 0; run < runs; run++) {
      const child = spawnSync(command[0], [...command.slice(1), '--sites', String(sites), '--per-shard', String(perShard), '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 2 ** 26,
      });
      const line = child.stdout?.split('\n').find((l) => l.startsWith('figures '));
      if (child.status !== 0 || line === undefined) throw new Error(`bench: the run with ${sites} sites failed:\n${child.stderr}${child.stdout}`);
      figures.push(JSON.parse(line.slice('figures '.length)) as RunFigures);
    }
    const { resources, stacks } = figures[0];
    const cpu = median(figures.map((f) => f.cpuSeconds));
    const peak = median(figures.map((f) => f.peakMiB));
    console.log(`| ${sites.toLocaleString('en-US')} | ${resources.toLocaleString('en-US')} | ${stacks} | ${cpu.toFixed(2)} s | ${peak.toFixed(0)} MiB |`);
  }
}

if (process.argv.includes('--sites')) singleRun();
else sizesRun();
