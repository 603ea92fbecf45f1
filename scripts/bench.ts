/**
 * Synth benchmark: the whole platform (three cluster stacks) plus N generated
 * tenant websites in their sites stacks, synthesized exactly as `npm run synth`
 * does (guardrails, synth, secret scan, atomic swap) into a temporary directory.
 *
 *   npx tsx scripts/bench.ts --sites 5000 [--per-shard 200] [--keep]
 *
 * Prints wall time per phase, peak memory (resident set, and the JS heap) and
 * resources per second. Run one size per process: peak RSS is per process.
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

const TRADES = ['baeckerei', 'kanzlei', 'skischule', 'zahnarzt', 'hotel', 'schreinerei', 'weingut', 'physio', 'garage', 'coiffeur'];
const PLACES = ['zuerich', 'bern', 'basel', 'luzern', 'chur', 'sion', 'thun', 'aarau', 'zug', 'davos'];

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs a whole number, got ${process.argv[at + 1]}`);
  return value;
}

/** A raw catalog (as parsed from YAML) of `count` plausible sites, ids 1..count. */
export function generatedCatalog(count: number, sitesPerShard: number): unknown {
  const sites = Array.from({ length: count }, (_, i) => {
    const id = i + 1;
    const name = `${TRADES[i % TRADES.length]}-${PLACES[Math.floor(i / TRADES.length) % PLACES.length]}-${id}`;
    return {
      id,
      name,
      hosts: [`${name}.ch`, `www.${name}.ch`],
      image: i % 3 === 0 ? 'docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine' : `ghcr.io/alpenweb-agentur/${name}:1.${i % 10}.0`,
      resources: { cpuMillis: 50 + (i % 4) * 50, memoryMiB: 64 * (1 + (i % 3)) },
      autoscaling: { maxReplicas: 2 + (i % 9), cpuTargetPercent: 60 + (i % 4) * 5 },
      environments: i % 20 === 0 ? ['production', 'test'] : ['production'],
    };
  });
  return { sitesPerShard, testDomain: 'test.webhost.ch', highestSiteIdEver: count, sites };
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
  const resources = countResources(outdir);
  const heap = process.memoryUsage();
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;

  console.log(`sites            ${count} (${Math.ceil(count / perShard)} production shards of ${perShard})`);
  console.log(`resources        ${resources} in ${readdirSync(path.join(outdir, 'stacks')).length} stacks`);
  console.log(`catalog          ${seconds(catalogDone - start)}  (generate and validate)`);
  console.log(`build            ${seconds(built - catalogDone)}  (constructs)`);
  console.log(`synth            ${seconds(end - built)}  (guardrails, synth, secret scan, swap)`);
  console.log(`wall             ${seconds(end - start)}  (process total ${seconds(performance.now())})`);
  console.log(`peak memory      ${mib(maxRssBytes)} RSS (heap now ${mib(heap.heapUsed)} of ${mib(heap.heapTotal)})`);
  console.log(`throughput       ${Math.round(resources / ((end - start) / 1000))} resources/s`);
  if (keep) console.log(`output           ${outdir}`);
  else rmSync(parent, { recursive: true, force: true });
}

main();
