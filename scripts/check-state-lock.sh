#!/usr/bin/env bash
# Proves, with real OpenTofu against a real Swift S3 API on 127.0.0.1
# (scripts/swift/server.sh: OpenStack Swift's s3api, what Infomaniak's object
# storage runs), that the s3 backend the stacks synthesize works and locks.
#
# It synthesizes the stacks with state.backend: s3, takes <stack>'s backend
# (default test) exactly as synthesized (path-style, the skips, use_lockfile)
# with only its S3 endpoint pointed at the local Swift, and its encryption
# block, into a scratch configuration holding built-in terraform_data
# resources (one of them sleeps in a local-exec to hold the lock), and shows:
#   1. tofu apply works; the state object in the container is encrypted; the
#      lock is a path-style PUT of <key>.tflock with If-None-Match: *, read back
#      and deleted on release (from tofu's debug log);
#   2. while an apply runs, the lock object <key>.tflock exists and a second
#      `tofu plan -lock-timeout=0s` fails with the lock error naming that apply;
#   3. after the apply, the lock object is gone and a plan finds no changes;
#   4. a plan with -lock-timeout (as the pipeline runs them) waits for the
#      holder, then succeeds;
#   5. <stack>-platform's terraform_remote_state, as synthesized, reads the
#      encrypted outputs through the S3 API.
#
# With SWIFT_VERSION before 2.36 (2.30.1, reported on Infomaniak in 2026-09),
# it shows instead what happens there: the lock is refused (501
# NotImplemented, "Conditional object PUTs are not supported."), tofu stops
# before writing the state, and with state.s3.lockFile: false it works again
# with no lock, so a second plan runs during an apply.
#
#   bash scripts/check-state-lock.sh [STACK]          # npm run check:state-lock
#   SWIFT_VERSION=2.30.1 bash scripts/check-state-lock.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/tool-env.sh
source scripts/swift/server.sh
stack=${1:-test}
work=$(mktemp -d)
# KEEP_WORK=1 keeps the work directory (tofu logs, Swift's stderr) for a look.
trap 'swift_stop; [[ ${KEEP_WORK:-0} == 1 ]] && echo "kept $work" >&2 || rm -rf "$work"' EXIT

bucket=tofu-state-check
if [[ $(printf '%s\n' 2.36.0 "$SWIFT_VERSION" | sort -V | awk 'NR == 1') != 2.36.0 ]]; then
  refuses_conditional_put=1
else
  refuses_conditional_put=0
fi

# Credentials of the local Swift only; no AWS configuration of this machine is read.
export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 || true
export TF_VAR_state_encryption_passphrase=lock-check-passphrase-0123456789

fail() { echo "FAIL: $*" >&2; exit 1; }
run() { # LOG COMMAND...: runs a command, its output into LOG; prints LOG on failure
  local log=$1
  shift
  "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
}

# synthesize LOCKFILE: the stacks with state.backend s3 into $work/out.
synthesize() {
  node -e '
    const { parse, stringify } = require("yaml");
    const fs = require("fs");
    const c = parse(fs.readFileSync(process.argv[1], "utf8"));
    c.state = { ...(c.state ?? {}), backend: "s3", s3: { bucket: process.argv[3], lockFile: process.argv[4] === "true" } };
    fs.writeFileSync(process.argv[2], stringify(c));
  ' "${PLATFORM_CONFIG:-config/platform.yaml}" "$work/platform.yaml" "$bucket" "$1"
  rm -rf "$work/out"
  CDKTF_OUTDIR=$work/out PLATFORM_CONFIG=$work/platform.yaml npx tsx main.ts >/dev/null
}

# scratch_configs: $work/cfg (the stack's backend and encryption, terraform_data
# resources) and $work/reader (the platform stack's remote state lookup).
scratch_configs() {
  rm -rf "$work/cfg" "$work/reader" && mkdir -p "$work/cfg" "$work/reader"
  node -e '
    const [stackFile, readerFile, endpoint, cfgDir, readerDir] = process.argv.slice(1);
    const fs = require("fs");
    const s = require(stackFile);
    const backend = s.terraform.backend.s3;
    if (!backend) throw new Error(stackFile + ": no s3 backend");
    // The one change: the S3 endpoint, to the local Swift.
    backend.endpoints = { ...backend.endpoints, s3: endpoint };
    const variable = Object.fromEntries(Object.entries(s.variable).filter(([k]) => k.startsWith("state_encryption_passphrase")));
    const config = {
      terraform: { backend: { s3: backend }, encryption: s.terraform.encryption },
      variable: { ...variable, run: { type: "string", default: "" }, hold_seconds: { type: "number", default: 0 } },
      resource: {
        terraform_data: {
          probe: { input: "state-lock-probe" },
          // Holds the state lock for hold_seconds while an apply runs; replaced on each new run.
          hold: { triggers_replace: "${var.run}", provisioner: [{ "local-exec": { command: "sleep ${var.hold_seconds}" } }] },
        },
      },
      output: { probe: { value: "${terraform_data.probe.output}" } },
    };
    fs.writeFileSync(cfgDir + "/main.tf.json", JSON.stringify(config, null, 2));
    fs.writeFileSync(cfgDir + "/backend.json", JSON.stringify(backend));
    const r = require(readerFile);
    const remote = r.data.terraform_remote_state.ClusterState;
    remote.config.endpoints = { ...remote.config.endpoints, s3: endpoint };
    fs.writeFileSync(readerDir + "/main.tf.json", JSON.stringify({
      terraform: { backend: { local: { path: "reader.tfstate" } }, encryption: r.terraform.encryption },
      variable,
      data: { terraform_remote_state: { ClusterState: remote } },
      output: { probe: { value: "${data.terraform_remote_state.ClusterState.outputs.probe}" } },
    }, null, 2));
  ' "$work/out/stacks/$stack/cdk.tf.json" "$work/out/stacks/$stack-platform/cdk.tf.json" "$SWIFT_ENDPOINT" "$work/cfg" "$work/reader"
}

tf() { tofu -chdir="$work/cfg" "$@" -input=false -no-color; }
backend_field() { node -e 'console.log(JSON.stringify(require(process.argv[1])[process.argv[2]] ?? null))' "$work/cfg/backend.json" "$1"; }
state_key() { node -e 'console.log(require(process.argv[1]).key)' "$work/cfg/backend.json"; }
lock_object() { s3_probe get "$bucket" "$(state_key).tflock"; }

# wait_for_lock: until the lock object exists (an apply holds the lock).
wait_for_lock() {
  local tries
  for tries in $(seq 150); do
    lock_object >"$work/lock.json" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# hold_lock RUN SECONDS LOG: an apply in the background that holds the lock.
hold_lock() {
  tf apply -auto-approve -var "run=$1" -var "hold_seconds=$2" >"$3" 2>&1 &
  holder=$!
}

synthesize true
region=$(node -e 'console.log(require(process.argv[1]).terraform.backend.s3?.region ?? "")' "$work/out/stacks/$stack/cdk.tf.json")
[[ -n $region ]] || fail "$stack has no s3 backend when synthesized with state.backend: s3"
swift_start "$work" "$region"
s3_probe create-bucket "$bucket"
scratch_configs
[[ $(backend_field use_path_style) == true ]] || fail "the synthesized backend is not path-style"
[[ $(backend_field use_lockfile) == true ]] || fail "the synthesized backend has no use_lockfile"
run "$work/init.log" tf init

if [[ $refuses_conditional_put == 1 ]]; then
  if tf apply -auto-approve >"$work/apply.log" 2>&1; then
    fail "Swift $SWIFT_VERSION took the lock file; expected it to refuse conditional writes"
  fi
  # tofu wraps its messages: compare them on one line.
  grep -q 'Error acquiring the state lock' "$work/apply.log" &&
    tr -s '\n\t ' ' ' <"$work/apply.log" | grep 'PutObject, https response error StatusCode: 501, .* NotImplemented: Conditional object PUTs are not supported' >/dev/null ||
    { cat "$work/apply.log" >&2; fail "not the refusal expected from Swift $SWIFT_VERSION"; }
  if s3_probe get "$bucket" "$(state_key)" >/dev/null; then fail "a state was written although the lock was refused"; fi
  echo "ok    Swift $SWIFT_VERSION refuses the lock file (501 NotImplemented: Conditional object PUTs are not supported.); tofu stops before writing"

  synthesize false
  scratch_configs
  [[ $(backend_field use_lockfile) == null ]] || fail "state.s3.lockFile: false still synthesizes use_lockfile"
  run "$work/init.log" tf init -reconfigure
  run "$work/apply.log" tf apply -auto-approve
  s3_probe get "$bucket" "$(state_key)" >"$work/state.json"
  grep -q '"encrypted_data"' "$work/state.json" && ! grep -q 'state-lock-probe' "$work/state.json" || fail "the state object is not encrypted"
  echo "ok    with state.s3.lockFile: false, apply works and the state object is encrypted"
  hold_lock 1 6 "$work/holder.log"
  sleep 3
  tf plan -lock-timeout=0s -var run=1 >"$work/second.log" 2>&1 ||
    { cat "$work/second.log" >&2; fail "the second plan failed although use_lockfile is off"; }
  wait "$holder" || { cat "$work/holder.log" >&2; fail "the apply failed"; }
  echo "ok    ... and nothing stops a second operation during an apply: that is what the lock file is for"
  exit 0
fi

# 1. apply, encrypted state object; the requests on the lock object, from tofu's debug log
TF_LOG=debug TF_LOG_PATH=$work/debug.log run "$work/apply.log" tf apply -auto-approve
lock_requests=$(grep -F "aws.s3.key=$(state_key).tflock" "$work/debug.log" | grep -F 'HTTP Request Sent' || true)
s3_probe get "$bucket" "$(state_key)" >"$work/state.json"
grep -q '"encrypted_data"' "$work/state.json" && ! grep -q 'state-lock-probe' "$work/state.json" ||
  fail "the state object $(state_key) is not encrypted"
if lock_object >/dev/null; then fail "the lock object is left after the apply"; fi
echo "ok    apply through the S3 API, path-style, with the lock file; the state object is encrypted"
grep -F 'rpc.method=S3/PutObject' <<<"$lock_requests" | grep -F 'http.request.header.if_none_match="*"' |
  grep -F "http.url=$SWIFT_ENDPOINT/$bucket/$(state_key).tflock" >/dev/null ||
  fail "no path-style PUT of $(state_key).tflock with If-None-Match: * in tofu's log"
grep -qF 'rpc.method=S3/GetObject' <<<"$lock_requests" && grep -qF 'rpc.method=S3/DeleteObject' <<<"$lock_requests" ||
  fail "the lock object was not read back and deleted"
echo "ok    the lock: PUT /$bucket/$(state_key).tflock with If-None-Match: *, read back by GET, released by DELETE"

# 2. a second operation during an apply is refused
hold_lock 1 8 "$work/holder.log"
wait_for_lock || { cat "$work/holder.log" >&2; fail "no lock object $(state_key).tflock while the apply runs"; }
lock_id=$(node -e 'const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(l.Operation, l.ID)' "$work/lock.json")
if tf plan -lock-timeout=0s -var run=1 >"$work/second.log" 2>&1; then
  fail "a second plan ran while the apply held the lock"
fi
grep -q 'Error acquiring the state lock' "$work/second.log" && grep -q "${lock_id#* }" "$work/second.log" ||
  { cat "$work/second.log" >&2; fail "the second plan failed, but not on the lock"; }
grep -q 'PreconditionFailed' "$work/second.log" || { cat "$work/second.log" >&2; fail "expected the conditional write to be refused (412)"; }
echo "ok    while the apply runs, $(state_key).tflock exists ($lock_id) and a second plan -lock-timeout=0s fails on it (412 PreconditionFailed)"

# 3. released
wait "$holder" || { cat "$work/holder.log" >&2; fail "the holding apply failed"; }
if lock_object >/dev/null; then fail "the lock object is left after the apply"; fi
tf plan -detailed-exitcode -var run=1 >"$work/plan.log" 2>&1 || { cat "$work/plan.log" >&2; fail "plan after the release"; }
echo "ok    after the apply the lock object is gone and a plan finds no changes"

# 4. -lock-timeout waits for the holder
hold_lock 2 6 "$work/holder.log"
wait_for_lock || { cat "$work/holder.log" >&2; fail "no lock object during the second apply"; }
start=$SECONDS
tf plan -lock-timeout=2m -detailed-exitcode -var run=2 >"$work/wait.log" 2>&1 &
waiter=$!
sleep 1
kill -0 "$holder" 2>/dev/null && ! kill -0 "$waiter" 2>/dev/null &&
  fail "plan -lock-timeout=2m finished while the apply still held the lock"
wait "$holder" || { cat "$work/holder.log" >&2; fail "the holding apply failed"; }
wait "$waiter" || { cat "$work/wait.log" >&2; fail "plan -lock-timeout=2m did not succeed after the holder released the lock"; }
echo "ok    plan -lock-timeout=2m waits for the apply holding the lock ($((SECONDS - start)) s), then succeeds"

# 5. the platform stack reads the cluster state
run "$work/reader-init.log" tofu -chdir="$work/reader" init -input=false -no-color
run "$work/reader-apply.log" tofu -chdir="$work/reader" apply -auto-approve -input=false -no-color
out=$(tofu -chdir="$work/reader" output -raw probe 2>&1) || true
[[ $out == state-lock-probe ]] || fail "$stack-platform's terraform_remote_state did not read the outputs: $out"
echo "ok    $stack-platform's terraform_remote_state, as synthesized, reads the encrypted outputs through the S3 API"
