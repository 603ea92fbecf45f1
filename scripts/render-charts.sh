#!/usr/bin/env bash
# Renders the platform's Helm releases for real. The chart repositories are
# not reachable from the build machines, but the Go module proxy serves Helm
# and the source of most charts (a chart repository's git tree, or a project's
# Go module holding its chart). Each release's values are taken from the
# synthesized stacks and rendered with `helm template`: a template error or a
# value the chart's schema rejects fails the run, and the checks below look for
# the settings that must reach the manifests.
#
# CHART_SOURCES names, per release, the module and folder of its chart. Where
# the source is the pinned release itself (traefik, cert-manager, loki,
# grafana) the script checks that the versions agree; mimir-distributed 6.0.5
# is checked against the nearest source the proxy serves (Mimir's own module).
# k8s-monitoring's repository is not served: it is the one release not rendered.
# The system-upgrade-controller releases are checked against the Go module of
# the pinned release (its CRD, the variables its source reads).
# Subchart dependencies are dropped: our values disable every one of them.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
HELM_VERSION=v3.19.0
KUBE_VERSION=1.34.3
# release chart-dir-in-module go-module@version
# release stack chart-dir-in-module go-module@version exact|nearest
CHART_SOURCES=(
  "traefik production-platform traefik github.com/traefik/traefik-helm-chart@v41.6.0+incompatible exact"
  "cert-manager production-platform deploy/charts/cert-manager github.com/cert-manager/cert-manager@v1.19.1 exact"
  "loki tools-platform charts/loki github.com/grafana-community/helm-charts@v0.0.0-20260829030558-dbf9f4fb5fa1 exact"
  "grafana tools-platform charts/grafana github.com/grafana-community/helm-charts@v0.0.0-20260829030558-dbf9f4fb5fa1 exact"
  "mimir tools-platform operations/helm/charts/mimir-distributed github.com/grafana/mimir@v1.3.1-0.20260423142704-aced80d74930 nearest"
)
tools=${TOOLS_DIR:-$repo/.tools}
helm=$tools/bin/helm
if [[ ! -x $helm || $(cat "$tools/stamps/helm" 2>/dev/null) != "$HELM_VERSION" ]]; then
  echo "[charts] building helm $HELM_VERSION from its Go module"
  GOBIN=$tools/bin GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mkdir -p "$tools/stamps" && echo "$HELM_VERSION" >"$tools/stamps/helm"
fi

[[ -f cdktf.out/stacks/tools-platform/cdk.tf.json ]] || npm run --silent synth >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# <stack>-<release>.values.yaml and .version for every release, with Terraform's $${ escape undone.
for stack in tools-platform production-platform; do
  node -e '
    const s = require(process.argv[1]);
    for (const r of Object.values(s.resource.helm_release)) {
      const base = `${process.argv[2]}/${process.argv[3]}-${r.name}`;
      require("fs").writeFileSync(`${base}.values.yaml`, r.values[0].replaceAll("$${", "${"));
      require("fs").writeFileSync(`${base}.version`, String(r.version));
    }' "$repo/cdktf.out/stacks/$stack/cdk.tf.json" "$work" "$stack"
done

# Grafana as published when platformLayer.tools.grafanaAllowedCidrs lists
# networks (the default config lists none, so the stacks above leave it off the
# ingress): the values of its release and of its allow-list's, from the constructs.
RENDER_WORK="$work" npx tsx -e '
  const fs = require("fs");
  const { TerraformStack, TerraformVariable, Testing } = require("cdktf");
  const platform = require("./lib/platform");
  const layer = platform.DEFAULT_PLATFORM_LAYER_CONFIG;
  const stack = new TerraformStack(Testing.app(), "tools-platform");
  const ingress = new platform.IngressController(stack, "Ingress", { httpNodePort: 30080, httpsNodePort: 30443 });
  const certManager = new platform.CertManager(stack, "CertManager", { acmeEmail: layer.acmeEmail });
  const key = (id) => new TerraformVariable(stack, id, { type: "string", sensitive: true }).stringValue;
  new platform.Monitoring(stack, "Monitoring", {
    objectStorage: {
      bucketNames: Object.fromEntries(platform.MONITORING_BUCKETS.map((b) => [b, `webhost-tools-${b}`])),
      s3EndpointHost: "s3.pub1.infomaniak.cloud", region: "dc3-a", accessKey: key("access_key"), secretKey: key("secret_key"),
    },
    tenants: layer.tenants, grafanaHost: layer.tools.grafanaHost, metricsHost: layer.tools.metricsHost, logsHost: layer.tools.logsHost,
    metricsRetentionDays: 90, logsRetentionDays: 30,
    ingressController: ingress.release.release, clusterIssuer: certManager.issuers.release,
    grafanaAllowedCidrs: ["192.0.2.0/24"],
  });
  const json = JSON.parse(Testing.synth(stack));
  for (const r of Object.values(json.resource.helm_release)) {
    if (r.name === "grafana" || r.name === "grafana-access") {
      fs.writeFileSync(`${process.env.RENDER_WORK}/published-${r.name}.values.yaml`, r.values[0].replaceAll("$${", "${"));
    }
  }' </dev/null 2>"$work/published.err" || { echo "FAIL  could not build Grafana's published values:"; sed 's/^/      /' "$work/published.err"; exit 1; }

failed=0
render() { # RELEASE STACK CHART_DIR [OUTPUT]
  local out=${4:-$1}
  if "$helm" template "$1" "$3" -n "$1" --kube-version "$KUBE_VERSION" --include-crds -f "$work/$2-$1.values.yaml" >"$work/$out.out" 2>"$work/$out.err"; then
    return 0
  fi
  echo "FAIL  $out: helm template failed"; sed 's/^/      /' "$work/$out.err"; failed=$((failed + 1)); return 1
}
expect() { # RELEASE TEXT WHY
  if grep -qF -- "$2" "$work/$1.out" 2>/dev/null; then echo "ok    $1: $3"; else echo "FAIL  $1: $3 (no '$2' in the rendered manifests)"; failed=$((failed + 1)); fi
}
expect_no() { # RELEASE TEXT WHY
  if [[ -f $work/$1.out ]] && ! grep -qF -- "$2" "$work/$1.out"; then echo "ok    $1: $3"; else echo "FAIL  $1: $3 ('$2' is in the rendered manifests)"; failed=$((failed + 1)); fi
}

for source in "${CHART_SOURCES[@]}"; do
  read -r release stack dir module kind <<<"$source"
  moddir=$(go mod download -json "$module" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
  chart=$work/chart-$release
  cp -r "$moddir/$dir" "$chart" && chmod -R u+w "$chart"
  rm -f "$chart/Chart.lock"
  pinned=$(cat "$work/$stack-$release.version")
  # cert-manager keeps a Chart.template.yaml whose versions its release tool fills in.
  if [[ -f $chart/Chart.template.yaml ]]; then
    sed -e 's/{{IS_PRERELEASE}}/false/' -e "s/^version: v0.0.0/version: $pinned/" -e "s/^appVersion: v0.0.0/appVersion: $pinned/" \
      "$chart/Chart.template.yaml" >"$chart/Chart.yaml"
  fi
  # Drop the subchart dependencies our values disable.
  node -e '
    const fs = require("fs"); const f = process.argv[1];
    const text = fs.readFileSync(f, "utf8"); const at = text.indexOf("\ndependencies:");
    if (at >= 0) fs.writeFileSync(f, text.slice(0, at + 1));' "$chart/Chart.yaml"
  source_version=$(sed -n 's/^version: *//p' "$chart/Chart.yaml" | awk 'NR == 1' | tr -d '"')
  if [[ $kind == exact && $source_version != "$pinned" ]]; then
    echo "FAIL  $release: pinned $pinned but the source in $module is $source_version; move both together"
    failed=$((failed + 1))
    continue
  fi
  echo "[charts] $release $pinned from $module (chart $source_version, $kind)"
  render "$release" "$stack" "$chart" || continue
done

expect traefik "type: NodePort" "is exposed on NodePorts"
expect traefik "nodePort: 30080" "serves HTTP on the port the ingress load balancer targets"
expect traefik "nodePort: 30443" "serves HTTPS on the port the ingress load balancer targets"
expect traefik "kind: IngressClass" "provides the traefik IngressClass"
expect traefik "--entryPoints.web.http.redirections.entryPoint.to=:443" "redirects plain HTTP to the HTTPS port"
expect traefik "--entryPoints.web.http.redirections.entryPoint.scheme=https" "redirects to https"
expect traefik "--entryPoints.web.http.redirections.entryPoint.permanent=true" "redirects permanently (301)"
expect_no traefik "redirections.entryPoint.priority" "keeps the redirect at Traefik's own top priority"
expect traefik "--entryPoints.web.allowACMEByPass=true" "leaves ACME HTTP-01 challenges out of the redirect"
expect traefik "--entryPoints.websecure.asDefault=true" "serves an Ingress that names no entry point on HTTPS only"
expect traefik "--entryPoints.websecure.http.tls=true" "terminates TLS on websecure"
expect traefik "--entryPoints.websecure.http.middlewares=traefik-hsts@kubernetescrd" "sends HSTS on every HTTPS response"
expect traefik "--entryPoints.web.proxyProtocol.trustedIPs=" "reads the load balancer's PROXY header on :80"
expect traefik "--entryPoints.websecure.proxyProtocol.trustedIPs=" "reads the load balancer's PROXY header on :443"
expect_no traefik "proxyProtocol.insecure" "believes the PROXY header only from its trusted sources"
expect cert-manager "kind: CustomResourceDefinition" "installs its CRDs"
expect cert-manager "replicas: 2" "runs two controllers"
for release in mimir loki; do
  expect "$release" "-config.expand-env=true" "reads the S3 keys from the environment"
  expect "$release" "name: object-storage" "gets them from the object-storage secret"
  expect "$release" "s3.pub1.infomaniak.cloud" "stores on Infomaniak's S3 endpoint"
done
expect mimir "bucket_name: webhost-tools-mimir-blocks" "keeps blocks in their container"
expect mimir "multitenancy_enabled: true" "is multi-tenant"
expect mimir "bucket_lookup_type: path" "addresses buckets path-style"
expect loki "auth_enabled: true" "is multi-tenant"
expect loki "s3forcepathstyle: true" "addresses buckets path-style"
expect loki "bucketnames: webhost-tools-loki-chunks" "keeps chunks in their container"
expect grafana "X-Scope-OrgID" "queries each tenant with its own header"
expect grafana "name: grafana-admin" "takes the admin password from its secret"
if [[ -f $work/tools-platform-grafana-access.values.yaml ]]; then
  expect grafana "monitoring-grafana-allow-list@kubernetescrd" "is on the ingress behind its allow-list"
else
  expect_no grafana "kind: Ingress" "is not on the ingress without allowed networks"
fi
if [[ -d $work/chart-grafana ]] && render grafana published "$work/chart-grafana" grafana-published; then
  expect grafana-published "kind: Ingress" "with allowed networks: is on the ingress"
  # The chart quotes annotation values.
  expect grafana-published 'traefik.ingress.kubernetes.io/router.middlewares: "monitoring-grafana-allow-list@kubernetescrd"' "with allowed networks: behind its allow-list"
  expect grafana-published 'traefik.ingress.kubernetes.io/router.entrypoints: "websecure"' "with allowed networks: on HTTPS only"
fi

for release in ingress-middlewares cluster-issuers telemetry-write-auth tenant-guardrails; do
  stack=production-platform
  [[ -f $work/$stack-$release.values.yaml ]] || stack=tools-platform
  render "$release" "$stack" charts/platform-manifests && expect "$release" "apiVersion:" "renders its objects"
done
expect ingress-middlewares "stsSeconds: 31536000" "sends Strict-Transport-Security for a year"
expect cluster-issuers "traefik.ingress.kubernetes.io/router.entrypoints: web" "answers the HTTP-01 challenge on :80"
render grafana-access published charts/platform-manifests grafana-access-published &&
  expect grafana-access-published "sourceRange:" "with allowed networks: an ipAllowList of them"

# system-upgrade-controller: the CRD chart carries the pinned release's own
# file, the controller's settings are ones that release reads, and the Plans,
# as helm renders them, conform to that release's CRD with no unknown field.
suc_started=$(date +%s%N)
suc_version=$(sed -n 's/^appVersion: *//p' charts/system-upgrade-crd/Chart.yaml)
suc_module=github.com/rancher/system-upgrade-controller@$suc_version
suc_dir=$(go mod download -json "$suc_module" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
suc_crd=$suc_dir/pkg/crds/yaml/generated/upgrade.cattle.io_plans.yaml
echo "[charts] system-upgrade-controller $suc_version from $suc_module"
if cmp -s "$suc_crd" charts/system-upgrade-crd/files/upgrade.cattle.io_plans.yaml; then
  echo "ok    system-upgrade-crd: is $suc_module's pkg/crds/yaml/generated/upgrade.cattle.io_plans.yaml, byte for byte"
else
  echo "FAIL  system-upgrade-crd: charts/system-upgrade-crd/files/upgrade.cattle.io_plans.yaml differs from $suc_crd; copy it again"; failed=$((failed + 1))
fi
render system-upgrade-crd production-platform charts/system-upgrade-crd && expect system-upgrade-crd "name: plans.upgrade.cattle.io" "renders the Plan CRD"
for release in system-upgrade-controller system-upgrade-plans; do
  render "$release" production-platform charts/platform-manifests && expect "$release" "apiVersion:" "renders its objects"
done
expect system-upgrade-controller "image: docker.io/rancher/system-upgrade-controller:$suc_version" "runs the release the CRD comes from"
# Every SYSTEM_UPGRADE_* variable the controller is given is one its source reads.
for name in $(grep -o 'SYSTEM_UPGRADE_[A-Z_]*' "$work/system-upgrade-controller.out" | sort -u); do
  if grep -rqF --include='*.go' --exclude='*_test.go' "\"$name\"" "$suc_dir/main.go" "$suc_dir/pkg"; then
    echo "ok    system-upgrade-controller: $name is read by $suc_version"
  else
    echo "FAIL  system-upgrade-controller: $name is read nowhere in $suc_module (main.go, pkg/)"; failed=$((failed + 1))
  fi
done
if [[ -f $work/system-upgrade-plans.out ]]; then
  if SUC_CRD="$suc_crd" RENDERED="$work/system-upgrade-plans.out" RENDERED_CRD="$work/system-upgrade-crd.out" npx tsx -e '
      const fs = require("fs");
      const { parseAllDocuments } = require("yaml");
      const { crdSchemas } = require("./lib/verify/crd-schema");
      const upstream = fs.readFileSync(process.env.SUC_CRD, "utf8");
      const schemas = crdSchemas(upstream);
      const docs = (text) => parseAllDocuments(text).map((d) => d.toJSON()).filter(Boolean);
      const plans = docs(fs.readFileSync(process.env.RENDERED, "utf8")).filter((o) => o.kind === "Plan");
      if (plans.length !== 2) { console.log(`FAIL  system-upgrade-plans: ${plans.length} Plans rendered, expected 2`); process.exit(1); }
      let bad = 0;
      for (const plan of plans) {
        const errors = schemas.validate(plan);
        if (errors.length === 0) console.log(`ok    system-upgrade-plans: Plan ${plan.metadata.name} conforms to the CRD of the module, no unknown field`);
        else { bad++; console.log(`FAIL  system-upgrade-plans: Plan ${plan.metadata.name}: ${errors.join("; ")}`); }
      }
      const rendered = docs(fs.readFileSync(process.env.RENDERED_CRD, "utf8"));
      if (JSON.stringify(rendered) === JSON.stringify(docs(upstream))) console.log("ok    system-upgrade-crd: renders exactly the module'"'"'s CRD");
      else { bad++; console.log("FAIL  system-upgrade-crd: the rendered CRD is not the module'"'"'s"); }
      process.exit(bad);' </dev/null; then :; else failed=$((failed + 1)); fi
fi
echo "[charts] system-upgrade-controller checks took $(( ($(date +%s%N) - suc_started) / 1000000 )) ms"

if ((failed > 0)); then echo "$failed chart check(s) failed" >&2; exit 1; fi
echo "all chart checks passed (helm $HELM_VERSION, Kubernetes $KUBE_VERSION)"
