import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../config/environments';

/** Images of the pipeline, pinned by exact tag. */
export const PIPELINE_IMAGES = {
  /** The Node version of the build machines (package.json engines: >= 20). */
  node: 'node:20.20.2-bookworm',
  /** OpenTofu as pinned in scripts/tool-versions.sh (TOFU_VERSION). */
  tofu: 'ghcr.io/opentofu/opentofu:1.12.6',
} as const;

/** Environments whose apply waits for a person to press the button. */
export const MANUAL_APPLY: readonly EnvironmentName[] = ['tools', 'production'];

/** Plan file written next to each stack's JSON by the plan job, applied by the apply job. */
export const PLAN_FILE = 'plan.tfplan';

/** The CI variables the pipeline expects, documented in the file's header. */
export const CI_VARIABLES: readonly { name: string; scope: string; what: string }[] = [
  { name: 'OS_APPLICATION_CREDENTIAL_ID', scope: 'per environment', what: 'the unrestricted application credential tofu uses' },
  { name: 'OS_APPLICATION_CREDENTIAL_SECRET', scope: 'per environment, masked', what: 'its secret' },
  { name: 'TF_VAR_state_encryption_passphrase', scope: 'per environment, masked', what: 'state and plan encryption passphrase (16+ characters)' },
  { name: 'TF_VAR_state_encryption_passphrase_previous', scope: 'per environment, masked', what: 'only during a key rotation: the old passphrase' },
  { name: 'AWS_ACCESS_KEY_ID', scope: 'masked', what: 'S3 key of the state container (state.backend: s3)' },
  { name: 'AWS_SECRET_ACCESS_KEY', scope: 'masked', what: 'its secret' },
  { name: 'TF_VAR_telemetry_password', scope: 'production and test, masked', what: "tools-platform's telemetry_password_<env> output" },
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
 * shards), ties by name. A stack outside the three environments is an error:
 * it would have no plan or apply job.
 */
export function pipelineStacks(app: Construct): Record<EnvironmentName, PipelineStack[]> {
  const stacks = app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c));
  const byEnvironment = Object.fromEntries(ENVIRONMENT_NAMES.map((e) => [e, [] as PipelineStack[]])) as Record<
    EnvironmentName,
    PipelineStack[]
  >;
  for (const stack of stacks) {
    const prefix = stack.node.id.split('-')[0];
    const environment = ENVIRONMENT_NAMES.find((e) => e === prefix);
    if (!environment) {
      throw new Error(
        `stack ${stack.node.id}: its name does not start with an environment (${ENVIRONMENT_NAMES.join(', ')}); name it <environment>-<layer> so the pipeline plans and applies it`,
      );
    }
    byEnvironment[environment].push({
      name: stack.node.id,
      environment,
      dependsOn: stack.dependencies.map((d) => d.node.id).sort(),
    });
  }
  for (const environment of ENVIRONMENT_NAMES) byEnvironment[environment] = dependencyOrder(byEnvironment[environment]);
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

const ON_DEFAULT_BRANCH = '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH';

/** The `.gitlab-ci.yml` document for these stacks, as an object. */
export function gitlabPipeline(byEnvironment: Record<EnvironmentName, PipelineStack[]>): Record<string, unknown> {
  const all = ENVIRONMENT_NAMES.flatMap((e) => byEnvironment[e].map((s) => s.name));
  const tofuJob = (extra: Job): Job => ({ extends: '.tofu', ...extra });
  const pipeline: Record<string, unknown> = {
    stages: ['test', 'synth', 'validate', 'plan', 'apply'],
    workflow: {
      rules: [{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }, { if: '$CI_COMMIT_BRANCH' }],
    },
    variables: {
      OS_AUTH_TYPE: 'v3applicationcredential',
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_PLUGIN_CACHE_DIR: '$CI_PROJECT_DIR/.tofu-plugins',
      npm_config_cache: '$CI_PROJECT_DIR/.npm',
    },
    '.node': {
      image: PIPELINE_IMAGES.node,
      cache: { key: { files: ['package-lock.json'] }, paths: ['.npm/'] },
      before_script: ['npm ci --prefer-offline --no-audit --no-fund'],
    },
    '.tofu': {
      image: { name: PIPELINE_IMAGES.tofu, entrypoint: [''] },
      cache: { key: 'tofu-providers', paths: ['.tofu-plugins/'] },
      before_script: ['mkdir -p "$TF_PLUGIN_CACHE_DIR"'],
    },
    test: {
      extends: '.node',
      stage: 'test',
      variables: { CI: '1' },
      script: [
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cloud-init >/dev/null',
        'npm test',
      ],
    },
    synth: {
      extends: '.node',
      stage: 'synth',
      script: ['npm run synth'],
      artifacts: { paths: ['cdktf.out/'], expire_in: '1 week' },
    },
    validate: tofuJob({
      stage: 'validate',
      needs: ['synth'],
      script: [`sh scripts/ci/tofu-stacks.sh validate ${all.join(' ')}`],
    }),
  };
  for (const environment of ENVIRONMENT_NAMES) {
    const stacks = byEnvironment[environment].map((s) => s.name);
    if (stacks.length === 0) continue;
    const manual = MANUAL_APPLY.includes(environment);
    pipeline[`plan:${environment}`] = tofuJob({
      stage: 'plan',
      needs: ['synth', 'validate'],
      resource_group: environment,
      environment: { name: environment, action: 'prepare' },
      rules: [{ if: ON_DEFAULT_BRANCH }],
      script: [`sh scripts/ci/tofu-stacks.sh plan ${stacks.join(' ')}`],
      artifacts: {
        paths: stacks.flatMap((s) => [`cdktf.out/stacks/${s}/${PLAN_FILE}`, `cdktf.out/stacks/${s}/.terraform.lock.hcl`]),
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
      script: [`sh scripts/ci/tofu-stacks.sh apply ${stacks.join(' ')}`],
    });
  }
  return pipeline;
}

/** The whole `.gitlab-ci.yml` text: a header naming the generator and the CI variables, then the pipeline. */
export function renderGitlabPipeline(byEnvironment: Record<EnvironmentName, PipelineStack[]>): string {
  const header = [
    '# Generated by `npm run pipeline` from the app\'s stacks (lib/delivery/gitlab-ci.ts): do not edit.',
    '# A test fails when this file is out of date.',
    '#',
    '# CI/CD variables (Settings > CI/CD > Variables; protected, so only protected',
    '# branches and environments see them; never in this file):',
    ...CI_VARIABLES.map((v) => `#   ${v.name.padEnd(44)} ${v.scope}: ${v.what}`),
    '#',
    '#   PLATFORM_CONFIG, SITES_CATALOG                optional: your config files (default: the embedded ones)',
    '#',
    '# Plan and apply need the s3 state backend (state.backend: s3): a local state',
    '# would be lost with the job. Protect the environments tools and production',
    '# (Settings > CI/CD > Protected environments) so that only maintainers can run',
    '# their apply jobs.',
    '',
  ].join('\n');
  return `${header}${stringify(gitlabPipeline(byEnvironment), { lineWidth: 0 })}`;
}
