#!/usr/bin/env bash
# npm run cloud:up: a real OpenStack 2026.2 control plane on 127.0.0.1 with
# the fake backends OpenStack's own functional tests use, seeded like
# Infomaniak's public cloud (scripts/cloud/seed.py), for `npm run test:cloud`.
#
# Installs what it needs (Debian: mariadb-server rabbitmq-server memcached;
# PyPI: the pinned closure in scripts/cloud/requirements.lock, into a
# virtualenv cached in $CLOUD_TOOLS_DIR or $TOOLS_DIR or <repo>/.tools), then
# starts every service fresh: state, logs and pid files in $CLOUD_DIR
# (default <repo>/.cloud). A cloud already up is left alone (nova-compute on
# the fake driver cannot be restarted: `npm run cloud:down` first to rebuild).
# Writes $CLOUD_DIR/openrc (OS_* for the admin and for a tenant project).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
start_all=$SECONDS
on_error() {
  local newest
  newest=$(ls -t "$CLOUD_DIR"/log/*.log 2>/dev/null | sed -n 1p)
  log "ERROR: $BASH_COMMAND failed (line $1)${newest:+; the newest log, $newest:}"
  [[ -n $newest ]] && tail -n 15 "$newest" >&2
  exit 1
}
trap 'on_error $LINENO' ERR

if [[ -f $CLOUD_DIR/up ]]; then
  log "already up ($CLOUD_DIR); npm run cloud:down to start afresh"
  exit 0
fi
if [[ -e $CLOUD_DIR ]]; then
  log "a previous cloud did not come up completely: removing it first"
  bash "$here/down.sh"
fi

# --- packages -------------------------------------------------------------
t=$SECONDS
missing=()
command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]] || missing+=(mariadb-server)
[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || missing+=(rabbitmq-server)
[[ -x /usr/bin/memcached ]] || missing+=(memcached)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
source "$here/../lib/debian.sh"
debian_install "${missing[@]}" || die "could not install ${missing[*]}"
log "Debian packages: $((SECONDS - t)) s"

t=$SECONDS
want=$(cat "$here/requirements.lock" "$here/shims/entry_points.txt" | sha256sum | cut -d' ' -f1)
if [[ -x $CLOUD_VENV/bin/keystone-manage && $(cat "$CLOUD_VENV/.lock-sha256" 2>/dev/null) == "$want" ]]; then
  log "virtualenv cached ($CLOUD_VENV)"
else
  rm -rf "$CLOUD_VENV" "$CLOUD_VENV-uv"
  /usr/bin/python3 -m venv "$CLOUD_VENV-uv"
  "$CLOUD_VENV-uv/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  "$CLOUD_VENV-uv/bin/uv" venv --quiet -p /usr/bin/python3 "$CLOUD_VENV"
  # --no-deps: the lock file is the whole closure, every version pinned.
  VIRTUAL_ENV=$CLOUD_VENV "$CLOUD_VENV-uv/bin/uv" pip install --quiet --no-deps -r "$here/requirements.lock"
  # The shims (scripts/cloud/shims) on the path, with the entry points
  # stevedore looks drivers up by.
  site=$("$CLOUD_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$here/shims" >"$site/cloudshims.pth"
  mkdir -p "$site/cloudshims-0.0.0.dist-info"
  printf 'Metadata-Version: 2.1\nName: cloudshims\nVersion: 0.0.0\n' >"$site/cloudshims-0.0.0.dist-info/METADATA"
  cp "$here/shims/entry_points.txt" "$site/cloudshims-0.0.0.dist-info/entry_points.txt"
  rm -rf "$CLOUD_VENV-uv"
  printf '%s' "$want" >"$CLOUD_VENV/.lock-sha256"
fi
log "virtualenv: $((SECONDS - t)) s"
export PATH=$CLOUD_VENV/bin:$PATH

# --- state, secrets -----------------------------------------------------
mkdir -p "$CLOUD_DIR"/{log,run,etc,lock}
chmod 700 "$CLOUD_DIR"
umask 077
# Fresh random secrets per cloud, in a file only this user reads.
{
  echo "CLOUD_DB_PASSWORD=$(openssl rand -hex 16)"
  echo "CLOUD_MQ_PASSWORD=$(openssl rand -hex 16)"
  echo "CLOUD_SERVICE_PASSWORD=$(openssl rand -hex 16)"
  echo "CLOUD_ADMIN_PASSWORD=$(openssl rand -hex 16)"
  echo "CLOUD_TENANT_PASSWORD=$(openssl rand -hex 16)"
} >"$CLOUD_DIR/secrets.env"
source "$CLOUD_DIR/secrets.env"
umask 022

# --- MariaDB, RabbitMQ, memcached -------------------------------------------
t=$SECONDS
mariadb-install-db --no-defaults --datadir="$CLOUD_DIR/mysql" --user=root \
  --auth-root-authentication-method=socket >"$CLOUD_DIR/log/mariadb-install.log" 2>&1
bg mariadb mariadbd --no-defaults --datadir="$CLOUD_DIR/mysql" --user=root \
  --socket="$CLOUD_DIR/run/mysql.sock" --bind-address=127.0.0.1 --port="$PORT_DB" \
  --max-connections=1000 --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=0 \
  --skip-name-resolve --log-error="$CLOUD_DIR/log/mariadb.err"
wait_for "MariaDB" 60 mariadb --no-defaults -S "$CLOUD_DIR/run/mysql.sock" -u root -e 'select 1'
{
  echo "CREATE USER 'openstack'@'127.0.0.1' IDENTIFIED BY '$CLOUD_DB_PASSWORD';"
  for db in keystone placement neutron nova_api nova nova_cell0 glance cinder octavia; do
    echo "CREATE DATABASE $db; GRANT ALL ON $db.* TO 'openstack'@'127.0.0.1';"
  done
} | mariadb --no-defaults -S "$CLOUD_DIR/run/mysql.sock" -u root

mkdir -p "$CLOUD_DIR/rabbitmq"
echo '[].' >"$CLOUD_DIR/rabbitmq/enabled_plugins"
rabbit_env=(HOME="$CLOUD_DIR/rabbitmq" RABBITMQ_NODENAME=cloud@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  RABBITMQ_NODE_PORT="$PORT_MQ" RABBITMQ_DIST_PORT="$PORT_MQ_DIST" ERL_EPMD_ADDRESS=127.0.0.1
  RABBITMQ_MNESIA_BASE="$CLOUD_DIR/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$CLOUD_DIR/log/rabbitmq"
  RABBITMQ_ENABLED_PLUGINS_FILE="$CLOUD_DIR/rabbitmq/enabled_plugins" RABBITMQ_PID_FILE="$CLOUD_DIR/run/rabbitmq.pid")
epmd=$(ls /usr/lib/erlang/erts-*/bin/epmd | sed -n 1p)
"$epmd" -names >/dev/null 2>&1 || touch "$CLOUD_DIR/run/epmd-started"
bg rabbitmq env "${rabbit_env[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
wait_for "RabbitMQ" 90 env "${rabbit_env[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -q -n cloud@localhost await_startup
env "${rabbit_env[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -q -n cloud@localhost add_user openstack "$CLOUD_MQ_PASSWORD" >/dev/null
env "${rabbit_env[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -q -n cloud@localhost set_permissions openstack '.*' '.*' '.*' >/dev/null

bg memcached memcached -u root -l 127.0.0.1 -p "$PORT_MEMCACHED" -m 64
log "MariaDB, RabbitMQ, memcached: $((SECONDS - t)) s"

# --- configuration ----------------------------------------------------------
bash "$here/config.sh"

# --- Keystone ---------------------------------------------------------------
t=$SECONDS
kconf=$CLOUD_DIR/etc/keystone/keystone.conf
mkdir -p "$CLOUD_DIR/keystone"/{fernet,receipts,credential}
keystone-manage --config-file "$kconf" db_sync >"$CLOUD_DIR/log/keystone-manage.log" 2>&1
keystone-manage --config-file "$kconf" fernet_setup --keystone-user root --keystone-group root >>"$CLOUD_DIR/log/keystone-manage.log" 2>&1
keystone-manage --config-file "$kconf" credential_setup --keystone-user root --keystone-group root >>"$CLOUD_DIR/log/keystone-manage.log" 2>&1
keystone-manage --config-file "$kconf" bootstrap --bootstrap-password "$CLOUD_ADMIN_PASSWORD" \
  --bootstrap-admin-url "$KEYSTONE_URL/v3" --bootstrap-internal-url "$KEYSTONE_URL/v3" \
  --bootstrap-public-url "$KEYSTONE_URL/v3" --bootstrap-region-id "$CLOUD_REGION" >>"$CLOUD_DIR/log/keystone-manage.log" 2>&1
api keystone "$PORT_KEYSTONE" "$kconf"
wait_for "Keystone" 60 curl -fsS -o /dev/null "$KEYSTONE_URL/v3"
log "Keystone: $((SECONDS - t)) s"

t=$SECONDS
python "$here/seed.py" identity
log "users, projects, catalog: $((SECONDS - t)) s"

# --- database schemas, in parallel -----------------------------------------
t=$SECONDS
e=$CLOUD_DIR/etc
(placement-manage --config-file "$e/placement/placement.conf" db sync >"$CLOUD_DIR/log/placement-manage.log" 2>&1) &
p1=$!
(neutron-db-manage --config-file "$e/neutron/neutron.conf" --config-file "$e/neutron/ml2_conf.ini" upgrade heads >"$CLOUD_DIR/log/neutron-db-manage.log" 2>&1) &
p2=$!
(
  nova-manage --config-file "$e/nova/nova.conf" api_db sync
  nova-manage --config-file "$e/nova/nova.conf" cell_v2 map_cell0
  nova-manage --config-file "$e/nova/nova.conf" cell_v2 create_cell --name cell1
  nova-manage --config-file "$e/nova/nova.conf" db sync
) >"$CLOUD_DIR/log/nova-manage.log" 2>&1 &
p3=$!
(glance-manage --config-file "$e/glance/glance-api.conf" db_sync >"$CLOUD_DIR/log/glance-manage.log" 2>&1) &
p4=$!
(cinder-manage --config-file "$e/cinder/cinder.conf" db sync >"$CLOUD_DIR/log/cinder-manage.log" 2>&1) &
p5=$!
(octavia-db-manage --config-file "$e/octavia/octavia.conf" upgrade head >"$CLOUD_DIR/log/octavia-db-manage.log" 2>&1) &
p6=$!
for p in placement:$p1 neutron:$p2 nova:$p3 glance:$p4 cinder:$p5 octavia:$p6; do
  wait "${p#*:}" || die "${p%%:*} database sync failed: $CLOUD_DIR/log/${p%%:*}-*manage.log"
done
log "database schemas: $((SECONDS - t)) s"

# --- services ---------------------------------------------------------------
t=$SECONDS
api placement "$PORT_PLACEMENT" "$e/placement/placement.conf"
api neutron "$PORT_NEUTRON" "$e/neutron/neutron.conf:$e/neutron/ml2_conf.ini"
bg neutron-periodic neutron-periodic-workers --config-file "$e/neutron/neutron.conf" --config-file "$e/neutron/ml2_conf.ini"
api nova "$PORT_NOVA" "$e/nova/nova.conf"
for s in conductor scheduler compute; do bg "nova-$s" "nova-$s" --config-file "$e/nova/nova.conf"; done
api glance "$PORT_GLANCE" "$e/glance/glance-api.conf"
api cinder "$PORT_CINDER" "$e/cinder/cinder.conf"
for s in scheduler volume; do bg "cinder-$s" "cinder-$s" --config-file "$e/cinder/cinder.conf"; done
api octavia "$PORT_OCTAVIA" "$e/octavia/octavia.conf"
bg octavia-worker octavia-worker --config-file "$e/octavia/octavia.conf"
bash "$here/swift.sh"
for svc in placement:$PORT_PLACEMENT neutron:$PORT_NEUTRON nova:$PORT_NOVA glance:$PORT_GLANCE cinder:$PORT_CINDER octavia:$PORT_OCTAVIA swift:$PORT_SWIFT; do
  wait_for "${svc%%:*}" 180 curl -sS -o /dev/null "http://127.0.0.1:${svc#*:}/"
done
log "APIs answering: $((SECONDS - t)) s"

t=$SECONDS
python "$here/seed.py" resources
log "seeded like Infomaniak: $((SECONDS - t)) s"

touch "$CLOUD_DIR/up"
log "up in $((SECONDS - start_all)) s; source $CLOUD_DIR/openrc (tenant) or $CLOUD_DIR/openrc-admin"
