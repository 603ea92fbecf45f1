import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { App, TerraformStack } from 'cdktf';
import { parse } from 'yaml';
import { loadPlatformConfig } from '../lib/config';
import { MANUAL_APPLY, PLAN_FILE, pipelineStacks, renderGitlabPipeline } from '../lib/delivery/gitlab-ci';
import { loadSitesCatalog } from '../lib/sites/catalog';
import { buildPlatform } from '../stacks';

const repo = path.join(__dirname, '..');
const committed = readFileSync(path.join(repo, '.gitlab-ci.yml'), 'utf8');
const pipeline = parse(committed) as Record<string, any>;

/** The app `npm run synth` builds: default config and the example sites catalog. */
function defaultApp(): App {
  const { config } = loadPlatformConfig({});
  const { catalog } = loadSitesCatalog({ allowedRegistries: config.guardrails.allowedRegistries }, {});
  const app = new App({ stackTraces: false, outdir: mkdtempSync(path.join(tmpdir(), 'pipeline-')) });
  buildPlatform(app, config, catalog);
  return app;
}

const app = defaultApp();
const stackNames = app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c)).map((s) => s.node.id);
/** `sh scripts/ci/tofu-stacks.sh <mode> a b c` -> { mode, stacks } */
const tofuRun = (job: any) => {
  const line = (job.script as string[]).find((l) => l.startsWith('sh scripts/ci/tofu-stacks.sh '))!;
  const [, , mode, ...stacks] = line.split(' ');
  return { mode, stacks };
};

test('the committed .gitlab-ci.yml is what the generator makes from the app (run npm run pipeline after changing stacks)', () => {
  expect(committed).toBe(renderGitlabPipeline(pipelineStacks(app)));
});

const schemaFile = path.join(repo, '..', 'shared', 'schemas', 'gitlab-ci.json');
const schemaTest = existsSync(schemaFile) ? test : test.skip;
if (!existsSync(schemaFile)) console.warn(`GitLab's CI schema is absent (${schemaFile}): the schema test is skipped`);
schemaTest("conforms to GitLab's own JSON schema for .gitlab-ci.yml", () => {
  // strict: false because GitLab's schema uses keywords ajv does not know (markdownDescription);
  // formats are not checked (the schema names a few ajv has no validator for).
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
  const ok = validate(pipeline);
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
  // The schema really rejects something: a job whose script is a number.
  expect(validate({ ...pipeline, broken: { stage: 'test', script: 42 } })).toBe(false);
});

describe('every stack the app synthesizes', () => {
  const byEnvironment = pipelineStacks(app);

  test('is validated', () => {
    expect(tofuRun(pipeline.validate).stacks.sort()).toEqual([...stackNames].sort());
  });

  test.each(['tools', 'production', 'test'] as const)('of %s is planned, then applied from the saved plan, in dependency order', (env) => {
    const expected = stackNames.filter((s) => s === env || s.startsWith(`${env}-`));
    const plan = tofuRun(pipeline[`plan:${env}`]);
    const apply = tofuRun(pipeline[`apply:${env}`]);
    expect(plan.mode).toBe('plan');
    expect(apply.mode).toBe('apply');
    expect([...plan.stacks].sort()).toEqual([...expected].sort());
    expect(apply.stacks).toEqual(plan.stacks);
    // The cluster first, then its platform layer, then the sites shards.
    expect(plan.stacks[0]).toBe(env);
    expect(plan.stacks[1]).toBe(`${env}-platform`);
    const position = (name: string) => plan.stacks.indexOf(name);
    for (const stack of byEnvironment[env]) {
      for (const dependency of stack.dependsOn) expect(position(dependency)).toBeLessThan(position(stack.name));
    }
    // The apply job gets the plan job's plan files and lock files.
    expect(pipeline[`apply:${env}`].needs).toContain(`plan:${env}`);
    expect(pipeline[`plan:${env}`].artifacts.paths).toEqual(
      expect.arrayContaining(plan.stacks.map((s) => `cdktf.out/stacks/${s}/${PLAN_FILE}`)),
    );
  });
});

describe('applies', () => {
  test('tools and production wait for a person; test applies by itself; all only from the default branch', () => {
    for (const env of ['tools', 'production', 'test']) {
      const rules = pipeline[`apply:${env}`].rules;
      expect(rules).toEqual([
        { if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', when: MANUAL_APPLY.includes(env as never) ? 'manual' : 'on_success' },
      ]);
    }
    expect(MANUAL_APPLY).toEqual(['tools', 'production']);
  });

  test('run in their protected environment, one pipeline at a time per environment', () => {
    for (const env of ['tools', 'production', 'test']) {
      expect(pipeline[`apply:${env}`].environment).toEqual({ name: env });
      expect(pipeline[`apply:${env}`].resource_group).toBe(env);
      expect(pipeline[`plan:${env}`].resource_group).toBe(env);
    }
  });
});

test('holds no credential: they come from CI variables', () => {
  for (const name of ['OS_APPLICATION_CREDENTIAL_SECRET', 'OS_APPLICATION_CREDENTIAL_ID', 'TF_VAR_state_encryption_passphrase', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID']) {
    expect(committed).not.toMatch(new RegExp(`^\\s*${name}\\s*:`, 'm'));
  }
  expect(Object.keys(pipeline.variables).sort()).toEqual(
    ['CHECKPOINT_DISABLE', 'OS_AUTH_TYPE', 'TF_INPUT', 'TF_IN_AUTOMATION', 'TF_PLUGIN_CACHE_DIR', 'npm_config_cache'],
  );
});

test('pins every image by exact tag', () => {
  const images = Object.values<any>(pipeline)
    .filter((job) => job && typeof job === 'object' && 'image' in job)
    .map((job) => (typeof job.image === 'string' ? job.image : job.image.name));
  expect(images.length).toBeGreaterThan(0);
  for (const image of images) expect(image).toMatch(/:\d+\.\d+\.\d+(-[a-z0-9]+)?$/);
});

describe('the generator', () => {
  function appWith(names: string[], dependencies: [string, string][]): App {
    const a = new App({ stackTraces: false, outdir: mkdtempSync(path.join(tmpdir(), 'pipeline-')) });
    const stacks = Object.fromEntries(names.map((n) => [n, new TerraformStack(a, n)]));
    for (const [stack, on] of dependencies) stacks[stack].addDependency(stacks[on]);
    return a;
  }

  test('puts a new stack of an environment into its plan and apply jobs, after what it reads', () => {
    const a = appWith(
      ['test-sites-02', 'test-sites-01', 'test-platform', 'test', 'tools'],
      [
        ['test-platform', 'test'],
        ['test-sites-01', 'test'],
        ['test-sites-02', 'test'],
        ['test-sites-01', 'test-platform'],
      ],
    );
    const p = parse(renderGitlabPipeline(pipelineStacks(a))) as Record<string, any>;
    expect(tofuRun(p['plan:test']).stacks).toEqual(['test', 'test-platform', 'test-sites-01', 'test-sites-02']);
    expect(tofuRun(p['apply:test']).stacks).toEqual(['test', 'test-platform', 'test-sites-01', 'test-sites-02']);
    expect(p['plan:production']).toBeUndefined();
  });

  test('refuses a stack outside the environments, which would get no jobs', () => {
    expect(() => pipelineStacks(appWith(['shared-dns'], []))).toThrow(
      'stack shared-dns: its name does not start with an environment (tools, production, test); name it <environment>-<layer> so the pipeline plans and applies it',
    );
  });
});

describe('scripts/ci/tofu-stacks.sh', () => {
  const script = path.join(repo, 'scripts', 'ci', 'tofu-stacks.sh');
  const run = (cwd: string, ...args: string[]) => spawnSync('sh', [script, ...args], { cwd, encoding: 'utf8' });
  const workdir = (backend: object) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tofu-stacks-'));
    mkdirSync(path.join(dir, 'cdktf.out', 'stacks', 'test'), { recursive: true });
    writeFileSync(path.join(dir, 'cdktf.out', 'stacks', 'test', 'cdk.tf.json'), JSON.stringify({ terraform: { backend } }, null, 2));
    return dir;
  };

  test('is valid POSIX sh', () => {
    expect(() => execFileSync('sh', ['-n', script])).not.toThrow();
  });

  test('refuses to plan or apply a stack whose state would be lost with the job', () => {
    const result = run(workdir({ local: { path: '../../../state/test.tfstate' } }), 'plan', 'test');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('tofu-stacks.sh: test keeps its state locally; in CI use state.backend: s3, or the state is lost with the job');
  });

  test('refuses to apply without the saved plan', () => {
    const result = run(workdir({ s3: { bucket: 'b', key: 'k' } }), 'apply', 'test');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('cdktf.out/stacks/test/plan.tfplan not found; the plan job makes it');
  });

  test('names a missing stack and an unknown mode', () => {
    expect(run(workdir({}), 'plan', 'nope').stderr).toContain('cdktf.out/stacks/nope/cdk.tf.json not found; run npm run synth first');
    const unknown = run(workdir({ s3: {} }), 'destroy', 'test');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown mode destroy');
  });
});
