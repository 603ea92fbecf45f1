#!/usr/bin/env bash
# Proves, with real OpenTofu, that the encryption block the stacks synthesize
# works: it takes the `terraform.encryption` block and passphrase variables of
# a synthesized stack (cdktf.out/stacks/<stack>, default test), puts them in a
# scratch configuration holding one built-in terraform_data resource, and runs
#   1. apply with passphrase A: the state file is encrypted (no plain resources);
#      the encryption is enforced: an unencrypted method brought in from outside
#      the configuration (TF_ENCRYPTION, as an override file would) is refused;
#   2. another configuration reads its outputs through terraform_remote_state
#      (as platform and sites stacks read their cluster stack); a wrong
#      passphrase is refused;
#   3. the rotation the README describes: the stack synthesized with
#      state.encryption {key: key2, previousKey: key1} applies with current=B,
#      previous=A and re-encrypts the state with key2;
#   4. after the rotation, B alone reads the state and A no longer does.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/tool-env.sh
stack=${1:-test}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# scratch_config KEY [PREVIOUS_KEY]: writes $work/cfg/main.tf.json from the synthesized block.
scratch_config() {
  local config_file=$work/platform.yaml
  node -e '
    const { parse, stringify } = require("yaml");
    const fs = require("fs");
    const c = parse(fs.readFileSync(process.argv[1], "utf8"));
    const encryption = { key: process.argv[3] };
    if (process.argv[4]) encryption.previousKey = process.argv[4];
    c.state = { ...(c.state ?? {}), encryption };
    fs.writeFileSync(process.argv[2], stringify(c));
  ' "${PLATFORM_CONFIG:-config/platform.yaml}" "$config_file" "$1" "${2:-}"
  CDKTF_OUTDIR=$work/out PLATFORM_CONFIG=$config_file npx tsx main.ts >/dev/null
  mkdir -p "$work/cfg"
  node -e '
    const s = require(process.argv[1]);
    const variable = Object.fromEntries(Object.entries(s.variable).filter(([k]) => k.startsWith("state_encryption_passphrase")));
    const config = {
      terraform: { backend: { local: { path: "scratch.tfstate" } }, encryption: s.terraform.encryption },
      variable,
      resource: { terraform_data: { probe: { input: "state-encryption-probe" } } },
      output: { probe: { value: "${terraform_data.probe.output}" } },
    };
    require("fs").writeFileSync(process.argv[2], JSON.stringify(config, null, 2));
    // A second configuration reading the outputs of the first, as the platform
    // and sites stacks read their cluster stack.
    delete config.resource;
    config.terraform.backend.local.path = "reader.tfstate";
    config.data = { terraform_remote_state: { cluster: { backend: "local", config: { path: "../cfg/scratch.tfstate" } } } };
    config.output = { probe: { value: "${data.terraform_remote_state.cluster.outputs.probe}" } };
    require("fs").mkdirSync(process.argv[3], { recursive: true });
    require("fs").writeFileSync(process.argv[3] + "/main.tf.json", JSON.stringify(config, null, 2));
  ' "$work/out/stacks/$stack/cdk.tf.json" "$work/cfg/main.tf.json" "$work/reader"
}

tofu_as() { # PASSPHRASE PREVIOUS COMMAND...
  local current=$1 previous=$2
  shift 2
  TF_VAR_state_encryption_passphrase=$current TF_VAR_state_encryption_passphrase_previous=$previous \
    tofu -chdir="${dir:-$work/cfg}" "$@" -input=false -no-color
}

A=first-passphrase-0123456789
B=second-passphrase-0123456789

scratch_config key1
tofu_as "$A" "" init >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
tofu_as "$A" "" apply -auto-approve >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
if grep -q 'state-encryption-probe' "$work/cfg/scratch.tfstate" || ! grep -q '"encrypted_data"' "$work/cfg/scratch.tfstate"; then
  echo "FAIL: the state file is not encrypted" >&2; exit 1
fi
echo "ok    state written encrypted with passphrase A"

# Enforced: OpenTofu merges TF_ENCRYPTION (and override files) into the
# configured block; with enforced it refuses the unencrypted method they bring.
mkdir -p "$work/plain"
node -e '
  const c = require(process.argv[1]);
  c.terraform.backend.local.path = "plain.tfstate";
  require("fs").writeFileSync(process.argv[2], JSON.stringify(c, null, 2));
' "$work/cfg/main.tf.json" "$work/plain/main.tf.json"
unencrypted='method "unencrypted" "plain" {}
state { method = method.unencrypted.plain }
plan { method = method.unencrypted.plain }'
dir=$work/plain tofu_as "$A" "" init >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
if TF_ENCRYPTION=$unencrypted dir=$work/plain tofu_as "$A" "" apply -auto-approve >"$work/log" 2>&1; then
  echo "FAIL: tofu wrote the state with an unencrypted method (encryption not enforced)" >&2; exit 1
fi
grep -q 'Unencrypted method is forbidden' "$work/log" || { cat "$work/log"; echo "FAIL: not refused for the enforced flag" >&2; exit 1; }
if [[ -e $work/plain/plain.tfstate ]] && grep -q 'state-encryption-probe' "$work/plain/plain.tfstate"; then
  echo "FAIL: a plaintext state was written" >&2; exit 1
fi
echo "ok    enforced: an unencrypted method from TF_ENCRYPTION is refused, nothing written in clear"

dir=$work/reader tofu_as "$A" "" init >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
dir=$work/reader tofu_as "$A" "" apply -auto-approve >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
out=$(TF_VAR_state_encryption_passphrase=$A tofu -chdir="$work/reader" output -raw probe 2>&1) || true
[[ $out == state-encryption-probe ]] ||
  { echo "FAIL: another stack could not read the encrypted outputs: $out" >&2; exit 1; }
echo "ok    another stack reads its outputs through terraform_remote_state"

if tofu_as "$B" "" plan >"$work/log" 2>&1; then
  echo "FAIL: a wrong passphrase read the state" >&2; exit 1
fi
echo "ok    a wrong passphrase is refused"

scratch_config key2 key1
tofu_as "$B" "$A" apply -auto-approve >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
echo "ok    rotation: read with fallback A, written with B"

scratch_config key2
tofu_as "$B" "" plan -detailed-exitcode >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
if tofu_as "$A" "" plan >"$work/log" 2>&1; then
  echo "FAIL: the old passphrase still reads the state after the rotation" >&2; exit 1
fi
echo "ok    after the rotation B alone reads the state, A no longer does"
