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
# Everything listens on 127.0.0.1 and is stopped at exit.
#
# Binaries go to $TOOLS_DIR/bin (default .tools/bin), rebuilt when their stamp changes.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
start=$(date +%s.%N)
tools=${TOOLS_DIR:-$repo/.tools}
mkdir -p "$tools/bin" "$tools/stamps"
build() { # dir stamp-name output package [ldflags]
  local stamp
  stamp=$( { go version; cat "$1/go.mod" "$1/go.sum" "$1/tools.go"; echo "${5:-}"; } | sha256sum | cut -d' ' -f1)
  if [[ ! -x $3 || $(cat "$tools/stamps/$2" 2>/dev/null) != "$stamp" ]]; then
    echo "[capi-run] building $4"
    (cd "$1" && GOFLAGS="-mod=mod -buildvcs=false" go build -ldflags "${5:-}" -o "$3" "$4")
    echo "$stamp" >"$tools/stamps/$2"
  fi
}
kube=tools/capi-run/apiserver
required() { awk -v m="$2" '$1 == m || ($1 == "require" && $2 == m) { print $NF; exit }' "$1/go.mod"; }
kube_version=$(required "$kube" k8s.io/kubernetes)
[[ $kube_version =~ ^v1\.[0-9]+\.[0-9]+$ ]] || { echo "$kube/go.mod: no k8s.io/kubernetes version found" >&2; exit 1; }
# kube-apiserver reports the version it is built with; CAPI refuses a server without one.
build "$kube" capi-run-kube-apiserver "$tools/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver \
  "-X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$kube_version")"
build "$kube" capi-run-kubectl "$tools/bin/kubectl" k8s.io/kubernetes/cmd/kubectl
build "$kube" capi-run-etcd "$tools/bin/etcd" go.etcd.io/etcd/server/v3
build tools/capi-run/manager capi-run-manager "$tools/bin/cluster-api-manager" sigs.k8s.io/cluster-api
# CAPO and ORC are not in sum.golang.org: the wrapper's go.sum pins their hashes.
GONOSUMDB=sigs.k8s.io/cluster-api-provider-openstack,github.com/k-orc/openstack-resource-controller \
  build tools/capi-run/openstack capi-run-capo "$tools/bin/capo-manager" sigs.k8s.io/cluster-api-provider-openstack

work=$(mktemp -d)
pids=()
cleanup() {
  # Last started first: the controller, then the API server while etcd still answers, then etcd.
  local i pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL  $*" >&2; echo "--- controller log (last 30 lines)" >&2; tail -30 "$work/capi.log" >&2 || true; exit 1; }
ok() { echo "ok    $*"; }
# Waits up to $1 seconds for the command after it to succeed.
wait_for() { local t=$1; shift; for _ in $(seq $((t * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

etcd_port=$(port); peer_port=$(port); api_port=$(port); webhook_port=$(port); health_port=$(port); diag_port=$(port)
capo_webhook_port=$(port); capo_health_port=$(port); capo_diag_port=$(port)
openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null
mkdir -p "$work/webhook"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/webhook/tls.key" -out "$work/webhook/tls.crt" -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
admin_token=$(openssl rand -hex 24)
echo "$admin_token,admin,admin,system:masters" >"$work/tokens.csv"

"$tools/bin/etcd" --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "default=http://127.0.0.1:$peer_port" >"$work/etcd.log" 2>&1 &
pids+=($!)
"$tools/bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
  --secure-port "$api_port" --cert-dir "$work/certs" --token-auth-file "$work/tokens.csv" --authorization-mode RBAC \
  --service-account-key-file "$work/sa.pub" --service-account-signing-key-file "$work/sa.key" \
  --service-account-issuer https://kubernetes.default.svc --service-cluster-ip-range 10.43.0.0/16 >"$work/apiserver.log" 2>&1 &
pids+=($!)
export KUBECONFIG=$work/admin.kubeconfig
k() { "$tools/bin/kubectl" "$@"; }
k config set-cluster local --server "https://127.0.0.1:$api_port" --insecure-skip-tls-verify=true >/dev/null
k config set-credentials admin --token "$admin_token" >/dev/null
k config set-context local --cluster local --user admin >/dev/null
k config use-context local >/dev/null
wait_for 90 k get --raw /readyz || { tail -20 "$work/apiserver.log" >&2; fail "kube-apiserver did not become ready"; }
ok "kube-apiserver $kube_version and etcd on 127.0.0.1"

npx tsx scripts/check-cluster-api-run.ts "$work" "$work/webhook/tls.crt" "https://127.0.0.1:$webhook_port" "https://127.0.0.1:$capo_webhook_port"
k apply --server-side -f "$work/crds.yaml" >/dev/null
crds=$(grep -c '^kind: CustomResourceDefinition' "$work/crds.yaml")
established() { k get crd -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Established")].status}{"\n"}{end}' | grep -c '^True$'; }
all_established() { [[ $(established) -ge $crds ]]; }
wait_for 60 all_established || fail "$(established) of the $crds vendored CRDs established"
ok "$crds CRDs established: the vendored manifests' and the ExternalControlPlane's"

"$tools/bin/cluster-api-manager" --kubeconfig "$KUBECONFIG" --leader-elect=false --webhook-cert-dir "$work/webhook" --webhook-port "$webhook_port" \
  --health-addr "127.0.0.1:$health_port" --diagnostics-address "127.0.0.1:$diag_port" --insecure-diagnostics=true --v=2 >"$work/capi.log" 2>&1 &
pids+=($!)
wait_for 90 curl -sf "http://127.0.0.1:$health_port/readyz" || fail "the Cluster API controller did not become ready"
k apply --server-side -f "$work/webhooks.yaml" >/dev/null
ok "core Cluster API controller $(required tools/capi-run/manager sigs.k8s.io/cluster-api) ready, its admission webhooks registered"
# CAPO for its admission webhooks only: its controllers reconcile only objects labelled with
# this watch filter, which ours are not (no OpenStack API here; the status CAPO would set is set below).
"$tools/bin/capo-manager" --kubeconfig "$KUBECONFIG" --watch-filter capo-run-reconciles-nothing --webhook-cert-dir "$work/webhook" \
  --webhook-port "$capo_webhook_port" --health-addr "127.0.0.1:$capo_health_port" --diagnostics-address "127.0.0.1:$capo_diag_port" \
  --insecure-diagnostics=true --v=2 >"$work/capo.log" 2>&1 &
pids+=($!)
capo_ready() { curl -sf "http://127.0.0.1:$capo_health_port/readyz"; }
wait_for 90 capo_ready || { tail -20 "$work/capo.log" >&2; fail "CAPO did not become ready"; }
k apply --server-side -f "$work/capo-webhooks.yaml" >/dev/null
ok "CAPO $(required tools/capi-run/openstack sigs.k8s.io/cluster-api-provider-openstack) ready (webhooks only), its admission webhooks registered"

ns=cluster-api cluster=webhost-production md=webhost-production-web
k apply --server-side -f "$work/workload.yaml" >/dev/null
token=$(k -n "$ns" create token cluster-api-workload --duration 1h)
node -e 'const [server, token] = process.argv.slice(1); console.log(JSON.stringify({ apiVersion: "v1", kind: "Config",
  clusters: [{ name: "c", cluster: { server, "insecure-skip-tls-verify": true } }], users: [{ name: "u", user: { token } }],
  contexts: [{ name: "c", context: { cluster: "c", user: "u" } }], "current-context": "c" }))' "https://127.0.0.1:$api_port" "$token" >"$work/workload.kubeconfig"
k -n "$ns" create secret generic "$cluster-kubeconfig" --type cluster.x-k8s.io/secret --from-file "value=$work/workload.kubeconfig" >/dev/null
k -n "$ns" label secret "$cluster-kubeconfig" "cluster.x-k8s.io/cluster-name=$cluster" >/dev/null
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
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata: { name: $machine }
spec: { providerID: "$provider_id" }
YAML
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
