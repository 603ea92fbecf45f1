#!/bin/sh
# Runs OpenTofu on synthesized stacks, in the order given (the pipeline passes
# each environment's stacks in dependency order). POSIX sh: the OpenTofu image
# has no bash and no node.
#
#   scripts/ci/tofu-stacks.sh validate STACK...   init -backend=false, validate (every stack)
#   scripts/ci/tofu-stacks.sh plan STACK...       init, plan -out=STACK.tfplan (one environment)
#   scripts/ci/tofu-stacks.sh apply STACK...      init, apply STACK.tfplan (the plan job's plans)
#
# The stacks named must be all the synthesized ones (validate) or all those of
# their environment (plan, apply): a stack no job covers would never be applied,
# which happens when CI synthesizes from a config other than the one
# .gitlab-ci.yml was generated from.
#
# Credentials come from the environment (OS_*, TF_VAR_*, AWS_*), never from here.
set -eu
mode=${1:?usage: tofu-stacks.sh validate|plan|apply STACK...}
shift
case $mode in
  validate | plan | apply) ;;
  *)
    echo "tofu-stacks.sh: unknown mode $mode; use validate, plan or apply" >&2
    exit 2
    ;;
esac
[ "$#" -gt 0 ] || { echo "tofu-stacks.sh: name at least one stack" >&2; exit 2; }
out=cdktf.out/stacks
# How long plan and apply wait for a state lock held elsewhere (the S3 lock
# file, lib/state/backend.ts) before failing. CI jobs of one environment do not
# meet (resource_group), so the holder is a person running tofu by hand, or a
# lock a killed job left: long enough for a plan or a short apply to finish,
# short enough that a stale lock fails the job within minutes, with the lock's
# ID and owner for `tofu force-unlock`. A saved plan made stale meanwhile is
# refused by apply.
lock_timeout=5m

# The environment of a stack is its name up to the first '-'.
environment=${1%%-*}
listed=" $* "
for dir in "$out"/*/; do
  [ -d "$dir" ] || continue
  stack=$(basename "$dir")
  if [ "$mode" != validate ] && [ "${stack%%-*}" != "$environment" ]; then continue; fi
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
      # A sites shard whose sites were all removed is synthesized without
      # resources until the catalog retires it: once its state holds no
      # resource either (data sources aside), say that it may go.
      case $stack in
        *-sites-*)
          if ! grep -q '^  "resource": {' "$dir/cdk.tf.json"; then
            left=$(tofu -chdir="$dir" state list | grep -v '^data\.' || true)
            if [ -z "$left" ]; then
              echo "== $stack: no sites and nothing left in its state: it can be retired (add it to retiredShards in the sites catalog, then npm run pipeline)"
            else
              echo "tofu-stacks.sh: $stack has no sites but its state still holds resources; do not retire it yet:" >&2
              echo "$left" >&2
            fi
          fi
          ;;
      esac
      ;;
  esac
done
