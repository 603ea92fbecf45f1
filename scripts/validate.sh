#!/usr/bin/env bash
# Synthesizes every stack, then runs real OpenTofu on each: `tofu init
# -backend=false` and `tofu validate`. One line per stack; exits non-zero if
# any stack fails. Tools come from scripts/install-tools.sh (npm run tools).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/tool-env.sh

if [[ ${SKIP_SYNTH:-0} != 1 ]]; then
  npm run --silent synth || { echo "synth failed" >&2; exit 1; }
fi

stacks=$(node -e 'const m=require("./cdktf.out/manifest.json"); console.log(Object.keys(m.stacks).join("\n"))')
failed=0
logs=$(mktemp -d)
for stack in $stacks; do
  dir=cdktf.out/stacks/$stack
  log=$logs/$stack.log
  start=$SECONDS
  if tofu -chdir="$dir" init -backend=false -input=false -no-color >"$log" 2>&1 &&
    tofu -chdir="$dir" validate -no-color >>"$log" 2>&1; then
    printf 'ok    %-28s %3ds\n' "$stack" $((SECONDS - start))
  else
    printf 'FAIL  %-28s %3ds\n' "$stack" $((SECONDS - start))
    sed 's/^/      /' "$log"
    failed=$((failed + 1))
  fi
done
rm -rf "$logs"
if ((failed > 0)); then
  echo "$failed stack(s) failed tofu validate" >&2
  exit 1
fi
echo "all stacks valid ($(tofu version | head -1))"
