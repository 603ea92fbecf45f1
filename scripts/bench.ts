/**
 * Synth benchmark: the whole platform (three cluster stacks) plus N generated
 * tenant websites in their sites stacks, synthesized exactly as `npm run synth`
 * does (guardrails, synth, secret scan, atomic swap) into a temporary directory.
 *
 *   npx tsx scripts/bench.ts --sites 5000 [--per-shard 200] [--keep]
 *
 * Prints wall time per phase, the CPU time of the whole process (user + system,
 * module loading included), peak memory (resident set, and the JS heap) and
 * resources per second. Run one size per process: peak RSS is per process. On a
 * shared machine compare CPU time, not wall time: other processes stretch the
 * wall clock, not the CPU this process uses.
 */
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

function main(): void {
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
  const heap = process.memoryUsage();
  const resources = countResources(outdir);
  const maxRssBytes = usage.maxRSS * 1024;
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;

  console.log(`sites            ${count} (${Math.ceil(count / perShard)} production shards of ${perShard})`);
  console.log(`resources        ${resources} in ${readdirSync(path.join(outdir, 'stacks')).length} stacks`);
  console.log(`catalog          ${seconds(catalogDone - start)}  (generate and validate)`);
  console.log(`build            ${seconds(built - catalogDone)}  (constructs)`);
  console.log(`synth            ${seconds(end - built)}  (guardrails, synth, secret scan, swap)`);
  console.log(`wall             ${seconds(end - start)}  (process total ${seconds(performance.now())})`);
  console.log(`cpu              ${seconds(cpuMs)}  (user ${seconds(usage.userCPUTime / 1000)} + system ${seconds(usage.systemCPUTime / 1000)}, whole process)`);
  console.log(`peak memory      ${mib(maxRssBytes)} RSS (heap now ${mib(heap.heapUsed)} of ${mib(heap.heapTotal)})`);
  console.log(`throughput       ${Math.round(resources / ((end - start) / 1000))} resources/s`);
  if (keep) console.log(`output           ${outdir}`);
  else rmSync(parent, { recursive: true, force: true });
}

main();
