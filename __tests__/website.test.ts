import { Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Guardrails } from '../lib/aspects';
import { loadPlatformConfig } from '../lib/config';
import { catalogOptionsOf, loadSitesCatalog } from '../lib/sites/catalog';
import { Website, type WebsiteProps } from '../lib/sites/website';
import { synthPlatform } from './support/synth';

const config = loadPlatformConfig({}).config;

function synthSite(guarded = true, securityContext?: WebsiteProps['securityContext']): any {
  const app = Testing.app({ stackTraces: false });
  const stack = new TerraformStack(app, 'production-sites-01');
  // As the sites stacks do: the sites deployer's token (guardrail secrets-stay-put).
  new KubernetesProvider(stack, 'kubernetes', { token: new TerraformVariable(stack, 'token', { sensitive: true }).stringValue });
  new Website(stack, 'baeckerei', {
    securityContext,
    name: 'baeckerei',
    hosts: ['baeckerei.ch', 'www.baeckerei.ch'],
    image: 'docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine',
    port: 8080,
    healthPath: '/healthz',
    cpuMillis: 100,
    memoryMiB: 128,
    maxReplicas: 6,
    cpuTargetPercent: 70,
  });
  if (guarded) Guardrails.of(stack, { guardrails: config.guardrails });
  return JSON.parse(Testing.synth(stack, true));
}

const json = synthSite();
const only = (type: string): any => {
  const items = Object.values<any>(json.resource[type]);
  expect(items).toHaveLength(1);
  return items[0];
};
const ns = 'site-baeckerei';
const labels = { 'app.kubernetes.io/name': 'website', 'platform.webhost.ch/tenant': 'baeckerei' };

test('the namespace carries the tenant label and enforces the restricted Pod Security Standard', () => {
  expect(only('kubernetes_namespace_v1').metadata).toEqual({
    name: ns,
    labels: {
      'platform.webhost.ch/tenant': 'baeckerei',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    },
  });
});

test('a quota bounds the namespace: every autoscaled instance, one rollout surge and the ACME solver', () => {
  expect(only('kubernetes_resource_quota_v1')).toMatchObject({
    metadata: { name: 'website', namespace: ns },
    spec: {
      hard: {
        pods: '8',
        'requests.cpu': '800m',
        'requests.memory': '1024Mi',
        'limits.cpu': '1600m',
        'limits.memory': '1024Mi',
        services: '2',
        'services.loadbalancers': '0',
        persistentvolumeclaims: '0',
      },
    },
  });
});

test('containers without resources get the site defaults', () => {
  expect(only('kubernetes_limit_range_v1').spec).toEqual({
    limit: [{ type: 'Container', default_request: { cpu: '100m', memory: '128Mi' }, default: { cpu: '200m', memory: '128Mi' } }],
  });
});

test('the service account mounts no token, nor does the pod', () => {
  expect(only('kubernetes_service_account_v1')).toMatchObject({ automount_service_account_token: false, metadata: { namespace: ns } });
  expect(only('kubernetes_deployment_v1').spec.template.spec).toMatchObject({
    automount_service_account_token: false,
    service_account_name: 'website',
  });
});

describe('deployment', () => {
  const deployment = only('kubernetes_deployment_v1');
  const pod = deployment.spec.template.spec;
  const [container] = pod.container;

  test('starts with two instances and leaves the count to the autoscaler', () => {
    expect(deployment.spec.replicas).toBe('2');
    expect(deployment.lifecycle).toEqual({ ignore_changes: ['spec[0].replicas'] });
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rolling_update: { max_surge: '1', max_unavailable: '0' } });
    expect(deployment.spec.selector).toEqual({ match_labels: labels });
    expect(deployment.spec.template.metadata.labels).toEqual(labels);
  });

  test('runs the pinned image with its port and resources', () => {
    expect(container.image).toBe('docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine');
    expect(container.port).toEqual([{ name: 'http', container_port: 8080, protocol: 'TCP' }]);
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '128Mi' } });
  });

  test('runs restricted: non-root, no escalation, no capabilities, RuntimeDefault seccomp, read-only root', () => {
    expect(pod.security_context).toEqual({
      run_as_non_root: true,
      // Not whatever the image declares: a user and group no account on the node has; the group owns the volumes.
      run_as_user: '10001',
      run_as_group: '10001',
      fs_group: '10001',
      seccomp_profile: { type: 'RuntimeDefault' },
    });
    expect(container.security_context).toEqual({
      run_as_non_root: true,
      allow_privilege_escalation: false,
      privileged: false,
      read_only_root_filesystem: true,
      capabilities: { drop: ['ALL'] },
      seccomp_profile: { type: 'RuntimeDefault' },
    });
    expect(container.volume_mount).toEqual([{ name: 'tmp', mount_path: '/tmp' }]);
    expect(pod.volume).toEqual([{ name: 'tmp', empty_dir: { size_limit: '64Mi' } }]);
  });

  test('probes the health path for startup, readiness and liveness', () => {
    for (const probe of ['startup_probe', 'readiness_probe', 'liveness_probe']) {
      expect(container[probe].http_get).toEqual({ path: '/healthz', port: 'http' });
    }
    expect(container.startup_probe.failure_threshold * container.startup_probe.period_seconds).toBe(60);
  });

  test('spreads its instances over nodes', () => {
    expect(pod.topology_spread_constraint).toEqual([
      {
        max_skew: 1,
        topology_key: 'kubernetes.io/hostname',
        when_unsatisfiable: 'DoNotSchedule',
        node_taints_policy: 'Honor',
        match_label_keys: ['pod-template-hash'],
        label_selector: [{ match_labels: labels }],
      },
    ]);
  });
});

test('a ClusterIP service in front of the pods', () => {
  expect(only('kubernetes_service_v1').spec).toEqual({
    type: 'ClusterIP',
    selector: labels,
    port: [{ name: 'http', port: 80, target_port: 'http', protocol: 'TCP' }],
  });
});

test('the ingress serves every host through traefik, on HTTPS only, with a Let’s Encrypt certificate', () => {
  const ingress = only('kubernetes_ingress_v1');
  expect(ingress.metadata.annotations).toEqual({
    'cert-manager.io/cluster-issuer': 'letsencrypt-production',
    // Pinned to websecure: on :80 only the redirect to HTTPS (and cert-manager's solver) answer.
    'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
    'traefik.ingress.kubernetes.io/router.tls': 'true',
  });
  expect(ingress.spec.ingress_class_name).toBe('traefik');
  expect(ingress.spec.tls).toEqual([{ hosts: ['baeckerei.ch', 'www.baeckerei.ch'], secret_name: 'baeckerei-tls' }]);
  expect(ingress.spec.rule.map((r: any) => r.host)).toEqual(['baeckerei.ch', 'www.baeckerei.ch']);
  expect(ingress.spec.rule[0].http.path).toEqual([
    { path: '/', path_type: 'Prefix', backend: { service: { name: 'website', port: { name: 'http' } } } },
  ]);
});

test('one instance survives voluntary disruptions; the autoscaler runs 2 to max on CPU', () => {
  expect(only('kubernetes_pod_disruption_budget_v1').spec).toEqual({ min_available: '1', selector: { match_labels: labels } });
  expect(only('kubernetes_horizontal_pod_autoscaler_v2').spec).toEqual({
    min_replicas: 2,
    max_replicas: 6,
    scale_target_ref: { api_version: 'apps/v1', kind: 'Deployment', name: 'website' },
    metric: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', average_utilization: 70 } } }],
  });
});

describe('network policies', () => {
  const policies = Object.fromEntries(
    Object.values<any>(json.resource.kubernetes_network_policy_v1).map((p) => [p.metadata.name, p]),
  );

  test('four, all in the site namespace (by name, a literal)', () => {
    expect(Object.keys(policies).sort()).toEqual(['allow-dns', 'allow-from-ingress-controller', 'allow-internet-egress', 'default-deny']);
    for (const p of Object.values<any>(policies)) expect(p.metadata.namespace).toBe(ns);
  });

  test('default deny: empty selector, Ingress and Egress, no rules', () => {
    expect(policies['default-deny'].spec).toEqual({ pod_selector: {}, policy_types: ['Ingress', 'Egress'] });
  });

  test('DNS to kube-dns only, udp and tcp 53', () => {
    expect(policies['allow-dns'].spec.egress).toEqual([
      {
        to: [
          {
            namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            pod_selector: { match_labels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { port: '53', protocol: 'UDP' },
          { port: '53', protocol: 'TCP' },
        ],
      },
    ]);
  });

  test('ingress only from the traefik namespace, on the app port (and the ACME solver port)', () => {
    expect(policies['allow-from-ingress-controller'].spec).toEqual({
      pod_selector: {},
      policy_types: ['Ingress'],
      ingress: [
        {
          from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'traefik' } } }],
          ports: [
            { port: '8080', protocol: 'TCP' },
            { port: '8089', protocol: 'TCP' },
          ],
        },
      ],
    });
  });

  test('egress to the internet, never to private ranges or the metadata service', () => {
    expect(policies['allow-internet-egress'].spec.egress).toEqual([
      {
        to: [
          {
            ip_block: {
              cidr: '0.0.0.0/0',
              except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'],
            },
          },
        ],
      },
    ]);
  });
});

test('every name is a literal: no references in a site', () => {
  expect(JSON.stringify(json.resource)).not.toContain('${');
});

test('the guardrails pass (tenant isolation, pinned images, secrets)', () => {
  expect(() => synthSite(true)).not.toThrow();
});

test('construct ids, and so Terraform addresses, are stable', () => {
  const ids = Object.values<any>(json.resource)
    .flatMap((items) => Object.keys(items))
    .map((address) => address.replace(/^baeckerei_(\w+)_[0-9A-F]{8}$/, '$1'))
    .sort();
  expect(ids).toEqual([
    'AllowDns',
    'AllowFromIngress',
    'AllowInternetEgress',
    'Autoscaler',
    'DefaultDeny',
    'Deployment',
    'DisruptionBudget',
    'Ingress',
    'Limits',
    'Namespace',
    'Quota',
    'Service',
    'ServiceAccount',
  ]);
});

describe('the user and group a site runs as', () => {
  const podContext = (securityContext: WebsiteProps['securityContext']) =>
    Object.values<any>(synthSite(false, securityContext).resource.kubernetes_deployment_v1)[0].spec.template.spec.security_context;

  test('a site may name its image’s own user and group (nginx-unprivileged: 101)', () => {
    expect(podContext({ runAsUser: 101, runAsGroup: 101 })).toMatchObject({ run_as_non_root: true, run_as_user: '101', run_as_group: '101', fs_group: '101' });
  });

  test('either one alone; the other keeps its default', () => {
    expect(podContext({ runAsUser: 1000 })).toMatchObject({ run_as_user: '1000', run_as_group: '10001', fs_group: '10001' });
    expect(podContext({ runAsGroup: 2000 })).toMatchObject({ run_as_user: '10001', run_as_group: '2000', fs_group: '2000' });
  });

  test.each<[string, WebsiteProps['securityContext'], string]>([
    ['root', { runAsUser: 0 }, 'securityContext.runAsUser must be a whole number from 1 to 65534, got 0'],
    ['the root group', { runAsGroup: 0 }, 'securityContext.runAsGroup must be a whole number from 1 to 65534, got 0'],
    ['a fraction', { runAsUser: 10.5 }, 'securityContext.runAsUser must be a whole number from 1 to 65534, got 10.5'],
    ['an ID above 65534', { runAsGroup: 70000 }, 'securityContext.runAsGroup must be a whole number from 1 to 65534, got 70000'],
  ])('refuses %s', (_what, securityContext, message) => {
    expect(() => synthSite(false, securityContext)).toThrow(new Error(`Website baeckerei: ${message}`));
  });
});

test('fewer than two instances at most is refused', () => {
  const stack = new TerraformStack(Testing.app(), 's');
  expect(
    () =>
      new Website(stack, 'w', {
        name: 'w',
        hosts: ['w.ch'],
        image: 'docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine',
        port: 8080,
        cpuMillis: 50,
        memoryMiB: 64,
        maxReplicas: 1,
        cpuTargetPercent: 70,
      }),
  ).toThrow(/maxReplicas must be at least 2, got 1/);
});

describe('sites stacks of the example catalog', () => {
  const catalog = loadSitesCatalog(catalogOptionsOf(config), {}).catalog;
  const { json: stacks } = synthPlatform(config, catalog);
  const production = stacks['production-sites-01'];
  const testShard = stacks['test-sites-01'];

  test('authenticate as the sites deployer, read from the platform stack’s sites_access output only', () => {
    expect(production.terraform.required_providers.kubernetes).toEqual({ source: 'kubernetes', version: '2.38.0' });
    // One state read: the platform stack's, never the cluster stack's (admin, platform and S3 credentials).
    const states = Object.values<any>(production.data.terraform_remote_state);
    expect(states).toHaveLength(1);
    expect(states[0]).toMatchObject({ backend: 'local', config: { path: '../../../state/production-platform.tfstate' } });
    const [name] = Object.keys(production.data.terraform_remote_state);
    expect(production.provider.kubernetes).toEqual([
      {
        host: `\${data.terraform_remote_state.${name}.outputs.sites_access.host}`,
        cluster_ca_certificate: `\${data.terraform_remote_state.${name}.outputs.sites_access.cluster_ca_certificate}`,
        token: `\${data.terraform_remote_state.${name}.outputs.sites_access.token}`,
      },
    ]);
    expect(production.terraform.encryption.remote_state_data_sources).toBeDefined();
    expect(production.terraform.backend).toEqual({ local: { path: '../../../state/production-sites-01.tfstate' } });
  });

  test('deny every site the cluster API’s public address in its own policies too', () => {
    const [name] = Object.keys(production.data.terraform_remote_state);
    const egress = Object.values<any>(production.resource.kubernetes_network_policy_v1)
      .filter((p) => p.metadata.name === 'allow-internet-egress')
      .map((p) => p.spec.egress[0].to[0].ip_block.except);
    expect(egress).toHaveLength(12);
    for (const except of egress) {
      expect(except).toContain(`\${data.terraform_remote_state.${name}.outputs.sites_access.api_address}/32`);
    }
  });

  test('a site’s own user and group from the catalog reach its deployment', () => {
    const withUser = { ...catalog, sites: catalog.sites.map((s, i) => (i === 0 ? { ...s, securityContext: { runAsUser: 101, runAsGroup: 101 } } : s)) };
    const site = synthPlatform(config, withUser).json['production-sites-01'];
    const contexts = Object.values<any>(site.resource.kubernetes_deployment_v1).map((d) => d.spec.template.spec.security_context);
    expect(contexts[0]).toMatchObject({ run_as_user: '101', run_as_group: '101' });
    expect(contexts[1]).toMatchObject({ run_as_user: '10001', run_as_group: '10001' });
  });

  test('production holds every site, test only those that list it, under <name>.<testDomain>', () => {
    expect(Object.keys(production.resource.kubernetes_namespace_v1)).toHaveLength(12);
    const hosts = Object.values<any>(testShard.resource.kubernetes_ingress_v1).map((i) => i.spec.tls[0].hosts);
    expect(hosts).toEqual([['baeckerei-brunner.test.webhost.ch'], ['skischule-arosa.test.webhost.ch'], ['weingut-lavaux.test.webhost.ch']]);
    const [stateOfTest] = Object.values<any>(testShard.data.terraform_remote_state);
    expect(stateOfTest.config.path).toBe('../../../state/test-platform.tfstate');
  });
});
