#!/usr/bin/env bash
# Proves with real OpenTofu that removing every site of a sites shard ends with
# their resources destroyed by the shard's own plan, never orphaned:
#   1. synth with the example catalog; production-sites-01 holds its 12 sites;
#      apply it (a local state, encrypted as synthesized);
#   2. synth with every site removed (highestSiteIdEver stays 12): the shard is
#      still synthesized, empty, and synth says so;
#   3. its plan, from the same state, destroys every resource and creates and
#      changes nothing; applied, the state holds nothing;
#   4. retired (retiredShards), it is no longer synthesized and its folder is
#      gone from the output.
# The kubernetes provider cannot be built here (UNBUILDABLE_PROVIDERS in
# scripts/tool-versions.sh), so each kubernetes resource is a built-in
# terraform_data standing in for it, with the resource's body as its input
# (scripts/lib/stand-in-stack.mjs), and the platform state the shard reads is a
# variable. Backend, encryption and addresses are the synthesized ones.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/tool-env.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shard=production-sites-01
export TF_VAR_state_encryption_passphrase=check-shard-removal-passphrase
fail() { echo "FAIL: $*" >&2; exit 1; }

catalog() { # catalog OUT SCRIPT: the example catalog, changed by SCRIPT (c is the catalog)
  node -e '
    const { parse, stringify } = require("yaml");
    const fs = require("fs");
    const c = parse(fs.readFileSync("config/sites.yaml", "utf8"));
    new Function("c", process.argv[2])(c);
    fs.writeFileSync(process.argv[1], stringify(c));
  ' "$1" "$2"
}
synth() { # synth CATALOG OUTDIR LOG
  SITES_CATALOG=$1 CDKTF_OUTDIR=$2 PLATFORM_CONFIG= npx tsx main.ts >"$3" || { cat "$3" >&2; fail "synth with $1"; }
}
# The stack's folder sits three levels down, so the synthesized backend path
# ../../../state/<stack>.tfstate is $work/run/state/<stack>.tfstate.
run=$work/run/cdktf.out/stacks/$shard
mkdir -p "$work/run/state"
vars=(-var=remote_PlatformState_sites_access_api_address=203.0.113.10)
tf() { tofu -chdir="$run" "$@"; }

echo "== 1. the example catalog: $shard with its sites, applied"
synth config/sites.yaml "$work/out" "$work/synth-1.log"
stand_ins=$(node scripts/lib/stand-in-stack.mjs "$work/out/stacks/$shard" "$run" kubernetes | wc -l)
((stand_ins > 0)) || fail "$shard has no resources"
tf init -input=false -no-color >/dev/null
tf apply -input=false -no-color -auto-approve "${vars[@]}" >"$work/apply-1.log" || { cat "$work/apply-1.log" >&2; fail "first apply"; }
held=$(tf state list | grep -vc '^data\.' || true)
((held == stand_ins)) || fail "the state holds $held resources, expected $stand_ins"
grep -q '"encrypted_data"' "$work/run/state/$shard.tfstate" || fail "the state is not encrypted"
echo "   $held resources in the state (stand-ins for its kubernetes resources), encrypted"

echo "== 2. every site removed, highestSiteIdEver kept"
catalog "$work/emptied.yaml" 'c.sites = [];'
synth "$work/emptied.yaml" "$work/out" "$work/synth-2.log"
grep "^$shard: no sites" "$work/synth-2.log" || fail "synth said nothing about $shard"
[[ -f $work/out/stacks/$shard/cdk.tf.json ]] || fail "$shard is no longer synthesized"
node -e 'process.exit(require(process.argv[1]).resource === undefined ? 0 : 1)' "$work/out/stacks/$shard/cdk.tf.json" ||
  fail "$shard still has resources"
node scripts/lib/stand-in-stack.mjs "$work/out/stacks/$shard" "$run" kubernetes >/dev/null

echo "== 3. its plan destroys them all, and nothing else"
status=0
tf plan -input=false -no-color -detailed-exitcode -out=removal.tfplan >"$work/plan.log" || status=$?
((status == 2)) || { cat "$work/plan.log" >&2; fail "plan exit code $status, expected 2 (changes)"; }
grep '^Plan:' "$work/plan.log" | sed 's/^/   /'
counts=$(tf show -json removal.tfplan | node -e '
  const plan = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const n = (action) => (plan.resource_changes ?? []).filter((r) => r.change.actions.join() === action).length;
  console.log(`${n("delete")} ${n("create")} ${n("update")} ${(plan.resource_changes ?? []).length}`);')
read -r deletes creates updates changes <<<"$counts"
((deletes == held && creates == 0 && updates == 0 && changes == held)) ||
  fail "the plan deletes $deletes, creates $creates, updates $updates of $changes changes; expected $held deletes only"
tf apply -input=false -no-color removal.tfplan >"$work/apply-2.log" || { cat "$work/apply-2.log" >&2; fail "applying the removal"; }
left=$(tf state list | grep -vc '^data\.' || true)
((left == 0)) || fail "$left resources left in the state"
echo "   applied: $deletes destroyed, the state holds nothing"

echo "== 4. retired: no longer synthesized, its folder gone"
catalog "$work/retired.yaml" 'c.sites = []; c.retiredShards = ["production-sites-01", "test-sites-01"];'
mkdir -p "$work/out/stacks/$shard/.terraform"
synth "$work/retired.yaml" "$work/out" "$work/synth-3.log"
grep -E "^(retired|$shard)" "$work/synth-3.log" | sed 's/^/   /'
[[ ! -e $work/out/stacks/$shard ]] || fail "$work/out/stacks/$shard is still there"
echo "ok: removing a shard's sites destroys their resources through its own plan ($(tofu version | awk 'NR == 1'))"
