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
# RabbitMQ's Erlang port mapper, started for the node on 127.0.0.1 only.
if [[ -x /usr/lib/rabbitmq/bin/rabbitmqctl ]]; then :; fi
rm -rf "$CLOUD_DIR"
log "down: ${#pids[@]} processes stopped, $CLOUD_DIR removed"
