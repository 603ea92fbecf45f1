import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The layout's rules, checked on the sources: no module of lib/ or stacks/ imports
 * itself through others at run time (type-only imports are erased and do not count).
 * A cycle makes the load order decide which bindings are still undefined.
 */
const ROOT = path.join(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

/** The project-relative modules `file` imports at run time. */
function runtimeImports(file: string, source: string): string[] {
  const targets: string[] = [];
  for (const match of source.matchAll(/^(import|export)\s+(type\s+)?[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gms)) {
    if (match[2]) continue;
    const base = path.normalize(path.join(path.dirname(file), match[3]));
    const target = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(path.join(ROOT, candidate)));
    if (target) targets.push(target);
  }
  return targets;
}

function cycles(files: string[]): string[] {
  const graph = new Map(files.map((file) => [file, runtimeImports(file, fs.readFileSync(path.join(ROOT, file), 'utf8'))]));
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const found: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    trail.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...trail.slice(trail.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    trail.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return found;
}

describe('layout', () => {
  test('reads runtime imports and skips type-only ones', () => {
    const file = 'lib/rke2/cloud-init.ts';
    expect(runtimeImports(file, "import { a } from './manifests';\nimport type { B } from './pki';\nexport { c } from './kubelet';")).toEqual([
      'lib/rke2/manifests.ts',
      'lib/rke2/kubelet.ts',
    ]);
  });

  test('finds a cycle when there is one', () => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'lib', '.cycle-probe-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b';\nexport const a = b;\n");
      fs.writeFileSync(path.join(dir, 'b.ts'), "import { a } from './a';\nexport const b = a;\n");
      const rel = path.relative(ROOT, dir);
      expect(cycles([path.join(rel, 'a.ts'), path.join(rel, 'b.ts')])).toEqual([`${rel}/a.ts -> ${rel}/b.ts -> ${rel}/a.ts`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no module of lib/ or stacks/ imports itself through others', () => {
    expect(cycles([...sources('lib'), ...sources('stacks')])).toEqual([]);
  });

  test('stacks/ holds no cdktf internals: framework work lives in lib/cdktf/', () => {
    const internals = sources('stacks').filter((file) =>
      /from 'cdktf\/lib\/|\bDefaultTokenResolver\b|\bStringConcat\b|\btoTerraform\(\)\s*[:{]|\bprepareStack\(\)\s*[:{]/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')),
    );
    expect(internals).toEqual([]);
  });

  test('lib/delivery reads no layer above it (config, sites, platform): the pipeline gets its stacks and environments handed in', () => {
    const upward = sources('lib/delivery').flatMap((file) =>
      [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)'/g)]
        .map((m) => path.normalize(path.join(path.dirname(file), m[1])))
        .filter((target) => /^lib\/(config|sites|platform|aspects|openstack|rke2)\b|^stacks\b/.test(target))
        .map((target) => `${file} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });
});
