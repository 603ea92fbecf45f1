'use strict';
/**
 * Runs one of the project's TypeScript entry points with plain node:
 *
 *   node scripts/run.cjs main.ts [args...]
 *
 * The entry and the project modules it imports are bundled by esbuild (the one
 * tsx brings) into `dist/<entry>.js`; packages stay in node_modules and are
 * loaded from there, as with tsx. The bundle is rebuilt when any of its inputs
 * (each project file it was made from, tsconfig.json, this file, the esbuild
 * version) changed size or mtime, which takes about half a second; otherwise
 * it is loaded as it is. Compared with `npx tsx main.ts` this drops two node
 * processes (npx and tsx's own), the per-file transform and the source maps
 * node would load for every module, about 1.2 s of CPU per synth.
 *
 * What the bundle keeps of the sources' semantics: esbuild's TypeScript
 * transform is the one tsx runs (same tsconfig); function and class names are
 * kept; `__dirname` and `__filename` in a project file mean that file's folder
 * and path, not the bundle's. With PLATFORM_DEBUG set (the synth's trace
 * switch) traces name the TypeScript lines: source maps are enabled then.
 *
 * The inputs are written into the bundle itself, as its last line, so that a
 * bundle and the list it is checked against are replaced together
 * (rename-over: two runs at once each write a whole file).
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'dist');
const INPUTS_MARK = '\n//# bundle-inputs=';

// A devDependency of its own, pinned in package.json (the same version tsx uses, so npm keeps one copy).
function esbuild() {
  return require(require.resolve('esbuild', { paths: [ROOT] }));
}

function esbuildVersion() {
  return require(require.resolve('esbuild/package.json', { paths: [ROOT] })).version;
}

/** [size, mtimeMs] of a file, or null when it is gone. */
function fingerprint(file) {
  try {
    const stat = fs.statSync(path.join(ROOT, file));
    return [stat.size, stat.mtimeMs];
  } catch {
    return null;
  }
}

/** The inputs a bundle records, or undefined when it has none (missing, partly written, older format). */
function recordedInputs(bundle) {
  let text;
  try {
    text = fs.readFileSync(bundle, 'utf8');
  } catch {
    return undefined;
  }
  const at = text.lastIndexOf(INPUTS_MARK);
  if (at < 0) return undefined;
  try {
    return JSON.parse(text.slice(at + INPUTS_MARK.length));
  } catch {
    return undefined;
  }
}

/** Whether the bundle was built from the files as they are now (sizes and mtimes; esbuild's version). */
function isFresh(bundle) {
  const recorded = recordedInputs(bundle);
  if (recorded === undefined || typeof recorded.files !== 'object') return false;
  if (recorded.esbuild !== esbuildVersion()) return false;
  for (const [file, print] of Object.entries(recorded.files)) {
    if (JSON.stringify(fingerprint(file)) !== JSON.stringify(print)) return false;
  }
  return true;
}

/** `__dirname` and `__filename` of a project file, as seen from the bundle's folder. */
function sourcePathsPlugin(bundleDir) {
  return {
    name: 'source-paths',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
        if (args.path.split(path.sep).includes('node_modules')) return undefined;
        const text = await fs.promises.readFile(args.path, 'utf8');
        if (!/\b__(dirname|filename)\b/.test(text)) return { contents: text, loader: 'ts' };
        const relative = (to) => JSON.stringify(path.relative(bundleDir, to).split(path.sep).join('/'));
        const replaced = text.replace(/\b__(dirname|filename)\b/g, (_, which) =>
          which === 'dirname'
            ? `require("node:path").join(__dirname, ${relative(path.dirname(args.path))})`
            : `require("node:path").join(__dirname, ${relative(args.path)})`,
        );
        return { contents: replaced, loader: 'ts' };
      });
    },
  };
}

/** Bundles `entry` (relative to the project root) into `bundle`, inputs recorded at its end. */
async function build(entry, bundle) {
  const result = await esbuild().build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    write: false,
    logLevel: 'warning',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    plugins: [sourcePathsPlugin(path.dirname(bundle))],
  });
  const files = {};
  const own = path.relative(ROOT, __filename).split(path.sep).join('/');
  for (const file of [...Object.keys(result.metafile.inputs), 'tsconfig.json', own].sort()) files[file] = fingerprint(file);
  const inputs = JSON.stringify({ esbuild: esbuildVersion(), files });
  fs.mkdirSync(path.dirname(bundle), { recursive: true });
  // The map first, then the bundle that names it: each written whole and renamed into place.
  const outputs = result.outputFiles.sort((a, b) => (a.path.endsWith('.map') ? -1 : b.path.endsWith('.map') ? 1 : 0));
  for (const output of outputs) {
    const temporary = `${output.path}.${process.pid}.tmp`;
    const text = output.path === bundle ? `${output.text.replace(/\n?$/, '')}${INPUTS_MARK}${inputs}\n` : output.text;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, output.path);
  }
}

/** The bundle of an entry point (relative to the project root) and whether it is up to date. */
function bundleOf(entry) {
  const source = path.relative(ROOT, path.resolve(ROOT, entry)).split(path.sep).join('/');
  if (source.startsWith('../') || !/\.ts$/.test(source)) throw new Error(`run.cjs: ${entry} is not a TypeScript file of the project`);
  const bundle = path.join(OUT, source.replace(/\.ts$/, '.js'));
  return { source, bundle, fresh: isFresh(bundle) };
}

/** Builds the bundle of an entry point when it is missing or stale; resolves to its path. */
async function bundled(entry) {
  const { source, bundle, fresh } = bundleOf(entry);
  if (!fresh) await build(source, bundle);
  return bundle;
}

/**
 * cdktf loads archiver (and with it readable-stream, glob and a dozen more)
 * when it starts, to zip assets; this project has none: about 50 ms of every
 * run. Put in node's module cache as a stand-in that loads the real one when
 * first called, as cdktf calls it (`archiver("zip", options)`).
 */
function deferArchiver() {
  let file;
  try {
    file = require.resolve('archiver', { paths: [path.dirname(require.resolve('cdktf', { paths: [ROOT] }))] });
  } catch {
    return;
  }
  if (require.cache[file] !== undefined) return;
  const Module = require('node:module');
  const standIn = new Module(file, module);
  standIn.filename = file;
  standIn.loaded = true;
  let real;
  standIn.exports = function archiver(...args) {
    if (real === undefined) {
      delete require.cache[file];
      real = require(file);
    }
    return real(...args);
  };
  require.cache[file] = standIn;
}

module.exports = { bundled, bundleOf };

if (require.main === module) {
  const [entry, ...args] = process.argv.slice(2);
  if (entry === undefined) {
    console.error('usage: node scripts/run.cjs <entry.ts> [args...]');
    process.exit(2);
  }
  const run = (bundle) => {
    if (process.env.PLATFORM_DEBUG && process.env.PLATFORM_DEBUG !== '0') process.setSourceMapsEnabled(true);
    // The entry sees its arguments where it would under tsx: process.argv[2] onwards.
    process.argv = [process.argv[0], bundle, ...args];
    deferArchiver();
    require(bundle);
  };
  const { source, bundle, fresh } = bundleOf(entry);
  // Up to date (every run but the first after a change): loaded at once, no promise in between.
  if (fresh) run(bundle);
  else {
    build(source, bundle).then(
      () => setImmediate(run, bundle),
      (err) => {
        console.error(`run.cjs: could not build ${entry}: ${err instanceof Error ? err.message : err}`);
        process.exit(1);
      },
    );
  }
}
