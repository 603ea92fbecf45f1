# Sourced: a real OpenStack Swift with its S3 API (the s3api middleware, what
# Infomaniak's object storage runs), all in one on 127.0.0.1, for the checks
# that need an S3 server. Not an emulation: Swift's own proxy, account,
# container and object servers from PyPI at a pinned version, one replica on a
# folder of the work directory.
#
#   source scripts/swift/server.sh
#   swift_start WORKDIR REGION   # sets SWIFT_ENDPOINT (http://127.0.0.1:<port>); stop with swift_stop
#   s3_probe create-bucket NAME  # and `s3_probe get BUCKET KEY` (scripts/swift/s3_probe.py)
#
# SWIFT_VERSION (default below) picks scripts/swift/requirements-<version>.txt.
# The virtualenv is cached in <repo>/.tools/swift-<version> (SWIFT_VENV to put
# it elsewhere) and rebuilt when its requirements file changes. Needs python3
# with the venv module. S3 credentials: AWS_ACCESS_KEY_ID=test:tester,
# AWS_SECRET_ACCESS_KEY=testing (tempauth). The s3api `location` is REGION:
# requests signed for another region are refused, as by Swift anywhere.

SWIFT_DEFAULT_VERSION=2.38.3
SWIFT_VERSION=${SWIFT_VERSION:-$SWIFT_DEFAULT_VERSION}
swift_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
swift_requirements=$swift_repo/scripts/swift/requirements-$SWIFT_VERSION.txt
SWIFT_VENV=${SWIFT_VENV:-$swift_repo/.tools/swift-$SWIFT_VERSION}
swift_pids=()

swift_log() { printf '[swift] %s\n' "$*" >&2; }

# Installs the pinned Swift into its virtualenv unless it is there already.
swift_install() {
  [[ -f $swift_requirements ]] ||
    { echo "no pinned requirements for Swift $SWIFT_VERSION: write $swift_requirements (pip freeze of a venv with swift==$SWIFT_VERSION)" >&2; return 1; }
  local stamp=$SWIFT_VENV/.requirements-sha256 want
  want=$(sha256sum "$swift_requirements" | cut -d' ' -f1)
  if [[ -x $SWIFT_VENV/bin/swift-proxy-server && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    swift_log "Swift $SWIFT_VERSION: cached ($SWIFT_VENV)"
    return
  fi
  local start=$SECONDS
  rm -rf "$SWIFT_VENV"
  python3 -m venv "$SWIFT_VENV"
  # --no-deps: the requirements file is the whole closure, each version pinned.
  "$SWIFT_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$swift_requirements"
  printf '%s' "$want" >"$stamp"
  swift_log "Swift $SWIFT_VERSION: installed in $((SECONDS - start)) s"
}

# swift_storage_servers BIN ETC DEVICES PART_POWER ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT: one
# replica of each ring on device d1 of DEVICES, and the account, container and object server
# configs, in ETC (which swift.conf names as swift_dir). BIN holds swift-ring-builder.
swift_storage_servers() {
  local bin=$1 etc=$2 devices=$3 part_power=$4 ring port
  shift 4
  local rings=(account:$1 container:$2 object:$3)
  mkdir -p "$devices/d1"
  for ring in "${rings[@]}"; do
    port=${ring#*:} ring=${ring%%:*}
    # (PYTHONWARNINGS: eventlet 0.41 warns of its own deprecation on every start.)
    PYTHONWARNINGS=ignore "$bin/swift-ring-builder" "$etc/$ring.builder" create "$part_power" 1 1 >/dev/null
    PYTHONWARNINGS=ignore "$bin/swift-ring-builder" "$etc/$ring.builder" add "r1z1-127.0.0.1:$port/d1" 1 >/dev/null
    # Exit 1 is only the warning that one device cannot satisfy dispersion.
    PYTHONWARNINGS=ignore "$bin/swift-ring-builder" "$etc/$ring.builder" rebalance >/dev/null || [[ $? == 1 ]]
    cat >"$etc/$ring-server.conf" <<EOF
[DEFAULT]
swift_dir = $etc
devices = $devices
mount_check = false
bind_ip = 127.0.0.1
bind_port = $port
workers = 0
log_name = $ring-server
[pipeline:main]
pipeline = $ring-server
[app:$ring-server]
use = egg:swift#$ring
EOF
  done
}

# swift_conf FILE: the cluster's swift.conf (a fresh hash suffix, one storage policy).
swift_conf() {
  cat >"$1" <<EOF
[swift-hash]
swift_hash_path_suffix = $(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
[storage-policy:0]
name = default
default = yes
EOF
}

# swift_proxy_head ETC PORT MIDDLE MEMCACHE: the start of a proxy-server.conf, on stdout: the
# DEFAULT section, the pipeline (catch_errors gatekeeper healthcheck proxy-logging cache MIDDLE
# proxy-logging proxy-server), the proxy app and those first filters; the caller adds MIDDLE's.
swift_proxy_head() {
  cat <<EOF
[DEFAULT]
swift_dir = $1
bind_ip = 127.0.0.1
bind_port = $2
workers = 0
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache $3 proxy-logging proxy-server
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
memcache_servers = $4
EOF
}

s3_probe() { "$SWIFT_VENV/bin/python" "$swift_repo/scripts/swift/s3_probe.py" "$SWIFT_ENDPOINT" "$@"; }

# swift_start WORKDIR REGION
swift_start() {
  local dir=$1/swift region=$2
  swift_install
  local ports
  read -r -a ports <<<"$("$SWIFT_VENV/bin/python" "$swift_repo/scripts/swift/s3_probe.py" free-ports 4)"
  local proxy_port=${ports[0]} account_port=${ports[1]} container_port=${ports[2]} object_port=${ports[3]}
  mkdir -p "$dir/etc" "$dir/log"
  swift_conf "$dir/etc/swift.conf"
  swift_storage_servers "$SWIFT_VENV/bin" "$dir/etc" "$dir/node" 4 "$account_port" "$container_port" "$object_port"
  # The S3 API as Swift's s3api docs configure it with tempauth. Only S3
  # requests are made, which tempauth checks against its user list: the cache
  # filter must be in the pipeline but needs no memcached (it finds none, and
  # says so in the log only).
  {
    swift_proxy_head "$dir/etc" "$proxy_port" "s3api tempauth" 127.0.0.1:1
    cat <<EOF
[filter:s3api]
use = egg:swift#s3api
location = $region
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
EOF
  } >"$dir/etc/proxy-server.conf"
  local server
  for server in account container object proxy; do
    "$SWIFT_VENV/bin/python" "$swift_repo/scripts/swift/run_server.py" "$dir/etc/swift.conf" "$server" "$dir/etc/$server-server.conf" \
      >"$dir/log/$server.log" 2>&1 &
    swift_pids+=($!)
  done
  SWIFT_ENDPOINT=http://127.0.0.1:$proxy_port
  local tries
  for tries in $(seq 100); do
    if "$SWIFT_VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/healthcheck", timeout=1)' "$SWIFT_ENDPOINT" 2>/dev/null; then
      swift_log "Swift $SWIFT_VERSION with s3api on $SWIFT_ENDPOINT (location $region)"
      return
    fi
    sleep 0.2
  done
  tail -n 20 "$dir"/log/*.log >&2
  echo "Swift did not answer on $SWIFT_ENDPOINT" >&2
  return 1
}

swift_stop() {
  local pid
  for pid in "${swift_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${swift_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  swift_pids=()
}
