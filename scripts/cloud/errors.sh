#!/usr/bin/env bash
# npm run cloud:errors: what the test cloud's services logged that explains a failed
# check, printed before `npm run cloud:down` removes the logs (CI keeps only its output).
# Per service log: gunicorn's worker events (a worker killed or restarted ends the
# requests it held with an EOF), the last errors and tracebacks, and for the API
# services the last requests they answered (gunicorn's access log: a request that is
# not there never reached the service).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
[[ -d $CLOUD_DIR/log ]] || { log "no logs ($CLOUD_DIR/log absent)"; exit 0; }
lines=${CLOUD_ERRORS_LINES:-12}
for f in "$CLOUD_DIR"/log/*.log; do
  name=$(basename "$f" .log)
  [[ $name == *-manage || $name == mariadb-install ]] && continue
  # One "Booting worker" is the start; a second one, a timeout or a signal is a worker lost.
  workers=
  if [[ $(grep -c 'Booting worker' "$f") -gt 1 ]] || grep -qE 'WORKER TIMEOUT|was sent SIG|Worker \(pid:[0-9]+\) exited' "$f"; then
    workers=$(grep -E 'WORKER TIMEOUT|was sent SIG|Worker \(pid:[0-9]+\) exited|Booting worker' "$f" | tail -n "$lines")
  fi
  # oslo.log's "<date> <time> <pid> ERROR": nova-compute's "No DB access" lines are the fake
  # driver's start, not a failure.
  errors=$(grep -E '^[0-9-]+ [0-9:.]+ [0-9]+ (ERROR|CRITICAL) |^Traceback|^\[[^]]*\] \[[0-9]+\] \[(ERROR|CRITICAL)\]' "$f" |
    grep -v 'No DB access allowed in nova-compute' | tail -n "$lines")
  requests=
  # Every API's last requests, errors or not: a request a client lost may have left nothing else.
  [[ $name == *-api ]] && requests=$(grep -E '^127\.0\.0\.1 "' "$f" | tail -n "$lines")
  [[ -z $workers$errors$requests ]] && continue
  echo "--- $name ($f)"
  [[ -n $workers ]] && { echo "  gunicorn workers:"; sed 's/^/    /' <<<"$workers"; }
  [[ -n $errors ]] && { echo "  last errors:"; sed 's/^/    /' <<<"$errors"; }
  [[ -n $requests ]] && { echo "  last requests:"; sed 's/^/    /' <<<"$requests"; }
done
exit 0
