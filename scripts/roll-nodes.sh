#!/bin/sh
# Rolls the nodes of a cluster stack one at a time: each node is drained
# (evictions, which its PodDisruptionBudgets can hold back), changed by one
# targeted apply that touches that instance and nothing else, waited for
# until it has rebooted and is Ready, and uncordoned; only then the next.
# POSIX sh, like scripts/ci/tofu-stacks.sh.
#
#   scripts/roll-nodes.sh resize STACK [POOL]    nodes whose flavor differs from the config: Nova resize in place
#   scripts/roll-nodes.sh replace STACK POOL     every node of an agent pool: a new instance (new image, current user data)
#
# Why: the instances ignore changes of their flavor and boot (NodePool
# IMMUTABLE_ATTRIBUTES), so no plain apply resizes or replaces more than zero
# running nodes. This script is the one way a flavor change reaches running
# nodes: for the node it resizes it adds roll_override.tf.json, an OpenTofu
# override file that drops flavor_name from that one instance's
# ignore_changes, and removes it again.
#
# Needs tofu and kubectl on PATH and what a tofu apply of the stack needs
# (OS_*, TF_VAR_state_encryption_passphrase, the S3 keys of a remote state),
# after `npm run synth` and a plain apply with no pending changes. kubectl uses
# $KUBECONFIG if set, else the platform-deployer credentials from the stack's
# outputs (from a network in access.apiAllowedCidrs).
#
# Stops at the first problem (a drain that PDBs hold back past the timeout, a
# plan that touches anything else, a node that does not come back): the node
# stays cordoned, nothing else is touched; fix it and run the script again, it
# picks up what is left.
set -eu
usage="usage: roll-nodes.sh resize STACK [POOL] | roll-nodes.sh replace STACK POOL"
mode=${1:?$usage}
stack=${2:?$usage}
pool=${3:-}
case $mode in
  resize) ;;
  replace) [ -n "$pool" ] || { echo "roll-nodes.sh: replace needs a POOL; $usage" >&2; exit 2; } ;;
  *) echo "roll-nodes.sh: unknown mode $mode; $usage" >&2; exit 2 ;;
esac
dir=cdktf.out/stacks/$stack
[ -f "$dir/cdk.tf.json" ] || { echo "roll-nodes.sh: $dir/cdk.tf.json not found; run npm run synth first" >&2; exit 1; }
override=$dir/roll_override.tf.json
plan_file=roll.tfplan
drain_timeout=${ROLL_DRAIN_TIMEOUT:-15m}
ready_timeout_seconds=${ROLL_READY_TIMEOUT_SECONDS:-1200}
poll_seconds=${ROLL_POLL_SECONDS:-10}
lock_timeout=5m
if [ -e "$override" ]; then
  echo "roll-nodes.sh: $override exists, left by a roll that was killed; check that no roll runs, remove it, and run again" >&2
  exit 1
fi

work=$(mktemp -d)
cleanup() { rm -f "$override" "$dir/$plan_file"; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

tofu -chdir="$dir" init -input=false -no-color >/dev/null
tofu -chdir="$dir" output -raw nodes >"$work/nodes"
echo >>"$work/nodes"

if [ -z "${KUBECONFIG:-}" ]; then
  (
    umask 077
    tofu -chdir="$dir" output -raw cluster_ca_certificate >"$work/ca.pem"
    tofu -chdir="$dir" output -raw platform_client_certificate >"$work/cert.pem"
    tofu -chdir="$dir" output -raw platform_client_key >"$work/key.pem"
    server=$(tofu -chdir="$dir" output -raw api_endpoint)
    cat >"$work/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: $stack, cluster: {server: "$server", certificate-authority: "$work/ca.pem"}}]
users: [{name: platform-deployer, user: {client-certificate: "$work/cert.pem", client-key: "$work/key.pem"}}]
contexts: [{name: $stack, context: {cluster: $stack, user: platform-deployer}}]
current-context: $stack
EOF
  )
  KUBECONFIG=$work/kubeconfig
  export KUBECONFIG
fi

# The nodes to roll, servers first: "<role> <pool> <name> <address> <flavor now> <flavor configured>".
servers=$(grep -c '^server ' "$work/nodes" || true)
: >"$work/queue"
for role in server agent; do
  while read -r r p name address now want; do
    [ "$r" = "$role" ] || continue
    [ -z "$pool" ] || [ "$p" = "$pool" ] || continue
    if [ "$mode" = resize ] && [ "$now" = "$want" ]; then continue; fi
    echo "$r $p $name $address $now $want" >>"$work/queue"
  done <"$work/nodes"
done
if [ ! -s "$work/queue" ]; then
  if [ -n "$pool" ] && ! grep -q "^[a-z]* $pool " "$work/nodes"; then
    echo "roll-nodes.sh: $stack has no pool $pool" >&2
    exit 1
  fi
  echo "roll-nodes.sh: nothing to $mode in $stack${pool:+ pool $pool}: every node has its configured flavor"
  exit 0
fi
if [ "$mode" = replace ] && grep -q '^server ' "$work/queue"; then
  echo "roll-nodes.sh: replace rolls agent pools only; a server is replaced by hand (README, Operations: new node image), never the only one" >&2
  exit 2
fi
if grep -q '^server ' "$work/queue" && [ "$servers" -lt 3 ] && [ "${ROLL_ALLOW_ONLY_SERVER:-}" != 1 ]; then
  echo "roll-nodes.sh: $stack has a single server: resizing it stops the Kubernetes API until it is back (etcd stays on its volume); set ROLL_ALLOW_ONLY_SERVER=1 to go ahead" >&2
  exit 2
fi

fail() {
  echo "roll-nodes.sh: $*" >&2
  exit 1
}

# The node's boot ID, empty while the node is unknown.
boot_id() { kubectl get node "$1" -o 'jsonpath={.status.nodeInfo.bootID}' 2>/dev/null || true; }
ready() { kubectl get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true; }

total=$(wc -l <"$work/queue" | tr -d ' ')
n=0
# The queue is read on fd 3: tofu and kubectl keep stdin.
while read -r role p name address now want <&3; do
  n=$((n + 1))
  type=${address%%.*}
  resource=${address#*.}
  if [ "$mode" = resize ]; then
    echo "== [$n/$total] $name ($p): resize $now -> $want"
  else
    echo "== [$n/$total] $name ($p): replace"
  fi
  before=$(boot_id "$name")
  [ -n "$before" ] || fail "node $name is not in the cluster (kubectl get node $name); nothing was changed"
  # Evictions only: a PodDisruptionBudget that has no disruption to spare
  # holds the drain back until the timeout; never --force, never --disable-eviction.
  if ! kubectl drain "$name" --ignore-daemonsets --delete-emptydir-data --timeout="$drain_timeout"; then
    fail "the drain of $name did not finish within $drain_timeout (a PodDisruptionBudget or a pod that does not stop); nothing was resized. $name stays cordoned: fix it and run again, or kubectl uncordon $name"
  fi
  if [ "$mode" = resize ]; then
    # This instance, and only this one, may change its flavor (the other
    # attributes stay ignored, as NodePool.IMMUTABLE_ATTRIBUTES has them).
    printf '{"resource":{"%s":{"%s":{"lifecycle":{"ignore_changes":["user_data","block_device","config_drive"]}}}}}\n' "$type" "$resource" >"$override"
    tofu -chdir="$dir" plan -input=false -no-color -lock-timeout="$lock_timeout" -target="$address" -out="$plan_file" >"$work/plan.log" ||
      { cat "$work/plan.log" >&2; fail "the plan for $name failed; $name stays cordoned"; }
    expected="Plan: 0 to add, 1 to change, 0 to destroy."
    what="$expected, flavor_name $now -> $want, of $address alone"
  else
    kubectl delete node "$name" # RKE2 then drops its node password, so the new instance may join under the same name
    tofu -chdir="$dir" plan -input=false -no-color -lock-timeout="$lock_timeout" -target="$address" -replace="$address" -out="$plan_file" >"$work/plan.log" ||
      { cat "$work/plan.log" >&2; fail "the plan for $name failed; its Node object is deleted, the instance still runs: run again"; }
    expected="Plan: 1 to add, 0 to change, 1 to destroy."
    what="$expected, of $address alone"
  fi
  tofu -chdir="$dir" show -no-color "$plan_file" >"$work/plan.txt"
  if ! grep -qF "$expected" "$work/plan.txt" || ! grep -qF "# $address " "$work/plan.txt" ||
    { [ "$mode" = resize ] && ! grep -q "flavor_name *= *\"$now\" -> \"$want\"" "$work/plan.txt"; }; then
    cat "$work/plan.txt" >&2
    fail "the plan for $name is not '$what': not applied; apply the stack's pending changes first. $name stays cordoned"
  fi
  tofu -chdir="$dir" apply -input=false -no-color -lock-timeout="$lock_timeout" "$plan_file"
  rm -f "$override" "$dir/$plan_file"
  deadline=$(($(date +%s) + ready_timeout_seconds))
  until [ "$(ready "$name")" = True ] && after=$(boot_id "$name") && [ -n "$after" ] && [ "$after" != "$before" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$name did not come back Ready after a reboot within ${ready_timeout_seconds}s; the roll stops here (it stays cordoned)"
    sleep "$poll_seconds"
  done
  kubectl uncordon "$name"
  echo "== [$n/$total] $name is back and schedulable"
done 3<"$work/queue"
echo "roll-nodes.sh: rolled $total node(s) of $stack${pool:+ pool $pool}, one at a time"
