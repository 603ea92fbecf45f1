# Sourced by the test cloud's scripts: paths, ports, versions and helpers.
cloud_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLOUD_DIR=${CLOUD_DIR:-$cloud_repo/.cloud}
CLOUD_TOOLS_DIR=${CLOUD_TOOLS_DIR:-${TOOLS_DIR:-$cloud_repo/.tools}}
# The OpenStack release (scripts/cloud/requirements.in, resolved into requirements.lock).
CLOUD_RELEASE=2026.2
CLOUD_VENV=${CLOUD_VENV:-$CLOUD_TOOLS_DIR/openstack-$CLOUD_RELEASE}
UV_VERSION=0.9.5
CLOUD_REGION=${CLOUD_REGION:-dc3-a}
PORT_DB=13306 PORT_MQ=15673 PORT_MQ_DIST=25673 PORT_MEMCACHED=11311
PORT_KEYSTONE=5000 PORT_PLACEMENT=8778 PORT_NEUTRON=9696 PORT_NOVA=8774
PORT_GLANCE=9292 PORT_CINDER=8776 PORT_OCTAVIA=9876 PORT_SWIFT=8080
PORT_SWIFT_OBJECT=16010 PORT_SWIFT_CONTAINER=16011 PORT_SWIFT_ACCOUNT=16012
KEYSTONE_URL=http://127.0.0.1:$PORT_KEYSTONE
export CLOUD_DIR CLOUD_VENV CLOUD_REGION KEYSTONE_URL PORT_DB PORT_MQ PORT_MEMCACHED \
  PORT_KEYSTONE PORT_PLACEMENT PORT_NEUTRON PORT_NOVA PORT_GLANCE PORT_CINDER PORT_OCTAVIA PORT_SWIFT \
  PORT_SWIFT_OBJECT PORT_SWIFT_CONTAINER PORT_SWIFT_ACCOUNT
cloud_scripts=$cloud_repo/scripts/cloud

log() { printf '[cloud %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# bg NAME CMD...: starts CMD in the background, its output in log/NAME.log, its pid in run/NAME.pid.
bg() {
  local name=$1
  shift
  setsid "$@" >>"$CLOUD_DIR/log/$name.log" 2>&1 </dev/null &
  echo $! >"$CLOUD_DIR/run/$name.pid"
}

# api NAME PORT CONFIG_FILES: an API service under gunicorn (scripts/cloud/wsgi.py), on 127.0.0.1:PORT.
# Each request answered is logged (method, path, status, bytes, time; headers, and so tokens,
# never): scripts/cloud/errors.sh shows the last ones when a check fails. gunicorn's keep-alive
# stays its default, 2 s, harsher than most API fronts: clients must survive a kept-alive
# connection closed under them (stacks/cluster-stack.ts, OPENSTACK_MAX_RETRIES).
api() {
  local name=$1 port=$2 files=$3
  bg "$name-api" env CLOUD_SERVICE="$name" CLOUD_CONFIG_FILES="$files" \
    OS_KEYSTONE_CONFIG_DIR="$CLOUD_DIR/etc/keystone" OS_PLACEMENT_CONFIG_DIR="$CLOUD_DIR/etc/placement" \
    OS_NOVA_CONFIG_DIR="$CLOUD_DIR/etc/nova" OS_GLANCE_CONFIG_DIR="$CLOUD_DIR/etc/glance" \
    "$CLOUD_VENV/bin/gunicorn" --bind "127.0.0.1:$port" --workers 1 --worker-class gthread --threads 8 \
    --timeout 300 --access-logfile - --access-logformat '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %(t)s' --chdir "$cloud_scripts" --pythonpath "$cloud_scripts" wsgi:application
}

# wait_for WHAT SECONDS CMD...: retries CMD once a second.
wait_for() {
  local what=$1 limit=$2 i
  shift 2
  for ((i = 0; i < limit; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "$what did not come up in $limit s (logs: $CLOUD_DIR/log)"
}
