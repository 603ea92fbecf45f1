#!/usr/bin/env bash
# Swift all in one (called by up.sh): account, container and object servers
# on one folder, one replica, and a proxy authenticating with Keystone, with
# the s3api middleware and Keystone EC2 credentials (s3token).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
source "$CLOUD_DIR/secrets.env"
# The rings, storage servers and the proxy's common part as the state lock check's Swift has them.
source "$cloud_repo/scripts/swift/server.sh"
s=$CLOUD_DIR/swift
mkdir -p "$s"/{etc,run}
export SWIFT_CONF_FILE=$s/etc/swift.conf
swift_conf "$SWIFT_CONF_FILE"
swift_storage_servers "$CLOUD_VENV/bin" "$s/etc" "$s/node" 6 "$PORT_SWIFT_ACCOUNT" "$PORT_SWIFT_CONTAINER" "$PORT_SWIFT_OBJECT"
{
  swift_proxy_head "$s/etc" "$PORT_SWIFT" "listing_formats bulk s3api s3token authtoken keystoneauth copy slo dlo" "127.0.0.1:$PORT_MEMCACHED"
  cat <<EOF
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
} >"$s/etc/proxy-server.conf"
for srv in object container account proxy; do
  bg "swift-$srv" env SWIFT_CONF_FILE="$SWIFT_CONF_FILE" "$CLOUD_VENV/bin/python" "$cloud_repo/scripts/swift/run_server.py" "$SWIFT_CONF_FILE" "$srv" "$s/etc/$srv-server.conf"
done
