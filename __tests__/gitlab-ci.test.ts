import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { App, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { parse } from 'yaml';
import { environmentPolicies, loadPlatformConfig } from '../lib/config';
import {
  appliedRecordDir,
  CI_VARIABLES,
  isSitesShard,
  PIPELINE_IMAGES,
  pipelineStacks,
  planFile,
  renderGitlabPipeline,
  sitesPipelineFile,
  sitesShardsOf,
  unchangedFile,
} from '../lib/delivery/gitlab-ci';
import { catalogOptionsOf, loadSitesCatalog } from '../lib/sites/catalog';
import { buildPlatform } from '../stacks';
import { sharedPath, testWithShared } from './support/shared';


const repo = path.join(__dirname, '..');
const committed = readFileSync(path.join(repo, '.gitlab-ci.yml'), 'utf8');
const pipeline = parse(committed) as Record<string, any>;
const ON_DEFAULT_BRANCH = '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH';

/** The default config's environments as the pipeline sees them, and its sites environments. */
const ENVIRONMENTS = environmentPolicies(loadPlatformConfig({}).config);
const SITE_ENVIRONMENTS = ENVIRONMENTS.filter((e) => e.role === 'sites').map((e) => e.name);
const DEFAULT_ENVIRONMENT_NAMES = ENVIRONMENTS.map((e) => e.name);

const newApp = () => new App({ stackTraces: false, outdir: mkdtempSync(path.join(tmpdir(), 'pipeline-')) });
const stacksOf = (app: App) => app.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c));

/** The app `npm run synth` builds: default config and the example sites catalog. */
function defaultApp(): App {
  const { config } = loadPlatformConfig({});
  const { catalog } = loadSitesCatalog(catalogOptionsOf(config), {});
  const app = newApp();
  buildPlatform(app, config, catalog);
  return app;
}

/** Synthesizes `app` and runs the synth job's `npm run pipeline -- --sites <outdir>`: the sites pipelines, parsed, by environment. */
function sitesPipelinesOf(app: App): { outdir: string; byEnvironment: Record<string, Record<string, any>>; texts: Record<string, string> } {
  app.synth();
  const run = spawnSync(path.join(repo, 'node_modules', '.bin', 'tsx'), ['scripts/generate-pipeline.ts', '--sites', app.outdir], { cwd: repo, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`generate-pipeline --sites failed: ${run.stderr}`);
  const texts = Object.fromEntries(SITE_ENVIRONMENTS.map((e) => [e, readFileSync(path.join(app.outdir, sitesPipelineFile(e)), 'utf8')]));
  return { outdir: app.outdir, texts, byEnvironment: Object.fromEntries(SITE_ENVIRONMENTS.map((e) => [e, parse(texts[e])])) };
}

/** The jobs of a pipeline object: its entries with a script. */
const jobsOf = (p: Record<string, any>) => Object.entries(p).filter(([name, job]) => !name.startsWith('.') && job && typeof job === 'object' && 'script' in job);

/** The shards a sites pipeline plans or applies, from its jobs' scripts. */
const shardsIn = (p: Record<string, any>, mode: 'plan-shard' | 'apply-shard') =>
  jobsOf(p)
    .filter(([, job]) => (job.script as string[]).some((l) => l.startsWith('sh scripts/ci/tofu-stacks.sh ')))
    .map(([, job]) => tofuRun(job))
    .filter((run) => run.mode === mode)
    .flatMap((run) => run.stacks);

/** `sh scripts/ci/tofu-stacks.sh <mode> a b c` -> { mode, stacks } */
const tofuRun = (job: any) => {
  const lines = (job.script as string[]).filter((l) => l.startsWith('sh scripts/ci/tofu-stacks.sh '));
  expect(lines).toHaveLength(1);
  const [, , mode, ...stacks] = lines[0].split(' ');
  return { mode, stacks };
};

test('the committed .gitlab-ci.yml is what the generator makes from the app', () => {
  const generated = renderGitlabPipeline(ENVIRONMENTS, pipelineStacks(defaultApp(), ENVIRONMENTS));
  if (committed !== generated) {
    throw new Error('.gitlab-ci.yml is out of date with the app\'s stacks: run `npm run pipeline` and commit .gitlab-ci.yml');
  }
});

describe("GitLab's own JSON schema for .gitlab-ci.yml", () => {
  const schemaFile = sharedPath('schemas', 'gitlab-ci.json');
  // In CI a missing schema fails; on a clone without ../shared/ the two tests below are skipped with a warning.
  const withSchema = testWithShared([schemaFile]);
  const validator = () => {
    // draft-07 is Ajv 8's default draft. strict: false because the schema uses
    // keywords Ajv does not know (markdownDescription, deprecated);
    // validateFormats: false ignores its formats (uri, uri-reference, regex,
    // date-time) instead of adding ajv-formats: none of them constrains this file.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    return ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
  };

  withSchema('accepts the committed file', () => {
    const validate = validator();
    validate(pipeline);
    expect(validate.errors ?? []).toEqual([]);
  });

  withSchema('accepts the sites pipelines the synth job writes, and the one of an environment without shards', () => {
    const validate = validator();
    const { byEnvironment } = sitesPipelinesOf(defaultApp());
    for (const environment of SITE_ENVIRONMENTS) {
      validate(byEnvironment[environment]);
      expect(validate.errors ?? []).toEqual([]);
    }
    const empty = newApp();
    new TerraformStack(empty, 'production');
    const noShards = sitesPipelinesOf(empty).byEnvironment.production;
    validate(noShards);
    expect(validate.errors ?? []).toEqual([]);
    expect(jobsOf(noShards).map(([name]) => name)).toEqual(['no-shards']);
  });

  withSchema('rejects a broken one (the check checks something)', () => {
    const validate = validator();
    expect(validate({ ...pipeline, 'apply:test': { ...pipeline['apply:test'], rules: [{ if: ON_DEFAULT_BRANCH, when: 'manually' }] } })).toBe(false);
    expect(validate({ ...pipeline, broken: { stage: 'test', script: 42 } })).toBe(false);
  });
});

describe('every stack the app synthesizes', () => {
  // Derived from buildPlatform itself, not from the generator's output.
  const stacks = stacksOf(defaultApp());
  const stackNames = stacks.map((s) => s.node.id);
  const sites = sitesPipelinesOf(defaultApp());

  test('is validated', () => {
    expect(tofuRun(pipeline.validate).mode).toBe('validate');
    expect([...tofuRun(pipeline.validate).stacks].sort()).toEqual([...stackNames].sort());
  });

  test('belongs to one of the environments, each with a plan and an apply job', () => {
    expect(stackNames.length).toBeGreaterThanOrEqual(DEFAULT_ENVIRONMENT_NAMES.length);
    for (const name of stackNames) expect(DEFAULT_ENVIRONMENT_NAMES).toContain(name.split('-')[0]);
    // The cluster and platform stacks by the environment's jobs, each shard by its own in the sites pipeline.
    const planned = [
      ...DEFAULT_ENVIRONMENT_NAMES.flatMap((env) => tofuRun(pipeline[`plan:${env}`]).stacks),
      ...SITE_ENVIRONMENTS.flatMap((env) => shardsIn(sites.byEnvironment[env], 'plan-shard')),
    ];
    const applied = [
      ...DEFAULT_ENVIRONMENT_NAMES.flatMap((env) => tofuRun(pipeline[`apply:${env}`]).stacks),
      ...SITE_ENVIRONMENTS.flatMap((env) => shardsIn(sites.byEnvironment[env], 'apply-shard')),
    ];
    expect(stackNames.filter(isSitesShard).length).toBeGreaterThanOrEqual(2);
    expect([...planned].sort()).toEqual([...stackNames].sort());
    expect([...applied].sort()).toEqual([...stackNames].sort());
  });

  test.each([...DEFAULT_ENVIRONMENT_NAMES])('of %s is planned, then applied from its saved plan, after the stacks it reads', (env) => {
    const ofEnv = stacks.filter((s) => s.node.id.split('-')[0] === env && !isSitesShard(s.node.id));
    const plan = tofuRun(pipeline[`plan:${env}`]);
    const apply = tofuRun(pipeline[`apply:${env}`]);
    expect(plan.mode).toBe('plan');
    expect(apply.mode).toBe('apply');
    expect([...plan.stacks].sort()).toEqual(ofEnv.map((s) => s.node.id).sort());
    expect(apply.stacks).toEqual(plan.stacks);
    // Dependency order, from cdktf's own record of what each stack reads.
    expect(plan.stacks[0]).toBe(env);
    const position = (name: string) => plan.stacks.indexOf(name);
    for (const stack of ofEnv) {
      for (const dependency of stack.dependencies) {
        if (dependency.node.id.split('-')[0] === env) expect(position(dependency.node.id)).toBeLessThan(position(stack.node.id));
      }
    }
    // The apply job gets the plan job's plan and lock files (the script applies <stack>.tfplan).
    expect(pipeline[`apply:${env}`].needs).toEqual(['synth', `plan:${env}`]);
    expect(pipeline[`plan:${env}`].artifacts.paths).toEqual(
      plan.stacks.flatMap((s) => [`cdktf.out/stacks/${s}/${planFile(s)}`, `cdktf.out/stacks/${s}/.terraform.lock.hcl`]),
    );
    expect(pipeline[`plan:${env}`].artifacts.expire_in).toBe('1 week');
  });
});

describe.each([...SITE_ENVIRONMENTS])('the sites shards of %s', (env) => {
  const app = defaultApp();
  const shards = stacksOf(app).map((s) => s.node.id).filter((name) => name.startsWith(`${env}-sites-`));
  const { byEnvironment, outdir } = sitesPipelinesOf(app);
  const child = byEnvironment[env];
  const fromSynth = { pipeline: '$PARENT_PIPELINE_ID', job: 'synth' };

  test('run in a child pipeline the parent triggers after the environment\'s cluster and platform applies', () => {
    const trigger = pipeline[`sites:${env}`];
    expect(trigger.needs).toEqual(['synth', `apply:${env}`]);
    expect(tofuRun(pipeline[`apply:${env}`]).stacks).toEqual([env, `${env}-platform`]);
    expect(trigger.trigger).toEqual({
      include: [{ artifact: `cdktf.out/${sitesPipelineFile(env)}`, job: 'synth' }],
      strategy: 'depend',
      forward: { yaml_variables: true, pipeline_variables: true },
    });
    expect(trigger.variables).toEqual({ PARENT_PIPELINE_ID: '$CI_PIPELINE_ID' });
    expect(trigger.rules).toEqual([{ if: ON_DEFAULT_BRANCH }]);
    // The synth job writes the child pipelines from what it synthesized.
    expect(pipeline.synth.script).toEqual(['npm run synth', 'npm run pipeline -- --sites cdktf.out']);
    expect(pipeline.synth.artifacts.paths).toEqual(['cdktf.out/']);
  });

  test('each shard has its own plan job and an apply job that needs only that plan', () => {
    expect(shards.length).toBeGreaterThan(0);
    for (const shard of shards) {
      const plan = child[`plan:${shard}`];
      const apply = child[`apply:${shard}`];
      expect(tofuRun(plan)).toEqual({ mode: 'plan-shard', stacks: [shard] });
      expect(tofuRun(apply)).toEqual({ mode: 'apply-shard', stacks: [shard] });
      expect(plan.needs).toEqual([fromSynth]);
      // Nothing but its own plan: a failed shard holds up no other.
      expect(apply.needs).toEqual([fromSynth, `plan:${shard}`]);
      const dir = `cdktf.out/stacks/${shard}`;
      expect(plan.artifacts).toEqual({
        when: 'always',
        paths: [`${dir}/${planFile(shard)}`, `${dir}/${shard}.inputs`, `${dir}/${unchangedFile(shard)}`, `${dir}/.terraform.lock.hcl`, `cdktf.out/ci/result/${shard}.plan`],
        expire_in: '1 week',
      });
      expect(plan.resource_group).toBe(shard);
      expect(apply.resource_group).toBe(shard);
      expect(plan.environment).toEqual({ name: env, action: 'prepare' });
      expect(apply.environment).toEqual({ name: env });
      expect(plan.rules).toEqual([{ if: ON_DEFAULT_BRANCH }]);
      expect(apply.rules).toEqual([{ if: ON_DEFAULT_BRANCH, when: env === 'production' ? 'manual' : 'on_success' }]);
    }
    expect(shardsIn(child, 'plan-shard').sort()).toEqual([...shards].sort());
  });

  test('a last job reports every shard, run whatever failed before it', () => {
    const report = child[`report:${env}-sites`];
    expect(tofuRun(report)).toEqual({ mode: 'report', stacks: [...shards].sort() });
    expect(report.rules).toEqual([{ if: ON_DEFAULT_BRANCH, when: 'always' }]);
    expect(report.stage).toBe('report');
    expect(child.stages).toEqual(['plan', 'apply', 'report']);
  });

  test('have the same images and variables as the parent', () => {
    expect(child['.tofu']).toEqual(pipeline['.tofu']);
    const { npm_config_cache: _npm, ...tofuVariables } = pipeline.variables;
    expect(child.variables).toEqual(tofuVariables);
  });

  test("keep their applied digest in a root of the shard's backend and encryption, its state next to the shard's", () => {
    for (const shard of shards) {
      const stack = JSON.parse(readFileSync(path.join(outdir, 'stacks', shard, 'cdk.tf.json'), 'utf8'));
      const record = JSON.parse(readFileSync(path.join(outdir, appliedRecordDir(shard), 'main.tf.json'), 'utf8'));
      expect(record.terraform.encryption).toEqual(stack.terraform.encryption);
      // The default config's local state: relative to the folder tofu runs in, so the same file name beside the shard's.
      const stateOf = (dir: string, json: any) => path.resolve(outdir, dir, json.terraform.backend.local.path);
      expect(stateOf(appliedRecordDir(shard), record)).toBe(stateOf(`stacks/${shard}`, stack).replace(/\.tfstate$/, '.applied.tfstate'));
      expect(record.output).toEqual({ applied_digest: { value: '${var.applied_digest}' } });
      expect(record.resource).toBeUndefined();
      expect(record.provider).toBeUndefined();
    }
  });
});

describe('the sites shards from a manifest', () => {
  test('an s3 state: the record key is the shard key with .applied', async () => {
    const { appliedRecordRoot } = await import('../lib/delivery/gitlab-ci');
    const root = appliedRecordRoot({ terraform: { backend: { s3: { bucket: 'b', key: 'webhost/production-sites-03.tfstate', use_lockfile: true } } } }, 'production-sites-03');
    expect(root.terraform).toEqual({ backend: { s3: { bucket: 'b', key: 'webhost/production-sites-03.applied.tfstate', use_lockfile: true } } });
  });

  test('a shard that does not read its platform stack is refused', () => {
    const manifest = { stacks: { 'test-sites-01': { dependencies: ['test'] }, test: { dependencies: [] } } };
    expect(() => sitesShardsOf(manifest, ENVIRONMENTS)).toThrow(
      "stack test-sites-01: does not depend on test-platform; a shard's jobs run after its cluster and platform applies, so it must read them",
    );
  });
});

describe('plans and applies', () => {
  test('tools and production apply when a person presses the button, test by itself; all from the default branch only', () => {
    expect(pipeline['apply:tools'].rules).toEqual([{ if: ON_DEFAULT_BRANCH, when: 'manual' }]);
    expect(pipeline['apply:production'].rules).toEqual([{ if: ON_DEFAULT_BRANCH, when: 'manual' }]);
    expect(pipeline['apply:test'].rules).toEqual([{ if: ON_DEFAULT_BRANCH, when: 'on_success' }]);
    // Plans too: merge requests (forks' among them) never run a job that sees credentials.
    for (const env of DEFAULT_ENVIRONMENT_NAMES) expect(pipeline[`plan:${env}`].rules).toEqual([{ if: ON_DEFAULT_BRANCH }]);
  });

  test.each([...DEFAULT_ENVIRONMENT_NAMES])('of %s run in its environment, one pipeline at a time', (env) => {
    expect(pipeline[`apply:${env}`].environment).toEqual({ name: env });
    expect(pipeline[`plan:${env}`].environment).toEqual({ name: env, action: 'prepare' });
    expect(pipeline[`apply:${env}`].resource_group).toBe(env);
    expect(pipeline[`plan:${env}`].resource_group).toBe(env);
  });

  test('use rules, never only/except, and no branch pipeline doubles a merge request pipeline', () => {
    expect(committed).not.toMatch(/^\s*(only|except):/m);
    expect(pipeline.workflow.rules).toEqual([
      { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
      { if: '$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS', when: 'never' },
      { if: '$CI_COMMIT_BRANCH' },
    ]);
  });
});

describe('credentials', () => {
  const credentials = [
    'OS_APPLICATION_CREDENTIAL_ID',
    'OS_APPLICATION_CREDENTIAL_SECRET',
    'TF_VAR_state_encryption_passphrase',
    'TF_VAR_state_encryption_passphrase_previous',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
  ];

  test('are documented in the header, and given no value anywhere in the file', () => {
    for (const name of credentials) {
      expect(CI_VARIABLES.map((v) => v.name)).toContain(name);
      expect(committed).toMatch(new RegExp(`^#\\s+${name}\\s`, 'm'));
    }
    const keys: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          keys.push(key);
          walk(value);
        }
      }
    };
    walk(pipeline);
    for (const name of CI_VARIABLES.map((v) => v.name)) expect(keys).not.toContain(name);
    expect(committed).not.toMatch(new RegExp(`(${credentials.join('|')})=`));
  });

  test('no secret-looking literal: no key, token or long random string', () => {
    expect(committed).not.toMatch(/-----BEGIN|AKIA[0-9A-Z]{16}|glpat-|:\/\/[^\s/:@]+:[^\s/@]+@/);
    // Long runs of letters and digits mixing case and digits, as keys and passphrases do.
    const randomLooking = (committed.match(/[A-Za-z0-9+/_=-]{24,}/g) ?? []).filter(
      (w) => /[a-z]/.test(w) && /[A-Z]/.test(w) && /[0-9]/.test(w),
    );
    expect(randomLooking).toEqual([]);
  });
});

describe('images', () => {
  const images = Object.values<any>(pipeline)
    .filter((job) => job && typeof job === 'object' && 'image' in job)
    .map((job) => (typeof job.image === 'string' ? job.image : job.image.name) as string);

  test('are pinned by exact version', () => {
    expect(images.sort()).toEqual([PIPELINE_IMAGES.node, PIPELINE_IMAGES.tofu].sort());
    for (const image of images) expect(image).toMatch(/:\d+\.\d+\.\d+(-[a-z0-9]+)?$/);
  });

  test('OpenTofu is the version of scripts/tool-versions.sh, Node the major of package.json engines', () => {
    const toolVersions = readFileSync(path.join(repo, 'scripts', 'tool-versions.sh'), 'utf8');
    const tofuVersion = /^TOFU_VERSION=(\S+)$/m.exec(toolVersions)?.[1];
    expect(PIPELINE_IMAGES.tofu).toBe(`ghcr.io/opentofu/opentofu:${tofuVersion}`);
    // The image's own entrypoint is tofu: GitLab needs a shell.
    expect(pipeline['.tofu'].image.entrypoint).toEqual(['']);
    const engines = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).engines.node as string;
    expect(PIPELINE_IMAGES.node).toMatch(new RegExp(`^node:${/\d+/.exec(engines)![0]}\\.\\d+\\.\\d+-bookworm$`));
  });
});

test('the test job installs cloud-init and sets CI, so the cloud-init test runs instead of skipping', () => {
  expect(pipeline.test.variables).toEqual({ CI: '1' });
  expect(pipeline.test.before_script.join('\n')).toMatch(/apt-get install .*cloud-init/);
  expect(pipeline.test.script).toEqual(['npm test']);
  expect(pipeline['.node'].cache).toEqual({ key: { files: ['package-lock.json'] }, paths: ['.npm/'] });
  expect(pipeline.variables.npm_config_cache).toBe('$CI_PROJECT_DIR/.npm');
});

describe('the generator', () => {
  test('puts new stacks of an environment into its jobs after what they read, cross-stack references included', () => {
    const app = newApp();
    // Created in an order that is neither the dependency order nor by name; the
    // platform's name sorts after the shards', so only the dependencies put it first.
    const shard2 = new TerraformStack(app, 'test-sites-02');
    const shard1 = new TerraformStack(app, 'test-sites-01');
    const platform = new TerraformStack(app, 'test-zz-platform');
    const cluster = new TerraformStack(app, 'test');
    new TerraformStack(app, 'tools');
    // A real cross-stack reference: cdktf records the dependency itself when it prepares the stacks.
    const kubeconfig = new TerraformVariable(cluster, 'kubeconfig', { type: 'string' });
    new TerraformOutput(platform, 'cluster', { value: kubeconfig.stringValue });
    const release = new TerraformVariable(platform, 'release', { type: 'string' });
    new TerraformOutput(shard1, 'release', { value: release.stringValue });
    shard2.addDependency(shard1);

    const byEnvironment = pipelineStacks(app, ENVIRONMENTS);
    expect(platform.dependencies.map((d) => d.node.id)).toEqual(['test']);
    const order = ['test', 'test-zz-platform', 'test-sites-01', 'test-sites-02'];
    expect(byEnvironment.test.map((s) => s.name)).toEqual(order);
    const p = parse(renderGitlabPipeline(ENVIRONMENTS, byEnvironment)) as Record<string, any>;
    // The shards have jobs of their own, in the sites pipeline.
    expect(tofuRun(p['plan:test']).stacks).toEqual(['test', 'test-zz-platform']);
    expect(tofuRun(p['apply:test']).stacks).toEqual(['test', 'test-zz-platform']);
    expect(tofuRun(p['plan:tools']).stacks).toEqual(['tools']);
    expect(p['plan:production']).toBeUndefined();
  });

  test('keeps the jobs of a shard emptied of its sites until the catalog retires it', () => {
    const { config } = loadPlatformConfig({});
    const { catalog } = loadSitesCatalog(catalogOptionsOf(config), {});
    const offTest = { ...catalog, sites: catalog.sites.map((site) => ({ ...site, environments: ['production' as const] })) };
    const planned = (c: typeof catalog) => {
      const app = newApp();
      buildPlatform(app, config, c);
      return jobsOf(sitesPipelinesOf(app).byEnvironment.test).map(([name]) => name);
    };
    expect(planned(offTest)).toEqual(['plan:test-sites-01', 'apply:test-sites-01', 'report:test-sites']);
    expect(planned({ ...offTest, retiredShards: ['test-sites-01'] })).toEqual(['no-shards']);
  });

  test('orders independent stacks by name', () => {
    const app = newApp();
    for (const name of ['production-sites-03', 'production', 'production-sites-01']) new TerraformStack(app, name);
    expect(pipelineStacks(app, ENVIRONMENTS).production.map((s) => s.name)).toEqual(['production', 'production-sites-01', 'production-sites-03']);
  });

  test('refuses a stack outside the environments, which would get no jobs', () => {
    const app = newApp();
    new TerraformStack(app, 'shared-dns');
    expect(() => pipelineStacks(app, ENVIRONMENTS)).toThrow(
      'stack shared-dns: its name does not start with an environment (tools, production, test); name it <environment>-<layer> so the pipeline plans and applies it',
    );
  });
});

describe('scripts/ci/tofu-stacks.sh', () => {
  const script = path.join(repo, 'scripts', 'ci', 'tofu-stacks.sh');
  // A fake tofu that logs its arguments, first in PATH.
  const fakeBin = mkdtempSync(path.join(tmpdir(), 'fake-tofu-'));
  // `state list` prints TOFU_STATE_LIST, as if the state held those addresses.
  writeFileSync(
    path.join(fakeBin, 'tofu'),
    '#!/bin/sh\necho "$*" >> "$TOFU_LOG"\ncase "$*" in *" state list") printf "%s" "${TOFU_STATE_LIST:-}" ;; esac\n',
  );
  chmodSync(path.join(fakeBin, 'tofu'), 0o755);

  const s3 = { s3: { bucket: 'b', key: 'k' } };
  /** Stacks by name, each with its backend; those in `withResources` get a resource too. */
  const workdir = (stacks: Record<string, object>, withResources: readonly string[] = []) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tofu-stacks-'));
    for (const [name, backend] of Object.entries(stacks)) {
      mkdirSync(path.join(dir, 'cdktf.out', 'stacks', name), { recursive: true });
      const resource = withResources.includes(name) ? { resource: { terraform_data: { site: {} } } } : {};
      writeFileSync(path.join(dir, 'cdktf.out', 'stacks', name, 'cdk.tf.json'), JSON.stringify({ ...resource, terraform: { backend } }, null, 2));
    }
    return dir;
  };
  const run = (cwd: string, ...args: string[]) => runWith({}, cwd, ...args);
  const runWith = (env: Record<string, string>, cwd: string, ...args: string[]) => {
    const log = path.join(cwd, 'tofu.log');
    const result = spawnSync('sh', [script, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, TOFU_LOG: log, ...env },
    });
    return { ...result, calls: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
  };

  test('is valid POSIX sh', () => {
    expect(() => execFileSync('sh', ['-n', script])).not.toThrow();
  });

  test('plans each stack in order into <stack>.tfplan, and applies exactly those plans', () => {
    const dir = workdir({ test: s3, 'test-platform': s3, tools: s3 });
    const plan = run(dir, 'plan', 'test', 'test-platform');
    expect(plan.status).toBe(0);
    expect(plan.calls).toEqual([
      '-chdir=cdktf.out/stacks/test init -input=false -no-color',
      '-chdir=cdktf.out/stacks/test plan -input=false -no-color -lock-timeout=5m -out=test.tfplan',
      '-chdir=cdktf.out/stacks/test-platform init -input=false -no-color',
      '-chdir=cdktf.out/stacks/test-platform plan -input=false -no-color -lock-timeout=5m -out=test-platform.tfplan',
    ]);
    for (const s of ['test', 'test-platform']) writeFileSync(path.join(dir, 'cdktf.out', 'stacks', s, planFile(s)), '');
    const apply = run(dir, 'apply', 'test', 'test-platform');
    expect(apply.status).toBe(0);
    expect(apply.calls.slice(plan.calls.length)).toEqual([
      '-chdir=cdktf.out/stacks/test init -input=false -no-color -lockfile=readonly',
      '-chdir=cdktf.out/stacks/test apply -input=false -no-color -lock-timeout=5m test.tfplan',
      '-chdir=cdktf.out/stacks/test-platform init -input=false -no-color -lockfile=readonly',
      '-chdir=cdktf.out/stacks/test-platform apply -input=false -no-color -lock-timeout=5m test-platform.tfplan',
    ]);
  });

  test('plan and apply wait up to 5 minutes for a state lock held elsewhere instead of failing at once', () => {
    const dir = workdir({ test: s3 });
    const plan = run(dir, 'plan', 'test');
    writeFileSync(path.join(dir, 'cdktf.out', 'stacks', 'test', planFile('test')), '');
    const apply = run(dir, 'apply', 'test');
    const locking = apply.calls.filter((c) => / (plan|apply) /.test(c));
    expect(locking).toHaveLength(2);
    for (const call of locking) expect(call.split(' ')).toContain('-lock-timeout=5m');
    // init takes no lock; validate has no state.
    expect(plan.calls.filter((c) => c.includes(' init ')).every((c) => !c.includes('lock-timeout'))).toBe(true);
    expect(run(workdir({ test: s3 }), 'validate', 'test').calls.join(' ')).not.toContain('lock-timeout');
  });

  test('validates without a backend', () => {
    const result = run(workdir({ test: { local: {} } }), 'validate', 'test');
    expect(result.status).toBe(0);
    expect(result.calls).toEqual([
      '-chdir=cdktf.out/stacks/test init -backend=false -input=false -no-color',
      '-chdir=cdktf.out/stacks/test validate -no-color',
    ]);
  });

  test('stops on a synthesized stack its job does not cover (CI config other than the generator\'s)', () => {
    const dir = workdir({ test: s3, 'test-extra': s3, 'test-sites-02': s3, tools: s3 });
    const plan = run(dir, 'plan', 'test');
    expect(plan.status).toBe(1);
    expect(plan.stderr).toContain('tofu-stacks.sh: cdktf.out/stacks/test-extra is synthesized but this job does not plan it; run npm run pipeline');
    // A shard is not the environment job's: the sites pipeline has its jobs.
    expect(plan.stderr).not.toContain('test-sites-02');
    expect(plan.calls).toEqual([]);
    expect(run(dir, 'plan', 'test', 'test-extra').status).toBe(0);
    expect(run(dir, 'validate', 'test', 'test-extra', 'test-sites-02').stderr).toContain('cdktf.out/stacks/tools is synthesized but this job does not validate it');
    expect(run(dir, 'plan', 'test', 'test-extra', 'tools').stderr).toContain('tools is not of environment test; one plan job per environment');
  });

  test('refuses to plan a stack whose state would be lost with the job', () => {
    const result = run(workdir({ test: { local: { path: '../../../state/test.tfstate' } } }), 'plan', 'test');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('tofu-stacks.sh: test keeps its state locally; in CI use state.backend: s3, or the state is lost with the job');
    expect(result.calls).toEqual([]);
  });

  describe('after applying a sites shard synthesized without sites', () => {
    const applied = (stateList: string) => {
      const dir = workdir({ test: s3, 'test-sites-01': s3, 'test-sites-02': s3 }, ['test', 'test-sites-01']);
      for (const s of ['test', 'test-sites-01', 'test-sites-02']) writeFileSync(path.join(dir, 'cdktf.out', 'stacks', s, planFile(s)), '');
      return runWith({ TOFU_STATE_LIST: stateList }, dir, 'apply', 'test', 'test-sites-01', 'test-sites-02');
    };

    test('says it may be retired once its state holds no resource (the platform state it reads aside)', () => {
      const result = applied('data.terraform_remote_state.PlatformState\n');
      expect(result.status).toBe(0);
      // Only the empty shard's state is listed, after its apply.
      expect(result.calls.filter((c) => c.includes('state list'))).toEqual(['-chdir=cdktf.out/stacks/test-sites-02 state list']);
      expect(result.calls.slice(-2)).toEqual([
        '-chdir=cdktf.out/stacks/test-sites-02 apply -input=false -no-color -lock-timeout=5m test-sites-02.tfplan',
        '-chdir=cdktf.out/stacks/test-sites-02 state list',
      ]);
      expect(result.stdout).toContain(
        '== test-sites-02: no sites and nothing left in its state: it can be retired (add it to retiredShards in the sites catalog)',
      );
      expect(result.stderr).toBe('');
    });

    test('warns, naming what is left, while its state still holds resources', () => {
      const result = applied('kubernetes_namespace_v1.site\n');
      expect(result.status).toBe(0);
      expect(result.stdout).not.toContain('it can be retired');
      expect(result.stderr).toContain('tofu-stacks.sh: test-sites-02 has no sites but its state still holds resources; do not retire it yet:\nkubernetes_namespace_v1.site');
    });
  });

  test('report: what became of each shard, and the failed ones named in a failing job', () => {
    const dir = workdir({});
    mkdirSync(path.join(dir, 'cdktf.out', 'ci', 'result'), { recursive: true });
    const result = (file: string, text: string) => writeFileSync(path.join(dir, 'cdktf.out', 'ci', 'result', file), `${text}\n`);
    result('test-sites-01.plan', 'unchanged');
    result('test-sites-02.plan', 'planned');
    result('test-sites-02.apply', 'applied');
    result('test-sites-03.plan', 'planned');
    result('test-sites-04.plan', 'failed');
    result('test-sites-05.plan', 'planned');
    result('test-sites-05.apply', 'failed');
    const passing = run(dir, 'report', 'test-sites-01', 'test-sites-02', 'test-sites-03');
    expect(passing.status).toBe(0);
    expect(passing.stdout).toBe(
      'test-sites-01: unchanged since its last successful apply: not planned\n' +
        'test-sites-02: planned and applied\n' +
        'test-sites-03: planned; apply not run (manual, or a job before it failed)\n',
    );
    const failing = run(dir, 'report', 'test-sites-01', 'test-sites-04', 'test-sites-05', 'test-sites-06');
    expect(failing.status).toBe(1);
    expect(failing.stdout).toContain('test-sites-04: PLAN FAILED\ntest-sites-05: planned; APPLY FAILED\ntest-sites-06: PLAN NOT RUN\n');
    expect(failing.stderr).toBe('tofu-stacks.sh: failed shards: test-sites-04 test-sites-05 test-sites-06 (see their plan and apply jobs); the other shards went on\n');
    expect(failing.calls).toEqual([]);
  });

  test('plan-shard takes one sites shard with its state in s3, and its applied-digest root', () => {
    const dir = workdir({ test: s3, 'test-sites-01': { local: {} } });
    expect(run(dir, 'plan-shard', 'test').stderr).toContain('tofu-stacks.sh: test is not a sites shard; use plan or apply');
    expect(run(dir, 'plan-shard', 'test-sites-01', 'test').stderr).toContain('tofu-stacks.sh: plan-shard takes one sites shard');
    expect(run(dir, 'plan-shard', 'test-sites-01').stderr).toContain('tofu-stacks.sh: test-sites-01 keeps its state locally; in CI use state.backend: s3');
    const withS3 = workdir({ 'test-sites-01': s3 });
    const missing = run(withS3, 'plan-shard', 'test-sites-01');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('cdktf.out/ci/applied/test-sites-01/main.tf.json not found; the synth job writes it (npm run pipeline -- --sites cdktf.out)');
    expect(missing.calls).toEqual([]);
  });

  test('refuses to apply without the saved plan', () => {
    const result = run(workdir({ test: s3 }), 'apply', 'test');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('cdktf.out/stacks/test/test.tfplan not found; the plan job makes it');
  });

  test('names a missing stack and an unknown mode', () => {
    expect(run(workdir({}), 'plan', 'nope').stderr).toContain('cdktf.out/stacks/nope/cdk.tf.json not found; run npm run synth first');
    const unknown = run(workdir({ test: s3 }), 'destroy', 'test');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown mode destroy; use validate, plan, apply, plan-shard, apply-shard or report');
  });
});
