#!/usr/bin/env bash
# npm run scale-to-floor: before destroying the platform stack of an environment with an
# autoscaled pool (README, Node autoscaling, "Destroying a cluster with an autoscaled
# pool"), brings every autoscaled pool down to its floor, the Terraform nodes:
#   1. the cluster-autoscaler to 0 replicas (it would scale the groups back up for
#      pending pods);
#   2. every MachineDeployment of the cluster-api namespace to 0 replicas (CAPI drains
#      each node, honouring PodDisruptionBudgets; CAPO deletes its server, port, volume);
#   3. waits until no Machine is left (SCALE_TO_FLOOR_TIMEOUT seconds, default 1800).
# Then no server CAPO made holds the agents subnet, and the stacks can be destroyed.
# Uses kubectl with the current KUBECONFIG, e.g. the break-glass one:
#   npm run --silent break-glass -- production >/tmp/production.kubeconfig
#   KUBECONFIG=/tmp/production.kubeconfig npm run scale-to-floor
# Run by scripts/check-capo-cloud.sh against the test cloud.
set -euo pipefail
kubectl=${KUBECTL:-kubectl}
timeout=${SCALE_TO_FLOOR_TIMEOUT:-1800}
# lib/platform/node-autoscaling.ts (NODE_AUTOSCALING_NAMESPACES) and cluster-autoscaler.ts.
autoscaler_ns=cluster-autoscaler autoscaler=cluster-autoscaler objects_ns=cluster-api
say() { echo "[scale-to-floor] $*"; }

if "$kubectl" -n "$autoscaler_ns" get deployment "$autoscaler" >/dev/null 2>&1; then
  "$kubectl" -n "$autoscaler_ns" scale deployment "$autoscaler" --replicas 0 >/dev/null
  say "1. $autoscaler_ns/$autoscaler scaled to 0"
else
  say "1. no $autoscaler_ns/$autoscaler deployment: nothing to stop"
fi
mds=$("$kubectl" -n "$objects_ns" get machinedeployments -o name)
if [[ -z $mds ]]; then
  say "2. no MachineDeployment in $objects_ns: no autoscaled pool here"
else
  "$kubectl" -n "$objects_ns" scale machinedeployment --all --replicas 0 >/dev/null
  say "2. scaled to 0: $(paste -sd' ' <<<"$mds")"
fi
end=$((SECONDS + timeout))
while :; do
  machines=$("$kubectl" -n "$objects_ns" get machines -o name)
  [[ -z $machines ]] && break
  if ((SECONDS >= end)); then
    say "3. still there after ${timeout} s (a PodDisruptionBudget may hold a drain: kubectl -n $objects_ns describe machine): $(paste -sd' ' <<<"$machines")" >&2
    exit 1
  fi
  sleep 5
done
say "3. no Machine left: the autoscaled nodes and their servers are gone; the stacks may be destroyed"
