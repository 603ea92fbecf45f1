import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { parse, stringify } from 'yaml';
import { TENANT_LABEL } from '../lib/aspects';
import { DEFAULT_CONFIG_FILE, environmentNames, loadPlatformConfig, parsePlatformConfig } from '../lib/config';
import { MANIFESTS_CHART } from '../lib/platform';
import {
  RKE2_AGENT_PLAN,
  RKE2_SERVER_PLAN,
  SYSTEM_UPGRADE,
  SYSTEM_UPGRADE_CRD_CHART,
  SystemUpgrade,
} from '../lib/platform/system-upgrade';
import { crdSchemas } from '../lib/verify/crd-schema';
import { synthPlatform } from './support/synth';

/** The default config's environments, in its order. */
const DEFAULT_ENVIRONMENT_NAMES = environmentNames(loadPlatformConfig({}).config);

const { config } = loadPlatformConfig({});
const { json } = synthPlatform();
const chartDir = join(__dirname, '..', 'charts', 'system-upgrade-crd');
const crdYaml = readFileSync(join(chartDir, 'files', 'upgrade.cattle.io_plans.yaml'), 'utf8');
/**
 * sha256 of pkg/crds/yaml/generated/upgrade.cattle.io_plans.yaml in
 * github.com/rancher/system-upgrade-controller@v0.19.2 (go mod download);
 * scripts/render-charts.sh compares the file with the module itself.
 */
const CRD_SHA256_V0_19_2 = 'f8f488252adceaad35c6b322ccd35bfbdb851c19b5796df853e8119ebbd0ca6c';

const releases = (stack: any): Record<string, any> =>
  Object.fromEntries(Object.values<any>(stack.resource.helm_release).map((r) => [r.name, r]));
const releaseAddress = (stack: any, name: string) =>
  `helm_release.${Object.entries<any>(stack.resource.helm_release).find(([, r]) => r.name === name)![0]}`;
const objectsOf = (release: any): any[] => parse(release.values[0]).objects;
const plansOf = (stack: any): Record<string, any> =>
  Object.fromEntries(objectsOf(releases(stack)['system-upgrade-plans']).map((p) => [p.metadata.name, p]));

describe('the system-upgrade-controller of every platform stack', () => {
  test.each(DEFAULT_ENVIRONMENT_NAMES)('%s: CRD, then controller, then Plans; each a release that plans without a cluster', (env) => {
    const stack = json[`${env}-platform`];
    const byName = releases(stack);
    const crd = byName['system-upgrade-crd'];
    expect({ repository: crd.repository, chart: crd.chart, version: crd.version }).toEqual(SYSTEM_UPGRADE_CRD_CHART);
    expect(crd.version).toBe('0.19.2');
    for (const name of ['system-upgrade-controller', 'system-upgrade-plans']) {
      expect({ repository: byName[name].repository, chart: byName[name].chart }).toEqual({
        repository: MANIFESTS_CHART.repository,
        chart: MANIFESTS_CHART.chart,
      });
    }
    expect(byName['system-upgrade-controller'].depends_on).toEqual([releaseAddress(stack, 'system-upgrade-crd')]);
    // The Plans need the CRD established and a controller to act on them.
    expect(byName['system-upgrade-plans'].depends_on).toEqual([
      releaseAddress(stack, 'system-upgrade-crd'),
      releaseAddress(stack, 'system-upgrade-controller'),
    ]);
    for (const r of [crd, byName['system-upgrade-controller'], byName['system-upgrade-plans']]) expect(r.wait).toBe(true);
  });

  test('its namespace admits privileged pods (the upgrade jobs) and is no tenant namespace, so no tenant policy selects it', () => {
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const stack = json[`${env}-platform`];
      const ns = Object.values<any>(stack.resource.kubernetes_namespace_v1).find((n) => n.metadata.name === 'system-upgrade');
      expect(ns.metadata.labels).toEqual({
        'app.kubernetes.io/part-of': 'platform',
        'pod-security.kubernetes.io/enforce': 'privileged',
        'pod-security.kubernetes.io/audit': 'privileged',
        'pod-security.kubernetes.io/warn': 'privileged',
      });
      expect(ns.metadata.labels[TENANT_LABEL]).toBeUndefined();
      const [tenantPolicy] = objectsOf(releases(stack)['tenant-guardrails']);
      expect(tenantPolicy.spec.endpointSelector).toEqual({
        matchExpressions: [{ key: `k8s:io.cilium.k8s.namespace.labels.${TENANT_LABEL}`, operator: 'Exists' }],
      });
    }
  });

  test('the controller runs the pinned release on the servers, non-root, and drains with a kubectl of the clusters’ minor', () => {
    const objects = objectsOf(releases(json['production-platform'])['system-upgrade-controller']);
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const [container] = deployment.spec.template.spec.containers;
    expect(container.image).toBe(`docker.io/rancher/system-upgrade-controller:${SYSTEM_UPGRADE.version}`);
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    const env = Object.fromEntries(container.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    expect(env.SYSTEM_UPGRADE_JOB_KUBECTL_IMAGE).toBe('docker.io/rancher/kubectl:v1.34.1');
    expect(env.SYSTEM_UPGRADE_JOB_PRIVILEGED).toBe('true');
    expect(deployment.spec.template.metadata.labels['upgrade.cattle.io/controller']).toBe('system-upgrade-controller');
    expect(deployment.spec.template.spec.tolerations).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' });
    // It may update its own CRD only.
    const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'system-upgrade-controller');
    const crdRules = role.rules.filter((r: any) => r.resources.includes('customresourcedefinitions'));
    expect(crdRules).toEqual([
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch', 'create'] },
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], resourceNames: ['plans.upgrade.cattle.io'], verbs: ['patch', 'update'] },
    ]);
  });
});

describe('the Plans', () => {
  test.each(DEFAULT_ENVIRONMENT_NAMES)('%s: servers one at a time (cordoned), then agents one at a time (drained, PDBs respected), to kubernetes.version', (env) => {
    const version = config.environments[env].kubernetes.version;
    const tag = version.replace('+', '-');
    const plans = plansOf(json[`${env}-platform`]);
    expect(Object.keys(plans)).toEqual([RKE2_SERVER_PLAN, RKE2_AGENT_PLAN]);
    const server = plans[RKE2_SERVER_PLAN];
    expect(server).toMatchObject({ apiVersion: 'upgrade.cattle.io/v1', kind: 'Plan', metadata: { namespace: 'system-upgrade' } });
    expect(server.spec).toEqual({
      concurrency: 1,
      serviceAccountName: 'system-upgrade',
      tolerations: [{ operator: 'Exists' }],
      jobActiveDeadlineSecs: 3600,
      upgrade: { image: `docker.io/rancher/rke2-upgrade:${tag}` },
      version,
      nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'In', values: ['true'] }] },
      cordon: true,
    });
    const agent = plans[RKE2_AGENT_PLAN];
    expect(agent.spec).toEqual({
      concurrency: 1,
      serviceAccountName: 'system-upgrade',
      tolerations: [{ operator: 'Exists' }],
      jobActiveDeadlineSecs: 3600,
      upgrade: { image: `docker.io/rancher/rke2-upgrade:${tag}` },
      version,
      nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] },
      // Waits until no server is being upgraded and every server's kubelet runs the version.
      prepare: { image: `docker.io/rancher/rke2-upgrade:${tag}`, args: ['prepare', RKE2_SERVER_PLAN] },
      // Evictions, which PodDisruptionBudgets can refuse; never --force, never --disable-eviction.
      drain: { force: false, deleteEmptydirData: true, ignoreDaemonSets: true, timeout: '15m' },
    });
  });

  test('conform to the Plan CRD of system-upgrade-controller v0.19.2, no field unknown to it', () => {
    const schemas = crdSchemas(crdYaml);
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      for (const plan of Object.values(plansOf(json[`${env}-platform`]))) expect(schemas.validate(plan)).toEqual([]);
    }
  });

  test('the check checks something: a misspelt, a mistyped and a missing field are refused', () => {
    const schemas = crdSchemas(crdYaml);
    const agent = plansOf(json['test-platform'])[RKE2_AGENT_PLAN];
    const typo = structuredClone(agent);
    typo.spec.drain.deleteEmptyDirData = true;
    expect(schemas.validate(typo)).toEqual(['/spec/drain: unknown field "deleteEmptyDirData"']);
    const mistyped = structuredClone(agent);
    mistyped.spec.concurrency = '1';
    expect(schemas.validate(mistyped)).toEqual(['/spec/concurrency: must be integer']);
    const noImage = structuredClone(agent);
    delete noImage.spec.upgrade.image;
    expect(schemas.validate(noImage)).toEqual(["/spec/upgrade: must have required property 'image'"]);
    expect(schemas.validate({ apiVersion: 'upgrade.cattle.io/v2', kind: 'Plan' })).toEqual([
      'upgrade.cattle.io/v2 Plan: no CRD defines it (known: upgrade.cattle.io/v1 Plan)',
    ]);
  });

  test('the vendored CRD is the pinned release’s file, byte for byte, and its chart carries the release’s version', () => {
    expect(createHash('sha256').update(crdYaml).digest('hex')).toBe(CRD_SHA256_V0_19_2);
    const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'));
    expect({ name: chart.name, version: chart.version, appVersion: chart.appVersion }).toEqual({
      name: SYSTEM_UPGRADE_CRD_CHART.chart,
      version: SYSTEM_UPGRADE_CRD_CHART.version,
      appVersion: SYSTEM_UPGRADE.version,
    });
    expect(readFileSync(join(chartDir, 'templates', 'plans.yaml'), 'utf8')).toContain('{{ .Files.Get "files/upgrade.cattle.io_plans.yaml" }}');
  });
});

describe('upgrading RKE2: a change of kubernetes.version', () => {
  const raw = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  for (const env of DEFAULT_ENVIRONMENT_NAMES) raw.environments[env].kubernetes = { version: 'v1.35.1+rke2r1' };
  const after = synthPlatform(parsePlatformConfig(stringify(raw), 'platform.yaml')).json;

  test('moves both Plans of every platform stack to the new version and its upgrade image', () => {
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      for (const plan of Object.values<any>(plansOf(after[`${env}-platform`]))) {
        expect(plan.spec.version).toBe('v1.35.1+rke2r1');
        expect(plan.spec.upgrade.image).toBe('docker.io/rancher/rke2-upgrade:v1.35.1-rke2r1');
      }
    }
  });

  /** The node's boot script (the installer of the pinned release), from its user data. */
  const bootScriptOf = (userData: string): string => {
    const file = (parse(userData).write_files as any[]).find((f) => f.path === '/usr/local/sbin/rke2-boot');
    return file.encoding === 'b64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content;
  };

  test('replaces no node: in the cluster stack only user data changes, which running instances ignore; new nodes install the new version', () => {
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const before = json[env].resource.openstack_compute_instance_v2;
      const now = after[env].resource.openstack_compute_instance_v2;
      expect(Object.keys(now)).toEqual(Object.keys(before));
      for (const [address, instance] of Object.entries<any>(now)) {
        const changed = Object.keys(instance).filter((k) => JSON.stringify(instance[k]) !== JSON.stringify(before[address][k]));
        expect(changed).toEqual(['user_data']);
        expect(instance.lifecycle.ignore_changes).toContain('user_data');
        // The version new nodes install is the one the Plans upgrade running nodes to.
        expect(bootScriptOf(instance.user_data)).toContain(`/releases/download/${encodeURIComponent('v1.35.1+rke2r1')}/`);
        expect(bootScriptOf(before[address].user_data)).toContain(
          `/releases/download/${encodeURIComponent(config.environments[env].kubernetes.version)}/`,
        );
      }
      const { openstack_compute_instance_v2: _a, ...otherBefore } = json[env].resource;
      const { openstack_compute_instance_v2: _b, ...otherAfter } = after[env].resource;
      expect(otherAfter).toEqual(otherBefore);
    }
  });
});

describe('SystemUpgrade refuses', () => {
  const stack = () => Testing.stubVersion(Testing.app()) as unknown as import('constructs').Construct;
  test.each<[string, ConstructorParameters<typeof SystemUpgrade>[2], string]>([
    ['a version that is no RKE2 release', { rke2Version: 'v1.34.3' }, 'rke2Version "v1.34.3": not an RKE2 release; pin one like v1.34.3+rke2r3'],
    [
      'a version two minors from the drain’s kubectl',
      { rke2Version: 'v1.36.0+rke2r1' },
      'rke2Version v1.36.0+rke2r1: more than one minor version away from the drain\'s kubectl (docker.io/rancher/kubectl:v1.34.1; kubectl supports one minor either way); upgrade one minor at a time and move SYSTEM_UPGRADE.kubectlImage (lib/platform/system-upgrade.ts) along',
    ],
    ['a drain timeout under a minute', { rke2Version: 'v1.34.3+rke2r3', drainTimeoutMinutes: 0 }, 'drainTimeoutMinutes 0: must be a whole number of minutes, at least 1'],
    [
      'a job deadline shorter than the drain',
      { rke2Version: 'v1.34.3+rke2r3', drainTimeoutMinutes: 15, jobDeadlineSeconds: 900 },
      'jobDeadlineSeconds 900: must leave the drain (15 min) and the upgrade 10 more minutes; use at least 1500',
    ],
  ])('%s', (_what, props, message) => {
    expect(() => new SystemUpgrade(stack(), 'SystemUpgrade', props)).toThrow(new Error(`SystemUpgrade: ${message}`));
  });
});
