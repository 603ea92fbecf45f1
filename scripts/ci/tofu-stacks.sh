#!/bin/sh
# Runs OpenTofu on synthesized stacks, in the order given (the pipeline passes
# each environment's stacks in dependency order). POSIX sh: the OpenTofu image
# has no bash and no node.
#
#   scripts/ci/tofu-stacks.sh validate STACK...   init -backend=false, validate
#   scripts/ci/tofu-stacks.sh plan STACK...       init, plan -out=plan.tfplan
#   scripts/ci/tofu-stacks.sh apply STACK...      init, apply plan.tfplan
#
# Credentials come from the environment (OS_*, TF_VAR_*, AWS_*), never from here.
set -eu
mode=${1:?usage: tofu-stacks.sh validate|plan|apply STACK...}
shift
[ "$#" -gt 0 ] || { echo "tofu-stacks.sh: name at least one stack" >&2; exit 2; }
plan_file=plan.tfplan
for stack in "$@"; do
  dir=cdktf.out/stacks/$stack
  [ -f "$dir/cdk.tf.json" ] || { echo "tofu-stacks.sh: $dir/cdk.tf.json not found; run npm run synth first" >&2; exit 1; }
  echo "== $mode $stack"
  if [ "$mode" != validate ] && ! grep -A1 '"backend": {' "$dir/cdk.tf.json" | grep -q '"s3": {'; then
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
      tofu -chdir="$dir" plan -input=false -no-color -out="$plan_file"
      ;;
    apply)
      [ -f "$dir/$plan_file" ] || { echo "tofu-stacks.sh: $dir/$plan_file not found; the plan job makes it" >&2; exit 1; }
      tofu -chdir="$dir" init -input=false -no-color
      tofu -chdir="$dir" apply -input=false -no-color "$plan_file"
      ;;
    *)
      echo "tofu-stacks.sh: unknown mode $mode; use validate, plan or apply" >&2
      exit 2
      ;;
  esac
done
