#!/usr/bin/env bash
# Swift all in one (called by up.sh): account, container and object servers
# on one folder, one replica, and a proxy authenticating with Keystone, with
# the s3api middleware and Keystone EC2 credentials (s3token).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
source "$CLOUD_DIR/secrets.env"
s=$CLOUD_DIR/swift
mkdir -p "$s"/{etc,node/d1,run}
export SWIFT_CONF_FILE=$s/etc/swift.conf
cat >"$SWIFT_CONF_FILE" <<EOF
[swift-hash]
swift_hash_path_suffix = $(openssl rand -hex 8)
[storage-policy:0]
name = default
default = yes
EOF
cd "$s/etc"
for ring in account:$PORT_SWIFT_ACCOUNT container:$PORT_SWIFT_CONTAINER object:$PORT_SWIFT_OBJECT; do
  name=${ring%%:*} port=${ring#*:}
  "$CLOUD_VENV/bin/swift-ring-builder" "$name.builder" create 6 1 1 >/dev/null
  "$CLOUD_VENV/bin/swift-ring-builder" "$name.builder" add "r1z1-127.0.0.1:$port/d1" 1 >/dev/null
  "$CLOUD_VENV/bin/swift-ring-builder" "$name.builder" rebalance >/dev/null
  cat >"$s/etc/$name-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
devices = $s/node
mount_check = false
workers = 0
swift_dir = $s/etc
log_name = $name-server
[pipeline:main]
pipeline = $name-server
[app:$name-server]
use = egg:swift#$name
EOF
done
cat >"$s/etc/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PORT_SWIFT
workers = 0
swift_dir = $s/etc
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api s3token authtoken keystoneauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$PORT_MEMCACHED
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:s3api]
use = egg:swift#s3api
location = $CLOUD_REGION
[filter:s3token]
use = egg:swift#s3token
auth_uri = $KEYSTONE_URL/v3
auth_type = password
auth_url = $KEYSTONE_URL
username = swift
password = $CLOUD_SERVICE_PASSWORD
project_name = service
project_domain_name = Default
user_domain_name = Default
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = $KEYSTONE_URL
auth_url = $KEYSTONE_URL
auth_type = password
username = swift
password = $CLOUD_SERVICE_PASSWORD
project_name = service
project_domain_name = Default
user_domain_name = Default
memcached_servers = 127.0.0.1:$PORT_MEMCACHED
delay_auth_decision = true
[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
reseller_admin_role = ResellerAdmin
EOF
for srv in object container account proxy; do
  bg "swift-$srv" env SWIFT_CONF_FILE="$SWIFT_CONF_FILE" "$CLOUD_VENV/bin/python" "$cloud_repo/scripts/swift/run_server.py" "$SWIFT_CONF_FILE" "$srv" "$s/etc/$srv-server.conf"
done
