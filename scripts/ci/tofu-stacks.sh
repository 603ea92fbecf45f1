#!/bin/sh
# Runs OpenTofu on synthesized stacks, in the order given (the pipeline passes
# each environment's stacks in dependency order). POSIX sh: the OpenTofu image
# has no bash and no node.
#
#   scripts/ci/tofu-stacks.sh validate STACK...   init -backend=false, validate (every stack)
#   scripts/ci/tofu-stacks.sh plan STACK...       init, plan -out=STACK.tfplan (one environment)
#   scripts/ci/tofu-stacks.sh apply STACK...      init, apply STACK.tfplan (the plan job's plans)
#   scripts/ci/tofu-stacks.sh plan-shard STACK    a sites shard: plan it unless nothing changed since
#                                                 its last successful apply (then STACK.unchanged)
#   scripts/ci/tofu-stacks.sh apply-shard STACK   apply its plan, then record its applied digest
#   scripts/ci/tofu-stacks.sh report STACK...     what became of each shard; fails if one failed
#
# The stacks named must be all the synthesized ones (validate) or all those of
# their environment but its sites shards (plan, apply): a stack no job covers
# would never be applied, which happens when CI synthesizes from a config other
# than the one .gitlab-ci.yml was generated from. The shards' jobs are made by
# the synth job from the synthesized stacks themselves (npm run pipeline --
# --sites), one plan and one apply job each.
#
# A shard's plan is skipped when its digest equals the one recorded after its
# last successful apply. The digest covers all a plan is made from: the
# shard's JSON, its provider lock file, the OpenTofu version, every output of
# its environment's platform state (the shard reads sites_access), and the
# serial and lineage of its own state, so any write to that state since (a
# hand-run apply, an import, a state rm) makes it differ. It is recorded in
# cdktf.out/ci/applied/STACK, a root whose state sits next to the shard's
# (<key>.applied.tfstate), only once the apply succeeded. SITES_PLAN_ALL=1
# plans every shard whatever the digest: a scheduled pipeline with it finds
# drift (changes made in the cluster behind OpenTofu's back).
#
# Credentials come from the environment (OS_*, TF_VAR_*, AWS_*), never from here.
set -eu
mode=${1:?usage: tofu-stacks.sh validate|plan|apply STACK...}
shift
case $mode in
  validate | plan | apply | plan-shard | apply-shard | report) ;;
  *)
    echo "tofu-stacks.sh: unknown mode $mode; use validate, plan, apply, plan-shard, apply-shard or report" >&2
    exit 2
    ;;
esac
[ "$#" -gt 0 ] || { echo "tofu-stacks.sh: name at least one stack" >&2; exit 2; }
out=cdktf.out/stacks
results=cdktf.out/ci/result
# How long plan and apply wait for a state lock held elsewhere (the S3 lock
# file, lib/state/backend.ts) before failing. CI jobs of one environment do not
# meet (resource_group), so the holder is a person running tofu by hand, or a
# lock a killed job left: long enough for a plan or a short apply to finish,
# short enough that a stale lock fails the job within minutes, with the lock's
# ID and owner for `tofu force-unlock`. A saved plan made stale meanwhile is
# refused by apply.
lock_timeout=5m

is_shard() {
  case $1 in *-sites-[0-9]*) return 0 ;; *) return 1 ;; esac
}

# The inputs of a shard's plan other than its own state, as one sha256
# (run after init of the shard and of its platform stack). Each part is
# written by a command of its own, so a failing one fails the job instead of
# hashing what it left out; the platform outputs (credentials among them)
# never reach the log.
inputs_digest() {
  d=$out/$1
  parts=$(mktemp)
  {
    echo "== tofu"
    tofu version | sed -n 1p
    echo "== cdk.tf.json"
    cat "$d/cdk.tf.json"
    echo "== .terraform.lock.hcl"
    if [ -f "$d/.terraform.lock.hcl" ]; then cat "$d/.terraform.lock.hcl"; else echo "(none: no provider)"; fi
    echo "== platform outputs"
  } >"$parts"
  tofu -chdir="$out/${1%%-sites-*}-platform" output -json -no-color >>"$parts"
  sha256sum "$parts" | cut -d ' ' -f 1
  rm -f "$parts"
}

# The inputs digest with the serial and lineage of the shard's state now
# (`state pull` prints them first, before any resource). No state yet: none.
applied_digest() {
  state=$(mktemp)
  tofu -chdir="$out/$1" state pull >"$state"
  serial=$(grep -o '"serial":[0-9]*' "$state" | awk 'NR == 1')
  lineage=$(grep -o '"lineage":"[^"]*"' "$state" | awk 'NR == 1')
  if [ -s "$state" ] && { [ -z "$serial" ] || [ -z "$lineage" ]; }; then
    echo "tofu-stacks.sh: cannot read the serial and lineage of $1's state; planning is the safe way: rerun with SITES_PLAN_ALL=1" >&2
    rm -f "$state"
    exit 1
  fi
  rm -f "$state"
  printf '%s\n%s\n%s\n' "$2" "$serial" "$lineage" | sha256sum | cut -d ' ' -f 1
}

# A sites shard whose sites were all removed is synthesized without
# resources until the catalog retires it: once its state holds no resource
# either (data sources aside), say that it may go. Run after its apply.
retire_notice() {
  if ! grep -q '^  "resource": {' "$out/$1/cdk.tf.json"; then
    left=$(tofu -chdir="$out/$1" state list | grep -v '^data\.' || true)
    if [ -z "$left" ]; then
      echo "== $1: no sites and nothing left in its state: it can be retired (add it to retiredShards in the sites catalog)"
    else
      echo "tofu-stacks.sh: $1 has no sites but its state still holds resources; do not retire it yet:" >&2
      echo "$left" >&2
    fi
  fi
}

record_dir() {
  echo "cdktf.out/ci/applied/$1"
}

if [ "$mode" = report ]; then
  failed=''
  for stack in "$@"; do
    plan_result=$(cat "$results/$stack.plan" 2>/dev/null || echo 'not run')
    apply_result=$(cat "$results/$stack.apply" 2>/dev/null || echo 'not run')
    case $plan_result in
      unchanged) what='unchanged since its last successful apply: not planned' ;;
      planned)
        case $apply_result in
          applied) what='planned and applied' ;;
          'not run') what='planned; apply not run (manual, or a job before it failed)' ;;
          *) what="planned; APPLY FAILED"; failed="$failed $stack" ;;
        esac
        ;;
      'not run') what='PLAN NOT RUN'; failed="$failed $stack" ;;
      *) what='PLAN FAILED'; failed="$failed $stack" ;;
    esac
    echo "$stack: $what"
  done
  if [ -n "$failed" ]; then
    echo "tofu-stacks.sh: failed shards:$failed (see their plan and apply jobs); the other shards went on" >&2
    exit 1
  fi
  exit 0
fi

if [ "$mode" = plan-shard ] || [ "$mode" = apply-shard ]; then
  [ "$#" -eq 1 ] || { echo "tofu-stacks.sh: $mode takes one sites shard" >&2; exit 2; }
  stack=$1
  dir=$out/$stack
  is_shard "$stack" || { echo "tofu-stacks.sh: $stack is not a sites shard; use plan or apply" >&2; exit 2; }
  [ -f "$dir/cdk.tf.json" ] || { echo "tofu-stacks.sh: $dir/cdk.tf.json not found; run npm run synth first" >&2; exit 1; }
  # TOFU_STACKS_LOCAL_STATE_OK: only for scripts/check-shard-digest.sh, which runs these modes with real tofu on local states.
  if ! grep -A1 '"backend": {' "$dir/cdk.tf.json" | grep '"s3": {' >/dev/null && [ -z "${TOFU_STACKS_LOCAL_STATE_OK:-}" ]; then
    echo "tofu-stacks.sh: $stack keeps its state locally; in CI use state.backend: s3, or the state is lost with the job" >&2
    exit 1
  fi
  record=$(record_dir "$stack")
  [ -f "$record/main.tf.json" ] || { echo "tofu-stacks.sh: $record/main.tf.json not found; the synth job writes it (npm run pipeline -- --sites cdktf.out)" >&2; exit 1; }
  step=${mode%-shard}
  mkdir -p "$results"
  # Failed until the end is reached: a job that stops half-way reports so.
  echo failed >"$results/$stack.$step"
  plan_file=$stack.tfplan
  if [ "$mode" = plan-shard ]; then
    echo "== plan $stack"
    rm -f "$dir/$plan_file" "$dir/$stack.unchanged" "$dir/$stack.inputs"
    tofu -chdir="$dir" init -input=false -no-color
    tofu -chdir="$out/${stack%%-sites-*}-platform" init -input=false -no-color
    tofu -chdir="$record" init -input=false -no-color
    inputs=$(inputs_digest "$stack")
    now=$(applied_digest "$stack" "$inputs")
    last=$(tofu -chdir="$record" output -raw -no-color applied_digest 2>/dev/null || true)
    if [ -z "${SITES_PLAN_ALL:-}" ] && [ "$now" = "$last" ]; then
      echo "$now" >"$dir/$stack.unchanged"
      echo "== $stack: unchanged since its last successful apply (digest $now): not planned"
      echo unchanged >"$results/$stack.plan"
      exit 0
    fi
    # The inputs the plan is made from: the apply job records them with its state's new serial.
    echo "$inputs" >"$dir/$stack.inputs"
    tofu -chdir="$dir" plan -input=false -no-color -lock-timeout="$lock_timeout" -out="$plan_file"
    echo planned >"$results/$stack.plan"
    exit 0
  fi
  echo "== apply $stack"
  if [ -f "$dir/$stack.unchanged" ] && [ ! -f "$dir/$plan_file" ]; then
    echo "== $stack: unchanged since its last successful apply: nothing to apply"
    echo unchanged >"$results/$stack.apply"
    exit 0
  fi
  [ -f "$dir/$plan_file" ] || { echo "tofu-stacks.sh: $dir/$plan_file not found; the plan job makes it" >&2; exit 1; }
  [ -f "$dir/$stack.inputs" ] || { echo "tofu-stacks.sh: $dir/$stack.inputs not found; the plan job makes it" >&2; exit 1; }
  tofu -chdir="$dir" init -input=false -no-color -lockfile=readonly
  tofu -chdir="$dir" apply -input=false -no-color -lock-timeout="$lock_timeout" "$plan_file"
  retire_notice "$stack"
  # Reached only when the apply succeeded: the record says what the state now holds.
  tofu -chdir="$record" init -input=false -no-color
  digest=$(applied_digest "$stack" "$(cat "$dir/$stack.inputs")")
  tofu -chdir="$record" apply -input=false -no-color -auto-approve -lock-timeout="$lock_timeout" -var "applied_digest=$digest"
  echo "== $stack: applied; digest $digest recorded"
  echo applied >"$results/$stack.apply"
  exit 0
fi

# The environment of a stack is its name up to the first '-'.
environment=${1%%-*}
listed=" $* "
for dir in "$out"/*/; do
  [ -d "$dir" ] || continue
  stack=$(basename "$dir")
  if [ "$mode" != validate ] && [ "${stack%%-*}" != "$environment" ]; then continue; fi
  # The shards' own jobs plan and apply them.
  if [ "$mode" != validate ] && is_shard "$stack"; then continue; fi
  case $listed in
    *" $stack "*) ;;
    *)
      echo "tofu-stacks.sh: $out/$stack is synthesized but this job does not $mode it; run npm run pipeline and commit .gitlab-ci.yml (and synthesize in CI from the config it was generated from)" >&2
      exit 1
      ;;
  esac
done

for stack in "$@"; do
  dir=$out/$stack
  plan_file=$stack.tfplan
  [ -f "$dir/cdk.tf.json" ] || { echo "tofu-stacks.sh: $dir/cdk.tf.json not found; run npm run synth first" >&2; exit 1; }
  if [ "$mode" != validate ] && [ "${stack%%-*}" != "$environment" ]; then
    echo "tofu-stacks.sh: $stack is not of environment $environment; one $mode job per environment" >&2
    exit 2
  fi
  echo "== $mode $stack"
  if [ "$mode" != validate ] && ! grep -A1 '"backend": {' "$dir/cdk.tf.json" | grep '"s3": {' >/dev/null; then
    echo "tofu-stacks.sh: $stack keeps its state locally; in CI use state.backend: s3, or the state is lost with the job" >&2
    exit 1
  fi
  case $mode in
    validate)
      tofu -chdir="$dir" init -backend=false -input=false -no-color
      tofu -chdir="$dir" validate -no-color
      ;;
    plan)
      tofu -chdir="$dir" init -input=false -no-color
      tofu -chdir="$dir" plan -input=false -no-color -lock-timeout="$lock_timeout" -out="$plan_file"
      ;;
    apply)
      [ -f "$dir/$plan_file" ] || { echo "tofu-stacks.sh: $dir/$plan_file not found; the plan job makes it" >&2; exit 1; }
      # The plan job's lock file: the providers the plan was made with.
      tofu -chdir="$dir" init -input=false -no-color -lockfile=readonly
      tofu -chdir="$dir" apply -input=false -no-color -lock-timeout="$lock_timeout" "$plan_file"
      case $stack in *-sites-*) retire_notice "$stack" ;; esac
      ;;
  esac
done
