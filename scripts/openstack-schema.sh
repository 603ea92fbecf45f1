#!/usr/bin/env bash
# Writes providers/openstack/schema.json: `tofu providers schema -json` of the
# pinned OpenStack provider, trimmed to the resources and data sources the
# project uses or plans to use (scripts/openstack-schema-filter.mjs), with a
# provider_versions key so the generated bindings pin the version.
# Then regenerate the bindings with `npm run gen`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/tool-env.sh"
source "$repo/scripts/tool-versions.sh"

version=$(provider_version terraform-provider-openstack/openstack)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/main.tf.json" <<JSON
{ "terraform": { "required_providers": { "openstack": {
  "source": "terraform-provider-openstack/openstack", "version": "$version" } } } }
JSON
tofu -chdir="$work" init -backend=false -input=false >/dev/null
tofu -chdir="$work" providers schema -json >"$work/full.json"
node "$repo/scripts/openstack-schema-filter.mjs" "$work/full.json" "$version" >"$work/schema.json"
mv "$work/schema.json" "$repo/providers/openstack/schema.json"
echo "wrote providers/openstack/schema.json (openstack $version)"
