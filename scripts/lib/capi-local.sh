# Sourced by scripts/check-cluster-api-run.sh and scripts/check-capo-cloud.sh: builds
# kube-apiserver, etcd, kubectl, the core Cluster API controller and CAPO from their Go
# modules (tools/capi-run, pinned by its go.mod files) and starts a local control plane
# on 127.0.0.1 with the vendored CRDs and both controllers. Expects `repo`, and sets
# `tools`, `work`, `pids`, KUBECONFIG and the helpers below. Everything it starts is
# stopped at exit (last started first) and $work removed.
#
# Binaries go to $TOOLS_DIR/bin (default .tools/bin), rebuilt when their stamp changes.
tools=${TOOLS_DIR:-$repo/.tools}
mkdir -p "$tools/bin" "$tools/stamps"
capi_build() { # dir stamp-name output package [ldflags]
  local stamp
  stamp=$( { go version; cat "$1/go.mod" "$1/go.sum" "$1/tools.go"; echo "${5:-}"; } | sha256sum | cut -d' ' -f1)
  if [[ ! -x $3 || $(cat "$tools/stamps/$2" 2>/dev/null) != "$stamp" ]]; then
    echo "[capi-run] building $4"
    (cd "$repo/$1" && GOFLAGS="-mod=mod -buildvcs=false" go build -ldflags "${5:-}" -o "$3" "$4")
    echo "$stamp" >"$tools/stamps/$2"
  fi
}
capi_required() { awk -v m="$2" '$1 == m || ($1 == "require" && $2 == m) { print $NF; exit }' "$repo/$1/go.mod"; }
kube_version=$(capi_required tools/capi-run/apiserver k8s.io/kubernetes)

# Builds every binary the local control plane runs.
capi_build_all() {
  local kube=tools/capi-run/apiserver
  [[ $kube_version =~ ^v1\.[0-9]+\.[0-9]+$ ]] || { echo "$kube/go.mod: no k8s.io/kubernetes version found" >&2; exit 1; }
  # kube-apiserver reports the version it is built with; CAPI refuses a server without one.
  capi_build "$kube" capi-run-kube-apiserver "$tools/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver \
    "-X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$kube_version")"
  capi_build "$kube" capi-run-kubectl "$tools/bin/kubectl" k8s.io/kubernetes/cmd/kubectl
  capi_build "$kube" capi-run-etcd "$tools/bin/etcd" go.etcd.io/etcd/server/v3
  capi_build tools/capi-run/manager capi-run-manager "$tools/bin/cluster-api-manager" sigs.k8s.io/cluster-api
  # CAPO and ORC are not in sum.golang.org: the wrapper's go.sum pins their hashes.
  GONOSUMDB=sigs.k8s.io/cluster-api-provider-openstack,github.com/k-orc/openstack-resource-controller \
    capi_build tools/capi-run/openstack capi-run-capo "$tools/bin/capo-manager" sigs.k8s.io/cluster-api-provider-openstack
}

work=$(mktemp -d)
pids=()
capi_cleanup() {
  # Last started first: the controllers, then the API server while etcd still answers, then etcd.
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
ok() { echo "ok    $*"; }
# Waits up to $1 seconds for the command after it to succeed.
wait_for() { local t=$1; shift; for _ in $(seq $((t * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
k() { "$tools/bin/kubectl" "$@"; }
# capi_create_node NAME PROVIDER_ID: the Node a kubelet would register (no machine boots here), for CAPI to match by provider ID.
capi_create_node() {
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata: { name: $1 }
spec: { providerID: "$2" }
YAML
}

# etcd and kube-apiserver on free ports; KUBECONFIG an admin (system:masters) token.
capi_start_apiserver() {
  etcd_port=$(port); peer_port=$(port); api_port=$(port); webhook_port=$(port); health_port=$(port); diag_port=$(port)
  capo_webhook_port=$(port); capo_health_port=$(port); capo_diag_port=$(port)
  openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
  openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null
  mkdir -p "$work/webhook"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/webhook/tls.key" -out "$work/webhook/tls.crt" -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
  local admin_token
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
  k config set-cluster local --server "https://127.0.0.1:$api_port" --insecure-skip-tls-verify=true >/dev/null
  k config set-credentials admin --token "$admin_token" >/dev/null
  k config set-context local --cluster local --user admin >/dev/null
  k config use-context local >/dev/null
  wait_for 90 k get --raw /readyz || { tail -20 "$work/apiserver.log" >&2; fail "kube-apiserver did not become ready"; }
  ok "kube-apiserver $kube_version and etcd on 127.0.0.1"
  # The CRDs, webhooks, workload identity and sample objects (scripts/check-cluster-api-run.ts).
  npx tsx "$repo/scripts/check-cluster-api-run.ts" "$work" "$work/webhook/tls.crt" "https://127.0.0.1:$webhook_port" "https://127.0.0.1:$capo_webhook_port"
  k apply --server-side -f "$work/crds.yaml" >/dev/null
  local crds
  crds=$(grep -c '^kind: CustomResourceDefinition' "$work/crds.yaml")
  established() { k get crd -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Established")].status}{"\n"}{end}' | grep -c '^True$'; }
  all_established() { [[ $(established) -ge $crds ]]; }
  wait_for 60 all_established || fail "$(established) of the $crds vendored CRDs established"
  ok "$crds CRDs established: the vendored manifests' and the ExternalControlPlane's"
}

# The controllers run as the admin unless capi_kubeconfig / capo_kubeconfig name another
# kubeconfig (capi_sa_kubeconfig: one of a service account).
capi_start_core() {
  "$tools/bin/cluster-api-manager" --kubeconfig "${capi_kubeconfig:-$KUBECONFIG}" --leader-elect=false --webhook-cert-dir "$work/webhook" --webhook-port "$webhook_port" \
    --health-addr "127.0.0.1:$health_port" --diagnostics-address "127.0.0.1:$diag_port" --insecure-diagnostics=true --v=2 >"$work/capi.log" 2>&1 &
  pids+=($!)
  wait_for 90 curl -sf "http://127.0.0.1:$health_port/readyz" || fail "the Cluster API controller did not become ready"
  k apply --server-side -f "$work/webhooks.yaml" >/dev/null
  ok "core Cluster API controller $(capi_required tools/capi-run/manager sigs.k8s.io/cluster-api) ready, its admission webhooks registered"
}

# capi_start_capo WHAT [FLAGS...]: CAPO with its webhooks registered; WHAT says what it runs for.
capi_start_capo() {
  local what=$1
  shift
  "$tools/bin/capo-manager" --kubeconfig "${capo_kubeconfig:-$KUBECONFIG}" --webhook-cert-dir "$work/webhook" \
    --webhook-port "$capo_webhook_port" --health-addr "127.0.0.1:$capo_health_port" --diagnostics-address "127.0.0.1:$capo_diag_port" \
    --insecure-diagnostics=true "$@" >"$work/capo.log" 2>&1 &
  pids+=($!)
  capo_ready() { curl -sf "http://127.0.0.1:$capo_health_port/readyz"; }
  wait_for 90 capo_ready || { tail -20 "$work/capo.log" >&2; fail "CAPO did not become ready"; }
  k apply --server-side -f "$work/capo-webhooks.yaml" >/dev/null
  ok "CAPO $(capi_required tools/capi-run/openstack sigs.k8s.io/cluster-api-provider-openstack) ready ($what), its admission webhooks registered"
}

# CAPI's kubeconfig Secret for the cluster $1 in namespace $2: the narrow workload identity.
capi_workload_kubeconfig() {
  local cluster=$1 ns=$2 token
  k apply --server-side -f "$work/workload.yaml" >/dev/null
  token=$(k -n "$ns" create token cluster-api-workload --duration 1h)
  node -e 'const [server, token] = process.argv.slice(1); console.log(JSON.stringify({ apiVersion: "v1", kind: "Config",
    clusters: [{ name: "c", cluster: { server, "insecure-skip-tls-verify": true } }], users: [{ name: "u", user: { token } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }], "current-context": "c" }))' "https://127.0.0.1:$api_port" "$token" >"$work/workload.kubeconfig"
  k -n "$ns" create secret generic "$cluster-kubeconfig" --type cluster.x-k8s.io/secret --from-file "value=$work/workload.kubeconfig" >/dev/null
  k -n "$ns" label secret "$cluster-kubeconfig" "cluster.x-k8s.io/cluster-name=$cluster" >/dev/null
}

# capi_sa_kubeconfig NAMESPACE SERVICE-ACCOUNT FILE: a kubeconfig with a token of that account.
capi_sa_kubeconfig() {
  local token
  token=$(k -n "$1" create token "$2" --duration 2h)
  node -e 'const [server, token] = process.argv.slice(1); console.log(JSON.stringify({ apiVersion: "v1", kind: "Config",
    clusters: [{ name: "c", cluster: { server, "insecure-skip-tls-verify": true } }], users: [{ name: "u", user: { token } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }], "current-context": "c" }))' "https://127.0.0.1:$api_port" "$token" >"$3"
}
