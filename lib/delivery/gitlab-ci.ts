import { posix } from 'node:path';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';

/**
 * Images of the pipeline, pinned by exact tag.
 *
 * The OpenTofu image is OpenTofu's own (Alpine, busybox sh, no bash or node:
 * hence scripts/ci/tofu-stacks.sh is POSIX sh). OpenTofu supports it as a
 * command-line tool, which is how a job uses it, not as a base image to build
 * on. Where it is not wanted, copy `/usr/local/bin/tofu` from the
 * `<version>-minimal` tag into an image of your own registry and name it here.
 */
export const PIPELINE_IMAGES = {
  /** Node 20 on Debian 12, the Node of the build machines (package.json engines: >= 20). */
  node: 'node:20.20.2-bookworm',
  /** OpenTofu as pinned in scripts/tool-versions.sh (TOFU_VERSION); a test keeps them equal. */
  tofu: 'ghcr.io/opentofu/opentofu:1.12.6',
} as const;

/**
 * An environment as the pipeline sees it: the config's environments map gives
 * these (lib/config/environments.ts, pipelineEnvironmentsOf); the pipeline
 * reads nothing else of the config.
 */
export interface PipelineEnvironment {
  readonly name: string;
  /** `tools` watches the others; `sites` has a sites pipeline for its shards. */
  readonly role: 'tools' | 'sites';
  /** Its applies wait for a person to press the button (protected environments and tools). */
  readonly manualApply: boolean;
}

type EnvironmentName = string;

/** The saved plan of a stack, next to its JSON: written by the plan job, applied by the apply job. */
export function planFile(stack: string): string {
  return `${stack}.tfplan`;
}

/**
 * Left by a sites shard's plan job instead of a plan when nothing that makes
 * its plan changed since its last successful apply (scripts/ci/tofu-stacks.sh
 * plan-shard); its apply job then applies nothing.
 */
export function unchangedFile(stack: string): string {
  return `${stack}.unchanged`;
}

/** A sites shard (`production-sites-07`): planned and applied by its own jobs, in its environment's sites pipeline. */
export function isSitesShard(stack: string): boolean {
  return /^[a-z]+-sites-\d+$/.test(stack);
}

/** Where the synth job writes what the sites pipelines need, inside the output directory. */
export const SITES_CI_DIR = 'ci';

/** The child pipeline of an environment's sites shards, relative to the output directory. */
export function sitesPipelineFile(environment: EnvironmentName): string {
  return `${SITES_CI_DIR}/sites-${environment}.yml`;
}

/**
 * The small OpenTofu root that keeps a shard's applied digest, relative to the
 * output directory: its state sits next to the shard's own
 * (`<key>.applied.tfstate`) and is written only after a successful apply.
 */
export function appliedRecordDir(stack: string): string {
  return `${SITES_CI_DIR}/applied/${stack}`;
}

/** The CI variables the pipeline expects, documented in the file's header. */
export const CI_VARIABLES: readonly { name: string; scope: string; what: string }[] = [
  { name: 'OS_APPLICATION_CREDENTIAL_ID', scope: 'per environment', what: 'the unrestricted application credential tofu uses' },
  { name: 'OS_APPLICATION_CREDENTIAL_SECRET', scope: 'per environment, masked', what: 'its secret' },
  { name: 'TF_VAR_state_encryption_passphrase', scope: 'per environment, masked', what: 'state and plan encryption passphrase (16+ characters)' },
  { name: 'TF_VAR_state_encryption_passphrase_previous', scope: 'per environment, masked', what: 'only during a key rotation: the old passphrase' },
  { name: 'AWS_ACCESS_KEY_ID', scope: 'masked', what: 'S3 key of the state container (state.backend: s3)' },
  { name: 'AWS_SECRET_ACCESS_KEY', scope: 'masked', what: 'its secret' },
  { name: 'TF_VAR_telemetry_password', scope: 'per environment but tools, masked', what: "tools-platform's telemetry_password_<env> output" },
];

/** A stack as the pipeline sees it. */
export interface PipelineStack {
  readonly name: string;
  readonly environment: EnvironmentName;
  /** Names of the stacks it reads (cdktf stack dependencies). */
  readonly dependsOn: readonly string[];
}

/**
 * The app's stacks grouped by environment (a stack's environment is its name up
 * to the first `-`), each group in dependency order (cluster, platform, sites
 * shards), ties by name. A stack outside the environments is an error: it
 * would have no plan or apply job.
 *
 * A cross-stack reference becomes a dependency only when the stacks are
 * prepared, the first step of `app.synth()`: this prepares them too (adding the
 * remote-state lookups and outputs synth would add), so build a fresh app for it.
 */
export function pipelineStacks(app: Construct, environments: readonly PipelineEnvironment[]): Record<EnvironmentName, PipelineStack[]> {
  const stacks = app.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c));
  for (const stack of stacks) stack.prepareStack();
  const names = environments.map((e) => e.name);
  const byEnvironment: Record<EnvironmentName, PipelineStack[]> = Object.fromEntries(names.map((e) => [e, [] as PipelineStack[]]));
  for (const stack of stacks) {
    const prefix = stack.node.id.split('-')[0];
    const environment = names.find((e) => e === prefix);
    if (!environment) {
      throw new Error(
        `stack ${stack.node.id}: its name does not start with an environment (${names.join(', ')}); name it <environment>-<layer> so the pipeline plans and applies it`,
      );
    }
    byEnvironment[environment].push({
      name: stack.node.id,
      environment,
      dependsOn: stack.dependencies.map((d) => d.node.id).sort(),
    });
  }
  for (const environment of names) byEnvironment[environment] = dependencyOrder(byEnvironment[environment]);
  return byEnvironment;
}

/** Topological order (Kahn), ties by name; dependencies outside the group are ignored. */
function dependencyOrder(stacks: PipelineStack[]): PipelineStack[] {
  const names = new Set(stacks.map((s) => s.name));
  const pending = new Map(stacks.map((s) => [s.name, s.dependsOn.filter((d) => names.has(d))]));
  const ordered: PipelineStack[] = [];
  while (pending.size > 0) {
    const ready = [...pending.entries()].filter(([, deps]) => deps.length === 0).map(([name]) => name).sort();
    if (ready.length === 0) throw new Error(`stacks ${[...pending.keys()].join(', ')} depend on each other in a cycle`);
    const next = ready[0];
    ordered.push(stacks.find((s) => s.name === next)!);
    pending.delete(next);
    for (const [name, deps] of pending) pending.set(name, deps.filter((d) => d !== next));
  }
  return ordered;
}

type Job = Record<string, unknown>;

/** Plan and apply run only here: protected branch, so the protected, environment-scoped credentials are there. */
const ON_DEFAULT_BRANCH = '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH';

/** `sh scripts/ci/tofu-stacks.sh <mode> <stack>...`, the one way the pipeline runs OpenTofu. */
export const TOFU_STACKS_SCRIPT = 'scripts/ci/tofu-stacks.sh';

/** The `.gitlab-ci.yml` document for these stacks, as an object. */
export function gitlabPipeline(
  environments: readonly PipelineEnvironment[],
  byEnvironment: Record<EnvironmentName, PipelineStack[]>,
): Record<string, unknown> {
  const all = environments.flatMap((e) => byEnvironment[e.name].map((s) => s.name));
  const tofu = (mode: 'validate' | 'plan' | 'apply', stacks: readonly string[]) => `sh ${TOFU_STACKS_SCRIPT} ${mode} ${stacks.join(' ')}`;
  const tofuJob = (extra: Job): Job => ({ extends: '.tofu', ...extra });
  const pipeline: Record<string, unknown> = {
    stages: ['test', 'synth', 'validate', 'plan', 'apply', 'sites'],
    workflow: {
      // Merge request pipelines, and branch pipelines except for a branch with an
      // open merge request (which would run the same jobs twice).
      rules: [
        { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
        { if: '$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS', when: 'never' },
        { if: '$CI_COMMIT_BRANCH' },
      ],
    },
    variables: { ...commonVariables(), npm_config_cache: '$CI_PROJECT_DIR/.npm' },
    '.node': {
      image: PIPELINE_IMAGES.node,
      cache: { key: { files: ['package-lock.json'] }, paths: ['.npm/'] },
      before_script: ['npm ci --prefer-offline --no-audit --no-fund'],
    },
    '.tofu': {
      image: { name: PIPELINE_IMAGES.tofu, entrypoint: [''] },
      cache: { key: 'tofu-providers', paths: ['.tofu-plugins/'] },
      before_script: ['mkdir -p "$TF_PLUGIN_CACHE_DIR"', 'tofu version'],
    },
    test: {
      extends: '.node',
      stage: 'test',
      // CI makes the cloud-init test fail instead of skipping where cloud-init is missing.
      variables: { CI: '1' },
      before_script: [
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cloud-init >/dev/null',
        'cloud-init --version',
        'npm ci --prefer-offline --no-audit --no-fund',
      ],
      script: ['npm test'],
    },
    synth: {
      extends: '.node',
      stage: 'synth',
      // The sites pipelines come from the stacks synthesized here, from the config and catalog CI uses.
      script: ['npm run synth', `npm run pipeline -- --sites cdktf.out`],
      artifacts: { paths: ['cdktf.out/'], expire_in: '1 week' },
    },
    validate: tofuJob({
      stage: 'validate',
      needs: ['synth'],
      script: [tofu('validate', all)],
    }),
  };
  for (const { name: environment, manualApply: manual } of environments) {
    // The shards have jobs of their own, in the environment's sites pipeline.
    const stacks = byEnvironment[environment].map((s) => s.name).filter((s) => !isSitesShard(s));
    if (stacks.length === 0) continue;
    pipeline[`plan:${environment}`] = tofuJob({
      stage: 'plan',
      needs: ['synth', 'validate'],
      resource_group: environment,
      // prepare: the job gets the environment's scoped variables without counting as a deployment.
      environment: { name: environment, action: 'prepare' },
      rules: [{ if: ON_DEFAULT_BRANCH }],
      script: [tofu('plan', stacks)],
      artifacts: {
        // The plans are encrypted with the state key (lib/state/backend.ts).
        paths: stacks.flatMap((s) => [`cdktf.out/stacks/${s}/${planFile(s)}`, `cdktf.out/stacks/${s}/.terraform.lock.hcl`]),
        expire_in: '1 week',
      },
    });
    pipeline[`apply:${environment}`] = tofuJob({
      stage: 'apply',
      needs: ['synth', `plan:${environment}`],
      resource_group: environment,
      environment: { name: environment },
      interruptible: false,
      rules: [manual ? { if: ON_DEFAULT_BRANCH, when: 'manual' } : { if: ON_DEFAULT_BRANCH, when: 'on_success' }],
      script: [tofu('apply', stacks)],
    });
  }
  for (const environment of environments.filter((e) => e.role === 'sites').map((e) => e.name)) {
    // After the environment's cluster and platform applies: the shards read the platform's state.
    pipeline[`sites:${environment}`] = {
      stage: 'sites',
      needs: ['synth', `apply:${environment}`],
      rules: [{ if: ON_DEFAULT_BRANCH }],
      // The child's jobs fetch cdktf.out from this pipeline's synth job.
      variables: { PARENT_PIPELINE_ID: '$CI_PIPELINE_ID' },
      // forward: a schedule's SITES_PLAN_ALL=1 (a pipeline variable) reaches the shards' jobs.
      trigger: {
        include: [{ artifact: `cdktf.out/${sitesPipelineFile(environment)}`, job: 'synth' }],
        strategy: 'depend',
        forward: { yaml_variables: true, pipeline_variables: true },
      },
    };
  }
  return pipeline;
}

/** The global variables and the tofu template, the same in the parent and the sites pipelines. */
function commonVariables(): Record<string, string> {
  return {
    OS_AUTH_TYPE: 'v3applicationcredential',
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    TF_PLUGIN_CACHE_DIR: '$CI_PROJECT_DIR/.tofu-plugins',
    // Without it tofu ignores the cache for a provider the lock file does not
    // list yet, which is every provider here (cdktf.out is synthesized, its lock
    // files are not committed). The plan job's lock file, which the apply job
    // reuses, then holds the hash of this platform's package only: plan and
    // apply run in the same image.
    TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE: 'true',
  };
}

/**
 * The sites shards of each site environment, from the app's manifest
 * (`cdktf.out/manifest.json`), by name. Each must read its environment's
 * cluster and platform stacks: its jobs run after their applies.
 */
export function sitesShardsOf(
  manifest: { readonly stacks: Readonly<Record<string, { readonly dependencies: readonly string[] }>> },
  environments: readonly PipelineEnvironment[],
): Record<EnvironmentName, string[]> {
  const sites = environments.filter((e) => e.role === 'sites').map((e) => e.name);
  const shards: Record<EnvironmentName, string[]> = Object.fromEntries(sites.map((e) => [e, [] as string[]]));
  for (const [name, entry] of Object.entries(manifest.stacks)) {
    if (!isSitesShard(name)) continue;
    const environment = sites.find((e) => name.startsWith(`${e}-sites-`));
    if (environment === undefined) throw new Error(`stack ${name}: a sites shard of no site environment (${sites.join(', ')}); no sites pipeline would plan it`);
    const missing = [environment, `${environment}-platform`].filter((d) => !entry.dependencies.includes(d));
    if (missing.length > 0) {
      throw new Error(`stack ${name}: does not depend on ${missing.join(' and ')}; a shard's jobs run after its cluster and platform applies, so it must read them`);
    }
    shards[environment].push(name);
  }
  for (const environment of sites) shards[environment].sort();
  return shards;
}

/**
 * The child pipeline of one environment's sites shards: per shard a plan job
 * and an apply job that needs only that plan, so shards run in parallel and a
 * failed one blocks no other; a last job lists what became of each shard and
 * fails when one did. Triggered by the parent's `sites:<env>` job, after the
 * environment's cluster and platform applies.
 */
export function sitesPipeline(site: PipelineEnvironment, shards: readonly string[]): Record<string, unknown> {
  const environment = site.name;
  const manual = site.manualApply;
  // A new object each time: YAML would otherwise write one object used twice as an anchor and alias.
  const synth = () => ({ pipeline: '$PARENT_PIPELINE_ID', job: 'synth' });
  const pipeline: Record<string, unknown> = {
    stages: ['plan', 'apply', 'report'],
    variables: commonVariables(),
    '.tofu': {
      image: { name: PIPELINE_IMAGES.tofu, entrypoint: [''] },
      cache: { key: 'tofu-providers', paths: ['.tofu-plugins/'] },
      before_script: ['mkdir -p "$TF_PLUGIN_CACHE_DIR"', 'tofu version'],
    },
  };
  if (shards.length === 0) {
    // A pipeline needs one job; this environment has no shard in the catalog CI synthesized.
    pipeline['no-shards'] = { extends: '.tofu', stage: 'report', script: [`echo "no sites shard of ${environment} is synthesized"`] };
    return pipeline;
  }
  const result = (stack: string, step: 'plan' | 'apply') => `cdktf.out/${SITES_CI_DIR}/result/${stack}.${step}`;
  for (const stack of shards) {
    const dir = `cdktf.out/stacks/${stack}`;
    pipeline[`plan:${stack}`] = {
      extends: '.tofu',
      stage: 'plan',
      needs: [synth()],
      // One shard's jobs at a time across pipelines; the shards among themselves in parallel.
      resource_group: stack,
      environment: { name: environment, action: 'prepare' },
      rules: [{ if: ON_DEFAULT_BRANCH }],
      script: [`sh ${TOFU_STACKS_SCRIPT} plan-shard ${stack}`],
      artifacts: {
        // The plan is encrypted with the state key (lib/state/backend.ts). The result also when the job failed.
        when: 'always',
        paths: [`${dir}/${planFile(stack)}`, `${dir}/${stack}.inputs`, `${dir}/${unchangedFile(stack)}`, `${dir}/.terraform.lock.hcl`, result(stack, 'plan')],
        expire_in: '1 week',
      },
    };
    pipeline[`apply:${stack}`] = {
      extends: '.tofu',
      stage: 'apply',
      needs: [synth(), `plan:${stack}`],
      resource_group: stack,
      environment: { name: environment },
      interruptible: false,
      rules: [manual ? { if: ON_DEFAULT_BRANCH, when: 'manual' } : { if: ON_DEFAULT_BRANCH, when: 'on_success' }],
      script: [`sh ${TOFU_STACKS_SCRIPT} apply-shard ${stack}`],
      artifacts: { when: 'always', paths: [result(stack, 'apply')], expire_in: '1 week' },
    };
  }
  pipeline[`report:${environment}-sites`] = {
    extends: '.tofu',
    stage: 'report',
    // After every plan and apply, failed or not run; only the result files are read.
    rules: [{ if: ON_DEFAULT_BRANCH, when: 'always' }],
    script: [`sh ${TOFU_STACKS_SCRIPT} report ${shards.join(' ')}`],
  };
  return pipeline;
}

/** A sites pipeline as YAML text. */
export function renderSitesPipeline(environment: PipelineEnvironment, shards: readonly string[]): string {
  return `# Generated by the synth job (npm run pipeline -- --sites cdktf.out) from the synthesized stacks: the ${environment.name} sites shards.\n${stringify(sitesPipeline(environment, shards), { lineWidth: 0 })}`;
}

/**
 * The OpenTofu root keeping a shard's applied digest: the shard's backend
 * (its state key or path with `.applied` before `.tfstate`) and state
 * encryption, one variable, one output, no provider. Its apply only writes
 * the digest into its state.
 */
export function appliedRecordRoot(stackJson: { terraform: Record<string, any>; variable?: Record<string, unknown> }, stack: string): Record<string, unknown> {
  const backend = structuredClone(stackJson.terraform.backend) as Record<string, Record<string, unknown>>;
  const [kind] = Object.keys(backend);
  const field = kind === 's3' ? 'key' : kind === 'local' ? 'path' : undefined;
  const location = field === undefined ? undefined : backend[kind][field];
  if (typeof location !== 'string' || !location.endsWith('.tfstate')) {
    throw new Error(`stack ${stack}: backend ${kind} without a .tfstate key or path; the applied digest is kept next to the state`);
  }
  const applied = location.replace(/\.tfstate$/, '.applied.tfstate');
  // A local path is relative to the folder tofu runs in: the record's, not the stack's.
  backend[kind][field!] =
    kind === 'local' && !posix.isAbsolute(applied) ? posix.normalize(posix.join(posix.relative(appliedRecordDir(stack), `stacks/${stack}`), applied)) : applied;
  const passphrases = Object.fromEntries(Object.entries(stackJson.variable ?? {}).filter(([name]) => name.startsWith('state_encryption_passphrase')));
  return {
    terraform: { backend, ...(stackJson.terraform.encryption ? { encryption: stackJson.terraform.encryption } : {}) },
    variable: { ...passphrases, applied_digest: { type: 'string', description: `Digest of what made ${stack}'s last successful apply.` } },
    output: { applied_digest: { value: '${var.applied_digest}' } },
  };
}

/** The whole `.gitlab-ci.yml` text: a header naming the generator and the CI variables, then the pipeline. */
export function renderGitlabPipeline(environments: readonly PipelineEnvironment[], byEnvironment: Record<EnvironmentName, PipelineStack[]>): string {
  const manual = environments.filter((e) => e.manualApply).map((e) => e.name);
  const byHand = manual.length === 0 ? 'you deploy to' : `${manual.slice(0, -1).join(', ')}${manual.length > 1 ? ' and ' : ''}${manual[manual.length - 1]}`;
  const header = [
    '# Generated by `npm run pipeline` from the app\'s stacks (lib/delivery/gitlab-ci.ts): do not edit.',
    '# A test fails when this file is out of date.',
    '#',
    '# CI/CD variables (Settings > CI/CD > Variables; protected, so only protected',
    '# branches and environments see them; never in this file):',
    ...CI_VARIABLES.map((v) => `#   ${v.name.padEnd(44)} ${v.scope}: ${v.what}`),
    '#',
    '#   PLATFORM_CONFIG, SITES_CATALOG                optional: your config files (default: the embedded ones);',
    '#                                                they must give the stacks this file was generated from',
    '#                                                (scripts/ci/tofu-stacks.sh stops on a stack no job covers)',
    '#   SITES_PLAN_ALL                               optional, e.g. on a nightly schedule: 1 plans every sites shard,',
    '#                                                changed or not, to find drift (README, CI pipeline)',
    '#',
    '# Plan and apply need the s3 state backend (state.backend: s3): a local state',
    '# would be lost with the job. Protect the default branch and the environments',
    `# ${byHand} (Settings > CI/CD > Protected environments) so that only`,
    '# maintainers run their apply jobs; plan and apply run on the default branch only,',
    '# so merge requests (forks included) never see the credentials.',
    '#',
    "# First apply of an environment: a platform or sites stack reads its cluster's",
    '# state, so its plan fails until the cluster stack is applied; apply the cluster',
    '# stack first (by hand, see the README), then let the pipeline plan the rest.',
    '',
  ].join('\n');
  return `${header}${stringify(gitlabPipeline(environments, byEnvironment), { lineWidth: 0 })}`;
}
