#!/usr/bin/env bash
# npm run check:cluster-api-run: the core Cluster API controller and CAPO (the pinned
# releases, built from their Go modules) against a local kube-apiserver v1.34.3 and
# etcd (built from k8s.io/kubernetes and go.etcd.io/etcd; all in tools/capi-run), with
# the vendored CRDs and both controllers' admission webhooks, on the Cluster API
# objects of an autoscaled pool. It shows that the webhooks accept and default the
# objects, that CAPI takes CAPO's v1beta1-labelled CRDs at their v1beta1 contract and
# our ExternalControlPlane as an initialized control plane, that its ClusterCache
# reaches the cluster through `<cluster>-kubeconfig` with the narrow RBAC of
# lib/platform/node-autoscaling.ts, that a scale through the MachineDeployment's scale
# subresource (what the cluster-autoscaler does) makes a Machine that finds its Node by
# provider ID, and that a scale-down drains and deletes that Node. CAPO's controllers
# reconcile nothing (no OpenStack API here): the script sets the status they would set.
# scripts/check-capo-cloud.sh runs them for real, against the test cloud.
# Everything listens on 127.0.0.1 and is stopped at exit.
#
# Binaries go to $TOOLS_DIR/bin (default .tools/bin), rebuilt when their stamp changes
# (scripts/lib/capi-local.sh, shared with check-capo-cloud.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
start=$(date +%s.%N)
source scripts/lib/capi-local.sh
trap capi_cleanup EXIT
fail() { echo "FAIL  $*" >&2; echo "--- controller log (last 30 lines)" >&2; tail -30 "$work/capi.log" >&2 || true; exit 1; }
capi_build_all
capi_start_apiserver
capi_start_core
# CAPO for its admission webhooks only: its controllers reconcile only objects labelled with
# this watch filter, which ours are not (no OpenStack API here; the status CAPO would set is set below).
capi_start_capo "webhooks only" --watch-filter capo-run-reconciles-nothing --v=2

ns=cluster-api cluster=webhost-production md=webhost-production-web
capi_workload_kubeconfig "$cluster" "$ns"
if k --kubeconfig "$work/workload.kubeconfig" get secrets -A >/dev/null 2>&1; then fail "the workload identity may read Secrets"; fi
ok "the workload identity reads nodes ($(k --kubeconfig "$work/workload.kubeconfig" auth can-i list nodes 2>/dev/null)) and no Secrets ($(k --kubeconfig "$work/workload.kubeconfig" auth can-i list secrets -A || true))"

# Retried while the just-registered webhooks start answering; the last refusal is shown.
apply_objects() { k apply --server-side -f "$work/objects.yaml" >"$work/objects.out" 2>&1; }
wait_for 60 apply_objects || fail "the objects were refused: $(cat "$work/objects.out")"
ok "CAPI's and CAPO's webhooks accept the objects: $(grep '^kind:' "$work/objects.yaml" | cut -d' ' -f2 | paste -sd, -)"
# Not vacuous: CAPO's webhook refuses a change to a machine template (they are immutable).
if out=$(k -n "$ns" patch openstackmachinetemplate "$md" --type merge -p '{"spec":{"template":{"spec":{"flavor":"a16-ram64-disk0"}}}}' 2>&1); then
  fail "CAPO's webhook let the OpenStackMachineTemplate change"
fi
# The refusal names CAPO's Go type: its webhook's, not the CRD schema's.
[[ $out == *"spec.template.spec: Invalid value: v1beta1.OpenStackMachineSpec{"* ]] || fail "the template change was refused, but not by CAPO's webhook: $out"
ok "CAPO's webhook refuses a machine template change (spec.template.spec is immutable)"
[[ $(k -n "$ns" get md "$md" -o jsonpath='{.spec.replicas}/{.spec.rollout.strategy.type}') == 0/RollingUpdate ]] || fail "MachineDeployment not defaulted to 0 replicas (min-size) and a rolling update"
ok "the MachineDeployment is defaulted to the min-size annotation's 0 replicas"

adopted() { [[ $(k -n "$ns" get openstackcluster "$cluster" -o jsonpath='{.metadata.ownerReferences[0].kind}') == Cluster ]]; }
wait_for 60 adopted || fail "CAPI did not adopt the OpenStackCluster"
k -n "$ns" patch openstackcluster "$cluster" --subresource status --type merge -p '{"status":{"ready":true}}' >/dev/null
provisioned() { [[ $(k -n "$ns" get cluster "$cluster" -o jsonpath='{.status.initialization.infrastructureProvisioned}') == true ]]; }
wait_for 60 provisioned || fail "the Cluster did not take the OpenStackCluster's v1beta1 status.ready"
ok "CAPI takes OpenStackCluster at its v1beta1 contract label: owner reference set, status.ready made the Cluster $(k -n "$ns" get cluster "$cluster" -o jsonpath='{.status.phase}')"
initialized() { [[ $(k -n "$ns" get cluster "$cluster" -o jsonpath='{.status.initialization.controlPlaneInitialized}') == true ]]; }
wait_for 60 initialized || fail "the Cluster did not take the ExternalControlPlane as initialized"
ok "CAPI takes the ExternalControlPlane at its v1beta2 contract label: ControlPlaneInitialized $(k -n "$ns" get cluster "$cluster" -o jsonpath='{.status.conditions[?(@.type=="ControlPlaneInitialized")].status}')"
cond() { k -n "$ns" get "$1" -o jsonpath="{.status.conditions[?(@.type==\"$2\")].status}"; }
connected() { [[ $(cond "cluster/$cluster" RemoteConnectionProbe) == True ]]; }
wait_for 90 connected || fail "the ClusterCache did not reach the cluster through $cluster-kubeconfig"
ok "the ClusterCache reaches the cluster through $cluster-kubeconfig (RemoteConnectionProbe $(cond "cluster/$cluster" RemoteConnectionProbe))"

k -n "$ns" scale md "$md" --replicas 1 >/dev/null
has_machine() { [[ -n $(k -n "$ns" get openstackmachines -o name) ]]; }
wait_for 60 has_machine || fail "no OpenStackMachine after a scale to 1"
machine=$(k -n "$ns" get machines -o jsonpath='{.items[0].metadata.name}')
[[ $(k -n "$ns" get machine "$machine" -o jsonpath='{.spec.bootstrap.dataSecretName}') == "$md-bootstrap" ]] || fail "the Machine does not boot from $md-bootstrap"
[[ $(k -n "$ns" get openstackmachine "$machine" -o jsonpath='{.spec.flavor}') == "$(k -n "$ns" get openstackmachinetemplate "$md" -o jsonpath='{.spec.template.spec.flavor}')" ]] || fail "the OpenStackMachine is not the template's"
ok "a scale through the scale subresource made Machine $machine (bootstrap $md-bootstrap) and its OpenStackMachine from the template"

provider_id=openstack:///11111111-2222-4333-8444-555555555555
k -n "$ns" patch openstackmachine "$machine" --type merge -p "{\"spec\":{\"providerID\":\"$provider_id\"}}" >/dev/null
k -n "$ns" patch openstackmachine "$machine" --subresource status --type merge -p '{"status":{"ready":true}}' >/dev/null
capi_create_node "$machine" "$provider_id"
has_node() { [[ -n $(k -n "$ns" get machine "$machine" -o jsonpath='{.status.nodeRef.name}') ]]; }
wait_for 90 has_node || fail "the Machine did not find its Node by provider ID"
[[ $(k get node "$machine" -o jsonpath='{.metadata.annotations.cluster\.x-k8s\.io/machine}') == "$machine" ]] || fail "CAPI did not annotate the Node with its Machine"
ok "the Machine found its Node by provider ID ($(k -n "$ns" get machine "$machine" -o jsonpath='{.status.phase}')) and annotated it with its name"

health() { k -n "$ns" get machine "$machine" -o jsonpath='{.status.conditions[?(@.type=="NodeHealthy")].message}'; }
inspected() { [[ -n $(health) && $(health) != *"control plane to be initialized"* ]]; }
wait_for 60 inspected || fail "CAPI does not inspect the Machine's Node: $(health)"
ok "CAPI inspects the Machine's Node (NodeHealthy: $(health | head -c 120))"

# A scale-down as the autoscaler makes it: the Machine goes; CAPI cordons and drains
# its Node through the workload identity (a pod on it is evicted), then deletes the
# Node, which it does only for an external control plane (or one of its own).
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata: { name: drain-check }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: default, namespace: drain-check }
---
apiVersion: v1
kind: Pod
metadata: { name: workload, namespace: drain-check }
spec:
  nodeName: $machine
  automountServiceAccountToken: false
  containers: [{ name: pause, image: registry.k8s.io/pause:3.10 }]
YAML
k -n "$ns" scale md "$md" --replicas 0 >/dev/null
evicted() { [[ -n $(k -n drain-check get pod workload -o jsonpath='{.metadata.deletionTimestamp}' 2>/dev/null) ]]; }
wait_for 90 evicted || fail "CAPI's drain did not evict the pod on the Node"
[[ $(k get node "$machine" -o jsonpath='{.spec.unschedulable}') == true ]] || fail "the Node was not cordoned before the drain"
ok "CAPI cordoned the Node and evicted its pod through $cluster-kubeconfig"
# No kubelet here to end the pod: end it as the kubelet would, so that the drain completes.
k -n drain-check delete pod workload --grace-period 0 --force >/dev/null 2>&1
node_gone() { ! k get node "$machine" >/dev/null 2>&1; }
wait_for 120 node_gone || fail "the Node of the deleted Machine was left behind"
ok "a scale to 0 deleted the Machine and its Node"
echo "check-cluster-api-run: $(node -e "console.log((Date.now()/1000-$start).toFixed(1))") s"
