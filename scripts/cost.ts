/**
 * npm run cost: a monthly cost estimate of every synthesized stack, one table
 * per environment, at Infomaniak's list prices (lib/cost/prices.ts).
 *
 *   npm run cost [-- --object-storage-gb N] [--synth] [--outdir DIR]
 *
 * Reads cdktf.out (synthesizing it first with `tsx main.ts`, as npm run synth
 * does, when it is missing or --synth is given), so it prices exactly what
 * tofu would apply. Warns when the config or the code is newer than the output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { CostEstimateError, estimateOutdir, formatCostReport } from '../lib/cost';

const ROOT = path.join(__dirname, '..');
const USAGE = 'usage: npm run cost [-- --object-storage-gb N] [--synth] [--outdir DIR]';

interface Args {
  outdir: string;
  synth: boolean;
  objectStorageGBPerContainer?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { outdir: path.join(ROOT, 'cdktf.out'), synth: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value\n${USAGE}`);
    switch (flag) {
      case '--outdir':
        args.outdir = path.resolve(value());
        break;
      case '--synth':
        args.synth = true;
        break;
      case '--object-storage-gb': {
        const text = value();
        const gb = Number(text);
        if (text.trim() === '' || !Number.isFinite(gb) || gb < 0) fail(`--object-storage-gb ${text}: must be a number of GB stored per container, 0 or more`);
        args.objectStorageGBPerContainer = gb;
        break;
      }
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
      default:
        fail(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  return args;
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** Runs the app's synth (the same command as npm run synth) into the default cdktf.out. */
function synthesize(reason: string): void {
  console.error(`${reason}: synthesizing first (npm run synth) ...`);
  const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'main.ts'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) fail('synth failed (see above); fix it, then run npm run cost again');
}

/** The newest config or code file newer than the output, if any: the estimate may not match them. */
function newerSource(manifest: string): string | undefined {
  const built = statSync(manifest).mtimeMs;
  const candidates = [path.join(ROOT, 'main.ts'), ...files(path.join(ROOT, 'config')), ...files(path.join(ROOT, 'stacks')), ...files(path.join(ROOT, 'lib'))];
  return candidates
    .filter((file) => !file.startsWith(path.join(ROOT, 'lib', 'cost')) && /\.(ts|ya?ml)$/.test(file))
    .find((file) => existsSync(file) && statSync(file).mtimeMs > built);
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? files(full) : [full];
  });
}

const args = parseArgs(process.argv.slice(2));
const manifest = path.join(args.outdir, 'manifest.json');
const isDefaultOutdir = args.outdir === path.join(ROOT, 'cdktf.out');
if (args.synth || !existsSync(manifest)) {
  if (!isDefaultOutdir) fail(`${manifest} not found; synthesize into ${args.outdir} first, or leave --outdir out`);
  synthesize(args.synth ? '--synth' : `${path.relative(process.cwd(), manifest) || manifest} not found`);
} else {
  const newer = newerSource(manifest);
  if (newer) {
    console.error(`warning: ${path.relative(ROOT, newer)} is newer than ${path.relative(process.cwd(), args.outdir)}; run npm run synth (or npm run cost -- --synth) to price the current config\n`);
  }
}

try {
  const estimate = estimateOutdir(args.outdir, { objectStorageGBPerContainer: args.objectStorageGBPerContainer });
  console.log(formatCostReport(estimate, `Monthly cost estimate of ${path.relative(process.cwd(), args.outdir) || args.outdir}`));
} catch (err) {
  if (!(err instanceof CostEstimateError)) throw err;
  fail(err.message);
}
