# Pinned versions of the Go-built tools (sourced by install-tools.sh).
# Change a version here and run `npm run tools`: the stale binary is rebuilt.

# Go language version written into the wrapper modules; must not be newer than
# the machine's Go (1.26 here).
GO_LANG_VERSION=1.26

TOFU_VERSION=1.12.6
# OpenTofu's go.mod has `replace` directives, which Go ignores in dependencies:
# the wrapper module restates them (keep in sync when bumping TOFU_VERSION).
TOFU_REPLACES=(
  "github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20251021132045-587d123c2828"
)

# "<namespace>/<type> <version> <go module> <main package>", one provider a line.
PROVIDERS=(
  "terraform-provider-openstack/openstack 3.4.0 github.com/terraform-provider-openstack/terraform-provider-openstack/v3 github.com/terraform-provider-openstack/terraform-provider-openstack/v3"
)

# Providers the stacks use that cannot be built here: the Go module proxy of
# this project's machines serves no usable version of their modules (it
# answers 403 for every release of hashicorp/terraform-provider-tls, -random,
# -kubernetes and -helm since 2021). `npm run validate` reports the stacks that
# need them as UNVERIFIED instead of failing in `tofu init`; with registry
# access, TOFU_USE_REGISTRY=1 npm run validate checks them all.
UNBUILDABLE_PROVIDERS=(
  "hashicorp/tls"
  "hashicorp/random"
  "hashicorp/kubernetes"
  "hashicorp/helm"
)

# The Go module version for a provider release (a module tagged v2+ without a
# /vN path suffix would need a pseudo-version here).
go_version_of() { printf 'v%s' "$2"; }

# provider_version NAMESPACE/TYPE: the pinned version of a provider above.
provider_version() {
  local spec
  for spec in "${PROVIDERS[@]}"; do
    read -r address version _ <<<"$spec"
    [[ $address == "$1" ]] && { printf '%s' "$version"; return; }
  done
  echo "no pinned version for $1 in scripts/tool-versions.sh" >&2
  return 1
}
