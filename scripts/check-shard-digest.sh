#!/usr/bin/env bash
# Proves with real OpenTofu that the sites pipeline skips a shard's plan only
# when nothing that makes the plan changed since its last successful apply
# (scripts/ci/tofu-stacks.sh plan-shard, apply-shard, report), and never
# calls "unchanged" what is not:
#   1. first plan (no record yet): planned; applied: the digest is recorded;
#   2. nothing changed: not planned, nothing applied;
#   3. the platform's outputs change (the shard reads sites_access): planned;
#   4. the shard's state is written by hand (an apply outside the pipeline): planned;
#   5. the shard's JSON changes: planned;
#   6. an apply that fails records nothing: the next plan plans again;
#   7. the report names the failed shard and fails.
# The kubernetes provider cannot be built here, so the shard's kubernetes
# resources are built-in terraform_data stand-ins (scripts/lib/stand-in-stack.mjs)
# and the platform stack is a small root whose state holds a sites_access
# output. The shard's backend, encryption, JSON and applied-digest root are
# the synthesized ones (local state: TOFU_STACKS_LOCAL_STATE_OK, as CI's s3
# state cannot be had here).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/tool-env.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shard=production-sites-01
export TF_VAR_state_encryption_passphrase=check-shard-digest-passphrase
export TF_VAR_remote_PlatformState_sites_access_api_address=203.0.113.10
export TOFU_STACKS_LOCAL_STATE_OK=1
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== synth, the sites pipelines and their applied-digest roots"
CDKTF_OUTDIR=$work/out PLATFORM_CONFIG= SITES_CATALOG= npx tsx main.ts >"$work/synth.log" || { cat "$work/synth.log" >&2; fail synth; }
npx tsx scripts/generate-pipeline.ts --sites "$work/out" >/dev/null
# The stack folders sit three levels down, so ../../../state/ is $work/run/state/.
run=$work/run
out=$run/cdktf.out/stacks
mkdir -p "$run/state" "$run/cdktf.out/ci" "$out/production-platform"
cp -r "$work/out/ci/applied" "$run/cdktf.out/ci/"
node scripts/lib/stand-in-stack.mjs "$work/out/stacks/$shard" "$out/$shard" kubernetes >/dev/null
cp -r "$repo/scripts" "$run/"
cat >"$out/production-platform/main.tf.json" <<'EOF'
{
  "terraform": { "backend": { "local": { "path": "../../../state/production-platform.tfstate" } } },
  "variable": { "token": { "type": "string", "sensitive": true } },
  "output": { "sites_access": { "value": { "token": "${var.token}" }, "sensitive": true } }
}
EOF
platform() { # platform TOKEN: applies the platform stand-in with that sites_access token
  tofu -chdir="$out/production-platform" init -input=false -no-color >/dev/null
  tofu -chdir="$out/production-platform" apply -input=false -no-color -auto-approve -var "token=$1" >/dev/null
}
pipeline() { # pipeline MODE: runs tofu-stacks.sh as a job does, its log in $work/MODE.log
  (cd "$run" && sh scripts/ci/tofu-stacks.sh "$1" "$shard") >"$work/$1.log" 2>&1
}
planned() { [[ -f $out/$shard/$shard.tfplan && ! -f $out/$shard/$shard.unchanged ]]; }
expect_planned() { pipeline plan-shard || { cat "$work/plan-shard.log" >&2; fail "$1: plan-shard failed"; }; planned || fail "$1: not planned"; echo "   $1: planned"; }
expect_unchanged() {
  pipeline plan-shard || { cat "$work/plan-shard.log" >&2; fail "$1: plan-shard failed"; }
  [[ -f $out/$shard/$shard.unchanged && ! -f $out/$shard/$shard.tfplan ]] || { cat "$work/plan-shard.log" >&2; fail "$1: planned, expected unchanged"; }
  echo "   $1: unchanged, not planned"
}
apply() { pipeline apply-shard || { cat "$work/apply-shard.log" >&2; fail "$1: apply-shard failed"; }; }
recorded() { tofu -chdir="$run/cdktf.out/ci/applied/$shard" output -raw applied_digest 2>/dev/null || true; }

platform token-one
echo "== 1. first plan: no record yet"
expect_planned "first plan"
apply "first apply"
grep -q "digest .* recorded" "$work/apply-shard.log" || fail "no digest recorded"
[[ -n $(recorded) ]] || fail "the record holds no digest"
grep -q '"encrypted_data"' "$run/state/$shard.applied.tfstate" || fail "the record's state is not encrypted"
echo "   applied; digest recorded in state/$shard.applied.tfstate (encrypted), next to state/$shard.tfstate"

echo "== 2. nothing changed"
expect_unchanged "same JSON, platform and state"
apply "apply of an unchanged shard"
grep -q "nothing to apply" "$work/apply-shard.log" || fail "the unchanged apply did something"
SITES_PLAN_ALL=1 pipeline plan-shard || fail "SITES_PLAN_ALL plan failed"
planned || fail "SITES_PLAN_ALL=1 did not plan"
echo "   SITES_PLAN_ALL=1: planned all the same"
expect_unchanged "again, after the forced plan"

echo "== 3. the platform's outputs change"
platform token-two
expect_planned "new sites_access token"
apply "apply after the platform change"
expect_unchanged "after that apply"

echo "== 4. the shard's state written outside the pipeline"
first=$(tofu -chdir="$out/$shard" state list | awk '/^terraform_data\./ && !found { print; found = 1 }')
tofu -chdir="$out/$shard" apply -input=false -no-color -auto-approve -replace="$first" >/dev/null
expect_planned "state replaced by hand ($first)"
apply "apply after the hand-run apply"
expect_unchanged "after that apply"

echo "== 5. the shard's JSON changes"
node -e '
  const fs = require("fs"); const f = process.argv[1]; const j = JSON.parse(fs.readFileSync(f, "utf8"));
  const [name] = Object.keys(j.resource.terraform_data); j.resource.terraform_data[name].input.changed = true;
  fs.writeFileSync(f, JSON.stringify(j, null, 2));' "$out/$shard/cdk.tf.json"
expect_planned "one resource changed"
apply "apply of the changed JSON"
expect_unchanged "after that apply"

echo "== 6. a failed apply records nothing"
platform token-three
expect_planned "platform changed again"
before=$(recorded)
# The state changes under the saved plan: OpenTofu refuses the stale plan.
tofu -chdir="$out/$shard" apply -input=false -no-color -auto-approve -replace="$first" >/dev/null
if pipeline apply-shard; then fail "the stale plan was applied"; fi
[[ $(recorded) == "$before" ]] || fail "a failed apply changed the record"
[[ $(cat "$run/cdktf.out/ci/result/$shard.apply") == failed ]] || fail "the result does not say failed"
echo "   the stale plan was refused; the record is as before"
expect_planned "after the failed apply"

echo "== 7. the report"
echo failed >"$run/cdktf.out/ci/result/$shard.apply"
if (cd "$run" && sh scripts/ci/tofu-stacks.sh report "$shard" production-sites-02) >"$work/report.log" 2>&1; then
  fail "the report passed with a failed shard"
fi
grep -q "^$shard: planned; APPLY FAILED" "$work/report.log" || { cat "$work/report.log" >&2; fail "report"; }
grep -q "failed shards: $shard production-sites-02" "$work/report.log" || { cat "$work/report.log" >&2; fail "report's failed list"; }
sed 's/^/   /' "$work/report.log"
echo "ok: a shard is planned whenever its JSON, its platform's outputs or its state changed, and skipped only when none did ($(tofu version | awk 'NR == 1'))"
