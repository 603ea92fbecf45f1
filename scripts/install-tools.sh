#!/usr/bin/env bash
# Builds OpenTofu and the Terraform providers the stacks use from their Go
# modules at pinned versions, into a git-ignored tools folder, and writes a CLI
# config whose filesystem mirror lets `tofu init` work without a registry.
#
# Idempotent: a tool whose binary and version stamp are present is not rebuilt,
# so a second run takes seconds. Where a suitable `tofu` is already on PATH
# (TOFU_FROM_PATH=1), it is used instead of a build.
#
#   bash scripts/install-tools.sh            # build what is missing
#   TOOLS_DIR=/opt/tools bash scripts/...    # build elsewhere
#
# Prints `export TF_CLI_CONFIG_FILE=...` hints at the end; scripts/validate.sh
# picks the tools up by itself.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
TOOLS_DIR=${TOOLS_DIR:-$repo/.tools}
# shellcheck source=scripts/tool-versions.sh
source "$repo/scripts/tool-versions.sh"

mkdir -p "$TOOLS_DIR/bin" "$TOOLS_DIR/build" "$TOOLS_DIR/providers" "$TOOLS_DIR/stamps"
log() { printf '[tools] %s\n' "$*" >&2; }

# go_build NAME OUT MODULE VERSION PACKAGE [REPLACE...]
# Builds PACKAGE from MODULE@VERSION through a small wrapper module, so that the
# module's own `replace` directives (ignored for dependencies) can be restated.
# EXTRA_LDFLAGS (environment) is added to the linker flags.
go_build() {
  local name=$1 out=$2 module=$3 version=$4 package=$5
  shift 5
  local stamp="$TOOLS_DIR/stamps/$name" want="$module@$version ${EXTRA_LDFLAGS:-}"
  if [[ -x $out && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    log "$name $version: cached ($out)"
    return
  fi
  local dir="$TOOLS_DIR/build/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  {
    printf 'module localbuild/%s\n\ngo %s\n\nrequire %s %s\n' "$name" "$GO_LANG_VERSION" "$module" "$version"
    local r
    for r in "$@"; do printf 'replace %s\n' "$r"; done
  } >"$dir/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" >"$dir/tools.go"
  log "$name $version: building from $want (first build takes minutes)"
  local start=$SECONDS
  (cd "$dir" && GOFLAGS=-mod=mod go mod tidy)
  (cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w ${EXTRA_LDFLAGS:-}" -o "$out.tmp" "$package")
  mv "$out.tmp" "$out"
  printf '%s' "$want" >"$stamp"
  log "$name $version: built in $((SECONDS - start)) s"
}

# --- OpenTofu ---------------------------------------------------------------
if [[ ${TOFU_FROM_PATH:-0} == 1 ]] && command -v tofu >/dev/null; then
  ln -sf "$(command -v tofu)" "$TOOLS_DIR/bin/tofu"
  log "tofu: using $(command -v tofu)"
else
  # version.dev=no: a release build, so `tofu version` has no -dev suffix.
  EXTRA_LDFLAGS="-X github.com/opentofu/opentofu/version.dev=no" \
    go_build tofu "$TOOLS_DIR/bin/tofu" github.com/opentofu/opentofu "v$TOFU_VERSION" \
    github.com/opentofu/opentofu/cmd/tofu "${TOFU_REPLACES[@]}"
fi

# --- Providers, laid out as an unpacked filesystem mirror -------------------
os_arch="$(go env GOOS)_$(go env GOARCH)"
mirror_includes=()
for spec in "${PROVIDERS[@]}"; do
  read -r address version module package <<<"$spec"
  name=${address##*/}
  dir="$TOOLS_DIR/providers/registry.opentofu.org/$address/$version/$os_arch"
  mkdir -p "$dir"
  go_build "provider-$name" "$dir/terraform-provider-${name}_v$version" "$module" "$(go_version_of "$module" "$version")" "$package"
  mirror_includes+=("\"registry.opentofu.org/$address\"")
done

# --- CLI config ---------------------------------------------------------------
includes=$(IFS=,; echo "${mirror_includes[*]}")
cat >"$TOOLS_DIR/tofurc.tmp" <<HCL
# Written by scripts/install-tools.sh: the providers built here come from this
# mirror, every other provider from the registry as usual.
provider_installation {
  filesystem_mirror {
    path    = "$TOOLS_DIR/providers"
    include = [$includes]
  }
  direct {
    exclude = [$includes]
  }
}
HCL
mv "$TOOLS_DIR/tofurc.tmp" "$TOOLS_DIR/tofurc"

TF_CLI_CONFIG_FILE="$TOOLS_DIR/tofurc" "$TOOLS_DIR/bin/tofu" version | awk 'NR == 1' >&2  # awk reads to the end: `head` would close the pipe, and pipefail turn tofu's SIGPIPE (141) into a failure
log "ready: export TF_CLI_CONFIG_FILE=$TOOLS_DIR/tofurc PATH=$TOOLS_DIR/bin:\$PATH"
