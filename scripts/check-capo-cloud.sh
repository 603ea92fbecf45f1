#!/usr/bin/env bash
# npm run check:capo-cloud: the real CAPO v0.13.0 controller (built from its Go module, as
# check-cluster-api-run builds it) with the core Cluster API controller, against a local
# kube-apiserver and etcd AND the test cloud's Keystone, Nova, Neutron, Cinder and Glance
# (npm run cloud:up first; npm run tools for tofu). A scale-up as the cluster-autoscaler
# makes it, ending in a create request to the OpenStack API:
#   1. the test cluster stack, its pool `web` autoscaled (scripts/lib/cluster-api-sample.ts),
#      applied by real tofu: network, agents subnet and security group, server group, image
#      lookup, one Terraform agent, and CAPO's application credential as the stack makes it;
#   2. that credential is what the stack says (roles member and reader, restricted) and,
#      restricted, cannot make another one;
#   3. the objects the platform stack renders from the stack's outputs (CAPO's clouds.yaml
#      Secret, the bootstrap Secret with the pool's agent user data, Cluster, OpenStackCluster,
#      OpenStackMachineTemplate, MachineDeployment) applied; CAPO makes the OpenStackCluster
#      ready from the existing network;
#   4. the MachineDeployment scaled 0 -> 1 through its scale subresource: CAPO creates a Nova
#      server, which must be the Terraform agent's twin (flavor, boot volume from the image,
#      port on the agents subnet in the agents security group, server group, config drive,
#      metadata, tags, user data byte for byte); a Node with its provider ID makes the Machine
#      Running;
#   5. scaled 1 -> 0 by scripts/scale-to-floor.sh (what to run before a destroy): the autoscaler
#      stopped, CAPI drains and deletes the Machine, CAPO the server, its port and volume;
#   6. tofu destroy, and the project holds nothing of the stack.
# Not run: the cluster-autoscaler (its source is not served here; the scale is its call) and a
# data plane (Nova's fake driver boots nothing, so no kubelet registers: the Node is created
# here, as check-cluster-api-run does).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
start=$(date +%s.%N)
source scripts/tool-env.sh
source scripts/cloud/env.sh
[[ -f $CLOUD_DIR/up ]] || die "the test cloud is not up: npm run cloud:up"
source scripts/lib/capi-local.sh
source scripts/lib/debian.sh
command -v jq >/dev/null 2>&1 || debian_install jq || die "could not install jq"
py=$CLOUD_VENV/bin/python
osc=$CLOUD_VENV/bin/openstack
# Kept with the cloud (npm run cloud:down removes it): a failed run's state can still be read.
d=$CLOUD_DIR/capo-cloud
fail() {
  echo "FAIL  $*" >&2
  echo "--- CAPO log (last 30 lines)" >&2; grep -v '^I' "$work/capo.log" 2>/dev/null | tail -30 >&2 || true
  echo "--- the stack is left applied in $d (npm run cloud:down removes it)" >&2
  exit 1
}
cleanup() { cp "$work"/*.log "$d/" 2>/dev/null || true; capi_cleanup; }
trap cleanup EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }

capi_build_all

# --- 1. the cluster stack, applied -------------------------------------------------
# A failed run leaves its stack applied (CAPO's servers may be in its subnet): not run over.
[[ -f $d/stack/terraform.tfstate ]] && die "a previous run's stack is still applied ($d): npm run cloud:down, then cloud:up"
rm -rf "$d" && mkdir -p "$d"
pem=$d/test-values.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=capo-cloud \
  -keyout "$d/test-values.key" -out "$pem" >/dev/null 2>&1
# Kept next to the state, so that a failed run's state can still be read and destroyed.
(umask 077 && openssl rand -hex 24 >"$d/state-passphrase")
export TF_VAR_state_encryption_passphrase
TF_VAR_state_encryption_passphrase=$(cat "$d/state-passphrase")
stack_dir=$(npx tsx scripts/check-capo-cloud.ts stack "$d/synth")
set -a; source "$CLOUD_DIR/openrc"; set +a
node scripts/cloud/prepare-stack.mjs "$stack_dir" "$d/stack" "$OS_AUTH_URL" "$pem" >/dev/null
# The only server's prevent_destroy (README, Scaling) is lifted for this test stack's destroy.
node -e '
  const fs = require("fs"); const f = process.argv[1]; const j = JSON.parse(fs.readFileSync(f, "utf8"));
  for (const items of Object.values(j.resource ?? {})) for (const b of Object.values(items)) if (b.lifecycle?.prevent_destroy) delete b.lifecycle.prevent_destroy;
  fs.writeFileSync(f, JSON.stringify(j, null, 2));' "$d/stack/cdk.tf.json"
tofu -chdir="$d/stack" init -input=false -no-color >"$d/init.log" 2>&1 || { cat "$d/init.log" >&2; fail "tofu init"; }
t=$(now)
tofu -chdir="$d/stack" apply -auto-approve -input=false -no-color -parallelism=4 >"$d/apply.log" 2>&1 ||
  { grep -A12 '^Error' "$d/apply.log" >&2; fail "tofu apply of the test cluster stack with an autoscaled pool"; }
tofu -chdir="$d/stack" output -json >"$d/outputs.json"
out() { jq -r "$1" "$d/outputs.json"; }
network=$(out .cluster_api.value.network_id) subnet=$(out .cluster_api.value.agents_subnet_id)
sg=$(out .cluster_api.value.agents_security_group_id) group=$(out .cluster_api.value.server_groups.web)
ok "1. the test cluster stack (pool web autoscaled) applied by tofu in $(since "$t") s: network $network, agents subnet $subnet, security group $sg, server group $group, image $(out .cluster_api.value.image_id)"

# --- 2. CAPO's application credential, as the stack made it -------------------------
cred_id=$(out .cluster_api_secrets.value.application_credential_id)
"$osc" application credential show "$cred_id" -f json >"$d/credential.json"
want_roles=$(jq -c '[.resource.openstack_identity_application_credential_v3 | to_entries[] | select(.value.name | endswith("-cluster-api")) | .value.roles[]] | sort' "$d/stack/cdk.tf.json")
got_roles=$(jq -c '[.Roles[].name] | sort' "$d/credential.json")
[[ $got_roles == "$want_roles" ]] || fail "the credential's roles are $got_roles, the stack says $want_roles"
[[ $(jq -r .Unrestricted "$d/credential.json") == false ]] || fail "the credential is unrestricted"
[[ $(jq -r '."Access Rules"' "$d/credential.json") == null ]] || fail "the credential has access rules the stack does not give: $(jq -c '."Access Rules"' "$d/credential.json")"
cred_env=(env -u OS_USERNAME -u OS_PASSWORD -u OS_PROJECT_NAME -u OS_USER_DOMAIN_NAME -u OS_PROJECT_DOMAIN_NAME
  OS_AUTH_TYPE=v3applicationcredential OS_APPLICATION_CREDENTIAL_ID="$cred_id"
  OS_APPLICATION_CREDENTIAL_SECRET="$(out .cluster_api_secrets.value.application_credential_secret)")
if "${cred_env[@]}" "$osc" application credential create capo-cloud-should-be-refused >/dev/null 2>"$d/restricted.err"; then
  fail "CAPO's restricted credential made an application credential of its own"
fi
ok "2. CAPO's application credential: roles $got_roles as the stack says, restricted (making a credential with it is refused: $(grep -o 'HTTP [0-9]*\|40[0-9]' "$d/restricted.err" | head -1))"

# --- 3. the local control plane, CAPI and CAPO, the platform's objects --------------
capi_start_apiserver
# Both controllers as their own service accounts, with the RBAC of the vendored releases
# (and our ExternalControlPlane role aggregated into CAPI's), as the platform deploys them.
npx tsx scripts/check-capo-cloud.ts rbac "$work"
k apply --server-side -f "$work/rbac.yaml" >/dev/null
capi_kubeconfig=$work/capi-manager.kubeconfig capo_kubeconfig=$work/capo-manager.kubeconfig
capi_sa_kubeconfig capi-system capi-manager "$capi_kubeconfig"
capi_sa_kubeconfig capo-system capo-manager "$capo_kubeconfig"
capi_start_core
# Reconciling everything, against the test cloud. -v=6 logs each OpenStack request (gophercloud's
# RoundTripper): the call set an access rule list of the credential would have to allow.
capi_start_capo "reconciling, against the test cloud" --v=6
ok "3. CAPI and CAPO run as their releases' service accounts (capi-system/capi-manager, capo-system/capo-manager) with the releases' RBAC"
read -r cluster md < <(npx tsx scripts/check-capo-cloud.ts objects "$work" "$d/outputs.json" "$OS_AUTH_URL" "$OS_REGION_NAME")
ns=cluster-api
capi_workload_kubeconfig "$cluster" "$ns"
apply_objects() { k apply --server-side -f "$work/objects.yaml" >"$work/objects.out" 2>&1; }
wait_for 60 apply_objects || fail "the objects were refused: $(cat "$work/objects.out")"
k apply --server-side -f "$work/autoscaler.yaml" >/dev/null
ok "3. the platform's objects from the stack's outputs accepted: $(grep '^kind:' "$work/objects.yaml" | cut -d' ' -f2 | paste -sd, -)"
osc_ready() { [[ $(k -n "$ns" get openstackcluster "$cluster" -o jsonpath='{.status.ready}') == true ]]; }
wait_for 120 osc_ready || fail "CAPO did not make the OpenStackCluster ready: $(k -n "$ns" get openstackcluster "$cluster" -o jsonpath='{.status.conditions}')"
[[ $(k -n "$ns" get openstackcluster "$cluster" -o jsonpath='{.status.network.id}/{.status.network.subnets[0].id}') == "$network/$subnet" ]] ||
  fail "the OpenStackCluster's status names another network or subnet"
ok "3. CAPO made the OpenStackCluster ready on the stack's network and agents subnet (read through the credential; nothing created)"
initialized() { [[ $(k -n "$ns" get cluster "$cluster" -o jsonpath='{.status.initialization.infrastructureProvisioned}/{.status.initialization.controlPlaneInitialized}') == true/true ]]; }
wait_for 60 initialized || fail "the Cluster is not provisioned and initialized"

# --- 4. scale-up: a create request to Nova ---------------------------------------------
servers_before=$("$osc" server list -f value -c ID | sort)
t=$(now)
k -n "$ns" scale md "$md" --replicas 1 >/dev/null
machine_ready() { [[ $(k -n "$ns" get openstackmachines -o jsonpath='{.items[0].status.ready}') == true ]]; }
wait_for 300 machine_ready || fail "the OpenStackMachine did not become ready: $(k -n "$ns" get openstackservers -o jsonpath='{.items[*].status.conditions}')"
machine=$(k -n "$ns" get openstackmachines -o jsonpath='{.items[0].metadata.name}')
server=$(k -n "$ns" get openstackserver "$machine" -o jsonpath='{.status.instanceID}')
provider_id=$(k -n "$ns" get openstackmachine "$machine" -o jsonpath='{.spec.providerID}')
grep -qx "$server" <<<"$servers_before" && fail "server $server existed before the scale-up"
ok "4. a scale to 1 through the scale subresource: CAPO created server $server ($machine, ACTIVE) in $(since "$t") s, provider ID $provider_id"
terraform_agent=$(jq -r '.nodes.value | split("\n")[] | select(startswith("agent web ")) | split(" ")[2]' "$d/outputs.json" | head -1)
terraform_id=$("$osc" server show "$terraform_agent" -f value -c id)
( set -a; source "$CLOUD_DIR/openrc-admin"; "$py" scripts/cloud/server_facts.py "$server" "$terraform_id" ) >"$d/servers.json"
npx tsx scripts/check-capo-cloud.ts compare "$d/servers.json" "$server" "$terraform_id" "$d/outputs.json" | sed 's/^ok    /ok    4. /' ||
  fail "the server CAPO made is not the pool's Terraform agent's twin"
# CAPO's server controller watches ORC Images (their CRD is in the release), but with the
# image given by id it makes none: ORC's own controller is not needed.
orc_images=$(k get images.openstack.k-orc.cloud -A -o name)
[[ -z $orc_images ]] || fail "CAPO made ORC Image objects, which no ORC controller would reconcile: $orc_images"
ok "4. no ORC Image object made (the image is given by id): ORC's controller is not needed"
# README (Node autoscaling, Destroying): a server CAPO made holds the agents subnet and
# security group, so the cluster stack's destroy cannot delete them while it exists.
in_use() { # in_use ID RESOURCE...: deleting it is refused with 409 (in use)
  local id=$1
  shift
  if "$osc" "$@" delete "$id" >"$d/in-use.out" 2>&1; then fail "$* $id was deleted under CAPO's server"; fi
  grep -o 'HTTP 409\|409\|[A-Za-z]*InUse' "$d/in-use.out" | head -1
}
subnet_refusal=$(in_use "$subnet" subnet) sg_refusal=$(in_use "$sg" security group)
[[ -n $subnet_refusal && -n $sg_refusal ]] || fail "deleting the subnet or the security group under CAPO's server failed otherwise: $(cat "$d/in-use.out")"
ok "4. while it exists Neutron refuses to delete the agents subnet ($subnet_refusal) and security group ($sg_refusal): a destroy must scale to 0 first"
capi_create_node "$machine" "$provider_id"
running() { [[ $(k -n "$ns" get machine "$machine" -o jsonpath='{.status.phase}') == Running ]]; }
wait_for 90 running || fail "the Machine did not find its Node by provider ID"
ok "4. the Machine found a Node of provider ID $provider_id: Running"

# --- 5. scale-down: the server, its port and its volume deleted ------------------------
volumes=$(jq -r --arg s "$server" '.[$s].volumes[].id' "$d/servers.json")
ports=$(jq -r --arg s "$server" '.[$s].ports[].id' "$d/servers.json")
t=$(now)
# As before a destroy (README): scripts/scale-to-floor.sh stops the autoscaler (its Deployment
# applied above) and scales every MachineDeployment to 0, then waits for the Machines to go.
KUBECTL=$tools/bin/kubectl SCALE_TO_FLOOR_TIMEOUT=300 bash scripts/scale-to-floor.sh >"$d/scale-to-floor.log" 2>&1 ||
  { cat "$d/scale-to-floor.log" >&2; fail "npm run scale-to-floor"; }
sed 's/^/      /' "$d/scale-to-floor.log"
[[ $(k -n cluster-autoscaler get deployment cluster-autoscaler -o jsonpath='{.spec.replicas}') == 0 ]] || fail "scale-to-floor left the autoscaler running"
server_gone() { ! "$osc" server show "$server" >/dev/null 2>&1; }
wait_for 60 server_gone || fail "server $server still exists after a scale to 0"
gone() { ! "$osc" "$1" show "$2" >/dev/null 2>&1; }
for v in $volumes; do wait_for 120 gone volume "$v" || fail "the boot volume $v was left behind"; done
for p in $ports; do wait_for 60 gone port "$p" || fail "the port $p was left behind"; done
machines_gone() { [[ -z $(k -n "$ns" get machines -o name) && -z $(k get node "$machine" -o name 2>/dev/null) ]]; }
wait_for 120 machines_gone || fail "the Machine or its Node is left after the scale to 0"
ok "5. npm run scale-to-floor (autoscaler to 0, MachineDeployments to 0, Machines gone) deleted the server, its port and boot volume, the Machine and its Node in $(since "$t") s"

# The OpenStack calls CAPO made, ids replaced, by service (README: what access rules would have to allow).
calls=$(grep -o 'OpenStack Request URL: [A-Z]* http://127.0.0.1:[0-9]*/[^" ]*' "$work/capo.log" | sed -E \
  -e 's|^OpenStack Request URL: ||' -e 's|\?.*||' -e 's|/[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|/{id}|g' \
  -e "s|http://127.0.0.1:$PORT_KEYSTONE|identity |" -e "s|http://127.0.0.1:$PORT_NOVA|compute |" -e "s|http://127.0.0.1:$PORT_NEUTRON|network |" \
  -e "s|http://127.0.0.1:$PORT_CINDER|volumev3 |" -e "s|http://127.0.0.1:$PORT_GLANCE|image |" -e "s|http://127.0.0.1:$PORT_OCTAVIA|load-balancer |" |
  awk '{ print $2, $1, $3 }' | sort | uniq -c | awk '{ printf "%s%s %s %s (%s)", s, $2, $3, $4, $1; s = "; " }')
[[ -n $calls ]] || fail "no OpenStack request found in CAPO's log"
[[ $calls != *load-balancer* && $calls != *http://* ]] || fail "CAPO called an API other than identity, compute, network, volume and image: $calls"
echo "$calls" | tr ';' '\n' | sed 's/^ //' >"$d/capo-calls.txt"
ok "5. CAPO's OpenStack calls, by service, method and path (count): $calls"

# --- 6. the stack destroyed --------------------------------------------------------------
t=$(now)
tofu -chdir="$d/stack" destroy -auto-approve -input=false -no-color -parallelism=4 >"$d/destroy.log" 2>&1 ||
  { grep -A12 '^Error' "$d/destroy.log" >&2; fail "tofu destroy"; }
left=$("$py" scripts/cloud/leftovers.py 2>&1) || fail "left in the project after destroy: $left"
rm -f "$d"/stack/terraform.tfstate*
ok "6. tofu destroy in $(since "$t") s; the project holds nothing of the stack"
echo "check-capo-cloud: $(node -e "console.log((Date.now()/1000-$start).toFixed(1))") s"
