# Sourced by the scripts that run tofu: puts the tools built by
# install-tools.sh first on PATH and uses their CLI config (filesystem mirror).
# With TOFU_USE_REGISTRY=1, the tofu on PATH and the public registry are used.
TOOLS_DIR=${TOOLS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools}
if [[ ${TOFU_USE_REGISTRY:-0} != 1 ]]; then
  if [[ ! -x $TOOLS_DIR/bin/tofu || ! -f $TOOLS_DIR/tofurc ]]; then
    echo "OpenTofu is not installed in $TOOLS_DIR: run 'npm run tools' first (or set TOFU_USE_REGISTRY=1 to use the tofu on PATH)" >&2
    exit 1
  fi
  export PATH="$TOOLS_DIR/bin:$PATH"
  export TF_CLI_CONFIG_FILE="$TOOLS_DIR/tofurc"
fi
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
