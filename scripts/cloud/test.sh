#!/usr/bin/env bash
# npm run test:cloud: real OpenTofu against the test cloud (npm run cloud:up)
# for the synthesized cluster stacks (CLOUD_STACKS, default "test production";
# npm run synth first). Per stack:
#   1. tofu apply succeeds;
#   2. a second plan has no changes (-detailed-exitcode 0);
#   3. day 2: an agent pool's count + 2 plans only ports, instances and load
#      balancer members to add; a changed flavor leaves running instances
#      as they are (README, Day 2: they ignore flavor_name);
#   4. tofu destroy succeeds and the project holds nothing afterwards;
# and once: 5. a config over the default quotas is refused at synth.
# "staging" (in CLOUD_STACKS by default) is not in the default config: it is
# test's copy in region dc4-a with its own address plan (STAGING_EXPR), the
# environment a user adds; its provider and containers name dc4-a, which the
# test cloud's catalog serves with the same services.
# The tls and random resources are replaced by variables with fixed test
# values (scripts/cloud/prepare-stack.mjs): those providers are not built here.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
source scripts/tool-env.sh
source "$here/env.sh"
[[ -f $CLOUD_DIR/up ]] || die "the test cloud is not up: npm run cloud:up"
[[ -d cdktf.out/stacks ]] || die "no synthesized stacks: npm run synth"
source "$CLOUD_DIR/openrc"
py=$CLOUD_VENV/bin/python
stacks=${CLOUD_STACKS:-test production staging}
# A fourth environment, as README "Environments are data" shows one: test's shape in dc4-a.
STAGING_EXPR="doc.environments.staging = { ...structuredClone(doc.environments.test), role: 'sites', region: 'dc4-a', network: { cidr: '10.40.0.0/16', serversSubnetCidr: '10.40.0.0/24', agentsSubnetCidr: '10.40.16.0/20' } };"
# The config edit a stack needs before its own day-2 edits: only staging is not in the default config.
base_expr() { [[ $1 == staging ]] && printf '%s ' "$STAGING_EXPR"; }
failed=0
report=()
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }
fail() {
  log "FAIL $stack: $*"
  failed=$((failed + 1))
}
export TF_VAR_state_encryption_passphrase
# Kept with the cloud, so that a state left by a failed run can still be read.
[[ -f $CLOUD_DIR/state-passphrase ]] || (umask 077 && openssl rand -hex 24 >"$CLOUD_DIR/state-passphrase")
TF_VAR_state_encryption_passphrase=$(cat "$CLOUD_DIR/state-passphrase")
pem=$CLOUD_DIR/test-values.pem
[[ -f $pem ]] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=cloud-test \
  -keyout "$CLOUD_DIR/test-values.key" -out "$pem" >/dev/null 2>&1

# The planned actions of a saved plan, "<action> <type>" one a line, sorted and counted.
plan_actions() {
  tofu -chdir="$1" show -json "$2" | node -e '
    const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const out = {};
    for (const c of p.resource_changes ?? []) {
      const a = c.change.actions.join("+");
      if (a === "no-op" || a === "read") continue;
      const k = `${a} ${c.type}`;
      out[k] = (out[k] ?? 0) + 1;
    }
    for (const [k, n] of Object.entries(out).sort()) console.log(`${n} ${k}`);'
}

# synth_variant NAME NODE_EXPR: synthesizes the stacks with a changed copy of
# the platform config (NODE_EXPR edits `doc`, the parsed YAML) into
# $CLOUD_DIR/variants/NAME, leaving cdktf.out as it was.
synth_variant() {
  local name=$1 expr=$2 out=$CLOUD_DIR/variants/$1
  mkdir -p "$out"
  node -e '
    const YAML = require("yaml"); const fs = require("fs");
    const doc = YAML.parse(fs.readFileSync("config/platform.yaml", "utf8"));
    '"$expr"'
    fs.writeFileSync(process.argv[1], YAML.stringify(doc));' "$out/platform.yaml" || return 1
  rm -rf "$out/cdktf.out.saved" && cp -r cdktf.out "$out/cdktf.out.saved"
  PLATFORM_CONFIG=$out/platform.yaml npm run --silent synth >"$out/synth.log" 2>&1
  local rc=$?
  rm -rf "$out/stacks" && cp -r cdktf.out/stacks "$out/stacks"
  rm -rf cdktf.out && mv "$out/cdktf.out.saved" cdktf.out
  return $rc
}

for stack in $stacks; do
  work=$CLOUD_DIR/stacks/$stack
  rm -rf "$work"
  mkdir -p "$work"
  source_dir=cdktf.out/stacks/$stack
  if [[ $stack == staging ]]; then
    synth_variant staging "$STAGING_EXPR" || { fail "synth with a staging environment in dc4-a: $(tail -n 5 "$CLOUD_DIR/variants/staging/synth.log")"; continue; }
    source_dir=$CLOUD_DIR/variants/staging/stacks/staging
    region=$(node -e 'console.log(require(process.argv[1]).provider.openstack[0].region)' "$source_dir/cdk.tf.json")
    containers=$(node -e 'console.log(Object.values(require(process.argv[1]).resource.openstack_objectstorage_container_v1).map((c) => c.region).join(" "))' "$source_dir/cdk.tf.json")
    [[ $region == dc4-a && $containers == dc4-a ]] || { fail "staging: its provider region is $region and its containers' $containers, not dc4-a"; continue; }
    log "staging: provider and backups container in dc4-a, found through the catalog's dc4-a endpoints"
  fi
  replaced=$(node "$here/prepare-stack.mjs" "$source_dir" "$work" "$OS_AUTH_URL" "$pem") || { fail "prepare"; continue; }
  resources=$(node -e 'const j=require(process.argv[1]); let n=0; for (const v of Object.values(j.resource ?? {})) n += Object.keys(v).length; console.log(n)' "$work/cdk.tf.json")
  log "$stack: $resources resources against the test cloud; $(wc -l <<<"$replaced") tls/random resources replaced by fixed test values (those providers are not built here): $(sed 's/\..*//' <<<"$replaced" | sort | uniq -c | awk '{ printf "%s%s x%s", s, $2, $1; s=", " }')"
  tofu -chdir="$work" init -input=false -no-color >"$work/init.log" 2>&1 || { fail "tofu init"; cat "$work/init.log"; continue; }

  t=$(now)
  if tofu -chdir="$work" apply -auto-approve -input=false -no-color -parallelism=4 >"$work/apply.log" 2>&1; then
    apply_s=$(since "$t")
    log "$stack: 1. apply ok in ${apply_s} s"
  else
    apply_s="failed after $(since "$t")"
    fail "1. tofu apply; its errors, verbatim:"
    grep -A12 '^Error' "$work/apply.log" >&2
  fi

  t=$(now)
  tofu -chdir="$work" plan -detailed-exitcode -input=false -no-color -out="$work/second.plan" >"$work/second-plan.log" 2>&1
  rc=$?
  plan_s=$(since "$t")
  case $rc in
    0) log "$stack: 2. second plan: no changes (${plan_s} s)" ;;
    2) fail "2. the second plan is not empty (a perpetual diff):"; plan_actions "$work" "$work/second.plan" >&2
       grep -E '^  # |^      [~+-] ' "$work/second-plan.log" | head -40 >&2 ;;
    *) fail "2. second plan errored:"; grep -A12 '^Error' "$work/second-plan.log" >&2 ;;
  esac

  # 3. day 2, planned against the applied state.
  pool_expr="$(base_expr "$stack")const e = doc.environments['$stack']; e.agentPools[0].count += 2;"
  if synth_variant "$stack-count" "$pool_expr"; then
    v=$CLOUD_DIR/variants/$stack-count/stacks/$stack
    d=$work-day2
    rm -rf "$d" && mkdir -p "$d"
    node "$here/prepare-stack.mjs" "$v" "$d" "$OS_AUTH_URL" "$pem" >/dev/null
    sed -i "s|$d/terraform.tfstate|$work/terraform.tfstate|" "$d/cdk.tf.json"
    cp -r "$work/.terraform" "$work/.terraform.lock.hcl" "$d/" 2>/dev/null
    tofu -chdir="$d" plan -lock=false -input=false -no-color -out="$d/count.plan" >"$d/count-plan.log" 2>&1 || { fail "3. count plan errored"; grep -A12 '^Error' "$d/count-plan.log" >&2; }
    actions=$(plan_actions "$d" "$d/count.plan")
    log "$stack: 3a. agent pool count + 2 plans: $(paste -sd, <<<"$actions" | sed 's/,/, /g')"
    if grep -vqE '^[0-9]+ create openstack_(networking_port_v2|compute_instance_v2|lb_member_v2)$' <<<"$actions"; then
      fail "3a. the count change plans more than ports, instances and members to create"
    fi
  else
    fail "3a. synth with count + 2 failed: $(tail -n 5 "$CLOUD_DIR/variants/$stack-count/synth.log")"
  fi
  flavor_expr="$(base_expr "$stack")const e = doc.environments['$stack']; const p = e.agentPools[0]; p.flavor = p.flavor === 'a8-ram16-disk0' ? 'a4-ram16-disk0' : 'a8-ram16-disk0';"
  if synth_variant "$stack-flavor" "$flavor_expr"; then
    v=$CLOUD_DIR/variants/$stack-flavor/stacks/$stack
    d=$work-day2f
    rm -rf "$d" && mkdir -p "$d"
    node "$here/prepare-stack.mjs" "$v" "$d" "$OS_AUTH_URL" "$pem" >/dev/null
    sed -i "s|$d/terraform.tfstate|$work/terraform.tfstate|" "$d/cdk.tf.json"
    cp -r "$work/.terraform" "$work/.terraform.lock.hcl" "$d/" 2>/dev/null
    tofu -chdir="$d" plan -lock=false -input=false -no-color -out="$d/flavor.plan" >"$d/flavor-plan.log" 2>&1 || { fail "3b. flavor plan errored"; grep -A12 '^Error' "$d/flavor-plan.log" >&2; }
    actions=$(plan_actions "$d" "$d/flavor.plan")
    log "$stack: 3b. flavor change plans: ${actions:-no changes}"
    # README, Day 2: running nodes keep their flavor (instances ignore
    # flavor_name; `npm run roll -- resize` moves them), so no instance may
    # be replaced or updated by the plan itself.
    if grep -qE 'openstack_compute_instance_v2$' <<<"$actions"; then
      fail "3b. the flavor change plans running instances to change (README: they keep theirs)"
    fi
  else
    fail "3b. synth with another flavor failed: $(tail -n 5 "$CLOUD_DIR/variants/$stack-flavor/synth.log")"
  fi

  # A single-server environment's server carries prevent_destroy (README,
  # Scaling): lifted here, for the test cloud's destroy only.
  lifted=$(node -e '
    const fs = require("fs"); const f = process.argv[1]; const j = JSON.parse(fs.readFileSync(f, "utf8"));
    for (const [t, items] of Object.entries(j.resource ?? {})) for (const [n, b] of Object.entries(items))
      if (b.lifecycle?.prevent_destroy) { delete b.lifecycle.prevent_destroy; console.log(`${t}.${n}`); }
    fs.writeFileSync(f, JSON.stringify(j, null, 2));' "$work/cdk.tf.json")
  [[ -n $lifted ]] && log "$stack: prevent_destroy lifted for the destroy: $(paste -sd' ' <<<"$lifted")"
  t=$(now)
  if tofu -chdir="$work" destroy -auto-approve -input=false -no-color -parallelism=4 >"$work/destroy.log" 2>&1; then
    destroy_s=$(since "$t")
    log "$stack: 4. destroy ok in ${destroy_s} s"
  else
    destroy_s="failed after $(since "$t")"
    fail "4. tofu destroy; its errors, verbatim:"
    grep -A12 '^Error' "$work/destroy.log" >&2
  fi
  if left=$("$py" "$here/leftovers.py" 2>&1); then
    log "$stack: 4. the project holds nothing of the stack"
  else
    fail "4. left in the project after destroy:"
    echo "$left" >&2
  fi
  report+=("$(printf '%-11s %4s resources  apply %s s  second plan %s s  destroy %s s' "$stack" "$resources" "$apply_s" "$plan_s" "$destroy_s")")
done

# 5. over the default quotas: refused before any plan, naming the quota.
stack=quota
quota_expr="const e = doc.environments.test; e.agentPools[0].count = 60;"
if synth_variant quota "$quota_expr"; then
  fail "5. a config of 60 + nodes in test synthesized: nothing refused it before plan"
else
  msg=$(grep -iE 'quota' "$CLOUD_DIR/variants/quota/synth.log" | head -n 3)
  if [[ -n $msg ]]; then
    log "5. over the default quotas, synth refuses: $msg"
  else
    fail "5. synth failed without naming the quota: $(tail -n 5 "$CLOUD_DIR/variants/quota/synth.log")"
  fi
fi

printf '%s\n' "${report[@]}"
if ((failed)); then
  echo "test:cloud: $failed check(s) failed (logs: $CLOUD_DIR/stacks)" >&2
  exit 1
fi
echo "test:cloud: every check passed"
