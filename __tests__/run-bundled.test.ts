import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * scripts/run.cjs (how npm run synth, npx cdktf synth and npm run bench start
 * node), on a small project of its own in a temporary folder: the launcher
 * copied into its scripts/, node_modules linked to the project's.
 */
const repo = path.join(__dirname, '..');
let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'webhost-run-'));
  mkdirSync(path.join(work, 'scripts'));
  mkdirSync(path.join(work, 'lib', 'deep'), { recursive: true });
  copyFileSync(path.join(repo, 'scripts', 'run.cjs'), path.join(work, 'scripts', 'run.cjs'));
  copyFileSync(path.join(repo, 'tsconfig.json'), path.join(work, 'tsconfig.json'));
  symlinkSync(path.join(repo, 'node_modules'), path.join(work, 'node_modules'));
  writeFileSync(
    path.join(work, 'lib', 'deep', 'where.ts'),
    "import * as path from 'node:path';\nexport const FOLDER = __dirname;\nexport const FILE = path.basename(__filename);\nexport const VERSION: number = 1;\n",
  );
  writeFileSync(
    path.join(work, 'main.ts'),
    [
      "import * as path from 'node:path';",
      "import { FILE, FOLDER, VERSION } from './lib/deep/where';",
      'class Named {}',
      "const archiverFile = require.resolve('archiver', { paths: [path.dirname(require.resolve('cdktf'))] });",
      'const archiver = require(archiverFile);',
      'console.log(JSON.stringify({ folder: FOLDER, file: FILE, version: VERSION, args: process.argv.slice(2), name: Named.name,',
      "  deferred: require.cache[archiverFile]?.exports === archiver, zip: typeof archiver('zip').pipe }));",
    ].join('\n'),
  );
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(...args: string[]): Record<string, unknown> {
  const result = spawnSync(process.execPath, [path.join(work, 'scripts', 'run.cjs'), 'main.ts', ...args], { cwd: work, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout);
}

const bundle = () => path.join(work, 'dist', 'main.js');

describe('scripts/run.cjs', () => {
  it('bundles the entry into dist/ and runs it with its arguments, folders and names as in the sources', () => {
    expect(run('--stack', 'a,b')).toEqual({
      folder: path.join(work, 'lib', 'deep'),
      file: 'where.ts',
      version: 1,
      args: ['--stack', 'a,b'],
      name: 'Named',
      deferred: true,
      zip: 'function',
    });
    expect(readFileSync(bundle(), 'utf8')).toContain('lib/deep/where.ts');
  });

  it('loads the bundle as it is while no input changed', () => {
    run();
    const before = statSync(bundle()).mtimeMs;
    run();
    expect(statSync(bundle()).mtimeMs).toBe(before);
  });

  it('rebuilds when a project file it was made from changed', () => {
    run();
    const where = path.join(work, 'lib', 'deep', 'where.ts');
    writeFileSync(where, readFileSync(where, 'utf8').replace('VERSION: number = 1', 'VERSION: number = 22'));
    expect(run().version).toBe(22);
  });

  it('rebuilds a bundle that lacks its list of inputs (cut short, or written by something else)', () => {
    run();
    writeFileSync(bundle(), 'console.log("{}");\n');
    expect(run().version).toBe(22);
  });
});
