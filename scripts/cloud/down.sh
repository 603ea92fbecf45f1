#!/usr/bin/env bash
# npm run cloud:down: stops every process of the test cloud (by the pids
# scripts/cloud/up.sh recorded) and removes its state ($CLOUD_DIR). The
# cached virtualenv stays.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
[[ -d $CLOUD_DIR ]] || { log "nothing to stop ($CLOUD_DIR absent)"; exit 0; }
pids=()
for f in "$CLOUD_DIR"/run/*.pid; do
  [[ -f $f ]] || continue
  pid=$(cat "$f")
  # Each service was started in its own session (setsid): end its whole group.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  pids+=("$pid")
done
for i in $(seq 1 20); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  ((alive)) || break
  sleep 0.5
done
for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null; done
# The Erlang port mapper RabbitMQ started (a daemon of its own): stopped
# through its own protocol, unless another Erlang node still uses it.
epmd=$(ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | sed -n 1p)
if [[ -f $CLOUD_DIR/run/epmd-started && -n $epmd ]] && [[ $("$epmd" -names 2>/dev/null) != *$'\n'name\ * ]]; then
  "$epmd" -kill >/dev/null 2>&1
fi
rm -rf "$CLOUD_DIR"
log "down: ${#pids[@]} processes stopped, $CLOUD_DIR removed"
