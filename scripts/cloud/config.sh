#!/usr/bin/env bash
# Writes every service's configuration into $CLOUD_DIR/etc (called by up.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
source "$CLOUD_DIR/secrets.env"
e=$CLOUD_DIR/etc
mkdir -p "$e"/{keystone,placement,neutron,nova,glance,cinder,octavia}
db() { echo "mysql+pymysql://openstack:$CLOUD_DB_PASSWORD@127.0.0.1:$PORT_DB/$1?charset=utf8"; }
mq="rabbit://openstack:$CLOUD_MQ_PASSWORD@127.0.0.1:$PORT_MQ/"
# Options every service shares: a service user in the service project.
auth() { # auth SECTION USER
  cat <<EOF
[$1]
auth_url = $KEYSTONE_URL
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $CLOUD_SERVICE_PASSWORD
region_name = $CLOUD_REGION
EOF
}
authtoken() { # authtoken USER
  auth keystone_authtoken "$1"
  cat <<EOF
www_authenticate_uri = $KEYSTONE_URL
memcached_servers = 127.0.0.1:$PORT_MEMCACHED
service_token_roles_required = true
EOF
}
common() { # common SERVICE: the start of its [DEFAULT] section
  cat <<EOF
[DEFAULT]
transport_url = $mq
state_path = $CLOUD_DIR/$1
EOF
}
common_sections() { # common_sections SERVICE
  cat <<EOF
[oslo_concurrency]
lock_path = $CLOUD_DIR/lock/$1
[oslo_policy]
enforce_scope = false
enforce_new_defaults = true
EOF
}

cat >"$e/keystone/keystone.conf" <<EOF
[database]
connection = $(db keystone)
[identity]
# A test cloud: the default bcrypt cost makes every token request slow.
password_hash_rounds = 4
[token]
provider = fernet
[fernet_tokens]
key_repository = $CLOUD_DIR/keystone/fernet
[fernet_receipts]
key_repository = $CLOUD_DIR/keystone/receipts
[credential]
key_repository = $CLOUD_DIR/keystone/credential
EOF

{
  cat <<EOF
[placement_database]
connection = $(db placement)
[api]
auth_strategy = keystone
EOF
  authtoken placement
} >"$e/placement/placement.conf"

{
  common neutron
  cat <<EOF
core_plugin = ml2
api_paste_config = $CLOUD_VENV/etc/neutron/api-paste.ini
service_plugins = router
auth_strategy = keystone
allow_overlapping_ips = true
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
[database]
connection = $(db neutron)
[agent]
root_helper =
# Infomaniak's default quotas
[quotas]
quota_network = 50
quota_subnet = 50
quota_router = 10
quota_port = 200
quota_floatingip = 50
quota_security_group = 20
quota_security_group_rule = 200
EOF
  authtoken neutron
  auth nova nova
  common_sections neutron
} >"$e/neutron/neutron.conf"
cat >"$e/neutron/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
# No L2 agent runs: scripts/cloud/shims/cloudshims/ml2.py binds every port.
mechanism_drivers = bindall
extension_drivers = port_security
[ml2_type_flat]
flat_networks = public
[ml2_type_vxlan]
vni_ranges = 1:1000
EOF

{
  common nova
  cat <<EOF
compute_driver = fake.FakeDriver
my_ip = 127.0.0.1
host = cloud-compute-1
instances_path = $CLOUD_DIR/nova/instances
osapi_compute_workers = 1
[wsgi]
api_paste_config = $e/nova/api-paste.ini
[api]
auth_strategy = keystone
[api_database]
connection = $(db nova_api)
[database]
connection = $(db nova)
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 2
[filter_scheduler]
available_filters = nova.scheduler.filters.compute_filter.ComputeFilter
available_filters = nova.scheduler.filters.image_props_filter.ImagePropertiesFilter
available_filters = nova.scheduler.filters.affinity_filter.ServerGroupAffinityFilter
# One fake host: the anti-affinity filter lets it pass (scripts/cloud/shims/cloudshims/nova_filters.py).
available_filters = cloudshims.nova_filters.ServerGroupAntiAffinityFilter
enabled_filters = ComputeFilter,ImagePropertiesFilter,ServerGroupAffinityFilter,ServerGroupAntiAffinityFilter
[workarounds]
disable_group_policy_check_upcall = true
[vnc]
enabled = false
[os_vif_ovs]
[cinder]
os_region_name = $CLOUD_REGION
auth_url = $KEYSTONE_URL
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = $CLOUD_SERVICE_PASSWORD
# Infomaniak's default quotas
[quota]
cores = 200
instances = 50
ram = 1048576
server_groups = 20
EOF
  authtoken nova
  auth placement nova
  auth neutron nova
  auth service_user nova
  echo "send_service_user_token = true"
  auth glance nova
  common_sections nova
} >"$e/nova/nova.conf"
cp "$CLOUD_VENV/etc/nova/api-paste.ini" "$e/nova/api-paste.ini"

{
  cat <<EOF
[DEFAULT]
enabled_backends = file:file
bind_host = 127.0.0.1
workers = 1
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = $CLOUD_DIR/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $CLOUD_DIR/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $CLOUD_DIR/glance/tasks
[database]
connection = $(db glance)
[paste_deploy]
flavor = keystone
config_file = $CLOUD_VENV/etc/glance/glance-api-paste.ini
[oslo_concurrency]
lock_path = $CLOUD_DIR/lock/glance
EOF
  authtoken glance
} >"$e/glance/glance-api.conf"

{
  common cinder
  cat <<EOF
auth_strategy = keystone
enabled_backends = fake
default_volume_type = CEPH_1_perf1
my_ip = 127.0.0.1
host = cloud-volume-1
api_paste_config = $CLOUD_VENV/etc/cinder/api-paste.ini
osapi_volume_workers = 1
glance_api_servers = http://127.0.0.1:$PORT_GLANCE
# The filters a project user may list volumes by (name among them) are in this file;
# without it Cinder ignores them and lists every volume (CAPO finds its boot volume by
# name: "expected to find a single volume called <machine>-root; found 2").
resource_query_filters_file = $CLOUD_VENV/etc/cinder/resource_filters.json
# Infomaniak's default quotas
quota_volumes = 100
quota_gigabytes = 10000
[fake]
# Cinder's fake logging driver without the image copy (scripts/cloud/shims/cloudshims/cinder_fake.py).
volume_driver = cloudshims.cinder_fake.FakeImageVolumeDriver
volume_backend_name = fake
[database]
connection = $(db cinder)
EOF
  authtoken cinder
  auth nova cinder
  common_sections cinder
} >"$e/cinder/cinder.conf"

# Octavia's amphora provider with noop compute and amphora drivers; it
# still wants certificates.
pki=$CLOUD_DIR/octavia/pki
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cloud-octavia-ca \
  -keyout "$pki/ca.key" -out "$pki/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj /CN=cloud-octavia-client \
  -keyout "$pki/client.key" -out "$pki/client.csr" >/dev/null 2>&1
openssl x509 -req -in "$pki/client.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
  -out "$pki/client.crt" >/dev/null 2>&1
cat "$pki/client.crt" "$pki/client.key" >"$pki/client.pem"
{
  common octavia
  cat <<EOF
[api_settings]
bind_host = 127.0.0.1
bind_port = $PORT_OCTAVIA
auth_strategy = keystone
enabled_provider_drivers = amphora:The Octavia Amphora driver.
default_provider_driver = amphora
[database]
connection = $(db octavia)
[controller_worker]
compute_driver = compute_noop_driver
amphora_driver = amphora_noop_driver
network_driver = ${OCTAVIA_NETWORK_DRIVER:-vip_port_noop_driver}
loadbalancer_topology = SINGLE
amp_image_tag = amphora
amp_flavor_id = amphora
amp_boot_network_list = 00000000-0000-0000-0000-000000000000
client_ca = $pki/ca.pem
[task_flow]
jobboard_enabled = False
[certificates]
cert_generator = local_cert_generator
ca_certificate = $pki/ca.pem
ca_private_key = $pki/ca.key
[haproxy_amphora]
client_cert = $pki/client.pem
server_ca = $pki/ca.pem
[health_manager]
heartbeat_key = $(openssl rand -hex 16)
[oslo_messaging]
topic = octavia_prov
EOF
  authtoken octavia
  auth service_auth octavia
  echo "[neutron]"
  echo "region_name = $CLOUD_REGION"
  echo "endpoint_type = public"
  common_sections octavia
} >"$e/octavia/octavia.conf"
