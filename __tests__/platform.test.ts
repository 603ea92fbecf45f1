import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { parse } from 'yaml';
import { assertGuardrails, TENANT_LABEL } from '../lib/aspects';
import { environmentNames, loadPlatformConfig, type PlatformConfig } from '../lib/config';
import {
  CHARTS,
  DEFAULT_PLATFORM_LAYER_CONFIG,
  envReference,
  LOCAL_CHARTS_REPOSITORY,
  MANIFESTS_CHART,
  PlatformLayerConfigSchema,
  type PlatformLayerConfig,
  SYSTEM_UPGRADE_CRD_CHART,
} from '../lib/platform';
import { CertManager } from '../lib/platform/cert-manager';
import { IngressController, ingressProxySources } from '../lib/platform/ingress';
import { Monitoring, MONITORING_BUCKETS, type MonitoringProps } from '../lib/platform/monitoring';
import { synthPlatform } from './support/synth';

/** The default config's environments, in its order. */
const DEFAULT_ENVIRONMENT_NAMES = environmentNames(loadPlatformConfig({}).config);

const { config } = loadPlatformConfig({});

/** The whole platform from this config and platform layer, synthesized as `app.synth()` does (support/synth.ts). */
function build(platformConfig: PlatformConfig = config, layer: PlatformLayerConfig = DEFAULT_PLATFORM_LAYER_CONFIG) {
  return synthPlatform({ ...platformConfig, platformLayer: layer });
}

const { app, json } = build();
const tools = json['tools-platform'];
const production = json['production-platform'];
const testStack = json['test-platform'];

const releases = (stack: any): Record<string, any> =>
  Object.fromEntries(Object.values<any>(stack.resource.helm_release).map((r) => [r.name, r]));
const valuesOf = (release: any): any => parse(release.values[0]);
const secrets = (stack: any): Record<string, any> =>
  Object.fromEntries(Object.values<any>(stack.resource.kubernetes_secret_v1).map((s) => [s.metadata.name, s]));

describe('platform stacks', () => {
  test('one <env>-platform stack per environment, each reading only its own cluster state', () => {
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const stack = json[`${env}-platform`];
      expect(stack).toBeDefined();
      const remote = stack.data.terraform_remote_state;
      expect(Object.keys(remote)).toEqual(['ClusterState']);
      // Its own environment's cluster state, nothing else.
      expect(remote.ClusterState).toMatchObject({ backend: 'local', config: { path: `../../../state/${env}.tfstate` } });
      const host = stack.provider.kubernetes[0].host;
      expect(host).toBe('${data.terraform_remote_state.ClusterState.outputs.api_endpoint}');
      // The RBAC-bound platform certificate, never the break-glass system:masters one.
      expect(stack.provider.helm[0].kubernetes.client_key).toBe('${data.terraform_remote_state.ClusterState.outputs.platform_client_key}');
      expect(stack.provider.kubernetes[0].client_certificate).toBe(
        '${data.terraform_remote_state.ClusterState.outputs.platform_client_certificate}',
      );
      expect(stack.provider.kubernetes[0].cluster_ca_certificate).toBe(
        '${data.terraform_remote_state.ClusterState.outputs.cluster_ca_certificate}',
      );
      // The remote state is decrypted with the stack's own keys.
      expect(stack.terraform.encryption.remote_state_data_sources).toBeDefined();
    }
    // The platform reads the cluster stacks' named outputs: no generated cross-stack outputs.
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      expect(Object.keys(json[env].output).filter((name) => name.startsWith('cross-stack-output-'))).toEqual([]);
    }
  });

  test('the guardrail aspects pass on every stack', () => {
    expect(() => assertGuardrails(app)).not.toThrow();
  });

  test('releases: names, namespaces, repositories and exact versions', () => {
    const expected = (stack: any, list: [string, string, { repository: string; chart: string; version: string }][]) => {
      const byName = releases(stack);
      expect(Object.keys(byName).sort()).toEqual(list.map(([n]) => n).sort());
      for (const [name, namespace, chart] of list) {
        const r = byName[name];
        expect({ repository: r.repository, chart: r.chart, version: r.version }).toEqual(chart);
        expect(r.namespace).toContain(namespace === 'kube-system' ? 'kube-system' : `kubernetes_namespace_v1.`);
        expect(r.wait).toBe(true);
      }
    };
    const serving: [string, string, any][] = [
      ['traefik', 'traefik', CHARTS.traefik],
      ['cert-manager', 'cert-manager', CHARTS.certManager],
      ['ingress-middlewares', 'traefik', MANIFESTS_CHART],
      ['cluster-issuers', 'cert-manager', MANIFESTS_CHART],
      ['tenant-guardrails', 'kube-system', MANIFESTS_CHART],
      ['k8s-monitoring', 'telemetry', CHARTS.k8sMonitoring],
      ['system-upgrade-crd', 'system-upgrade', SYSTEM_UPGRADE_CRD_CHART],
      ['system-upgrade-controller', 'system-upgrade', MANIFESTS_CHART],
      ['system-upgrade-plans', 'system-upgrade', MANIFESTS_CHART],
    ];
    const sites: [string, string, any][] = [['sites-deployer', 'kube-system', MANIFESTS_CHART]];
    expected(production, [...serving, ...sites]);
    expected(testStack, [...serving, ...sites]);
    expected(tools, [
      ...serving,
      ['mimir', 'monitoring', CHARTS.mimir],
      ['loki', 'monitoring', CHARTS.loki],
      ['grafana', 'monitoring', CHARTS.grafana],
      ['telemetry-write-auth', 'monitoring', MANIFESTS_CHART],
    ]);
    expect(CHARTS.grafana.repository).toBe('https://grafana-community.github.io/helm-charts');
    expect(CHARTS.loki.repository).toBe('https://grafana-community.github.io/helm-charts');
    expect(CHARTS.mimir.repository).toBe('https://grafana.github.io/helm-charts');
    expect(CHARTS.k8sMonitoring.repository).toBe('https://grafana.github.io/helm-charts');
    for (const chart of Object.values(CHARTS)) expect(chart.version).toMatch(/^v?\d+\.\d+\.\d+$/);
  });

  test('platform namespaces carry the Pod Security level they need', () => {
    const levels = (stack: any) =>
      Object.fromEntries(
        Object.values<any>(stack.resource.kubernetes_namespace_v1).map((n) => [n.metadata.name, n.metadata.labels['pod-security.kubernetes.io/enforce']]),
      );
    // system-upgrade: SUC's jobs run privileged on the host (RKE2 binary swap, drain).
    expect(levels(production)).toEqual({ traefik: 'restricted', 'cert-manager': 'restricted', telemetry: 'privileged', 'system-upgrade': 'privileged' });
    expect(levels(tools)).toEqual({
      traefik: 'restricted',
      'cert-manager': 'restricted',
      telemetry: 'privileged',
      'system-upgrade': 'privileged',
      monitoring: 'baseline',
    });
    for (const ns of Object.values<any>(tools.resource.kubernetes_namespace_v1)) expect(ns.metadata.labels[TENANT_LABEL]).toBeUndefined();
  });
});

describe('Traefik', () => {
  test('NodePorts equal the config, class traefik, 2+ replicas on the agents with a PDB', () => {
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const values = valuesOf(releases(json[`${env}-platform`]).traefik);
      expect(values.service.spec.type).toBe('NodePort');
      expect(values.ports.web.nodePort).toBe(config.environments[env].ingress.httpNodePort);
      expect(values.ports.websecure.nodePort).toBe(config.environments[env].ingress.httpsNodePort);
      expect(values.ingressClass).toEqual({ enabled: true, isDefaultClass: true, name: 'traefik' });
      expect(values.deployment.replicas).toBeGreaterThanOrEqual(2);
      expect(values.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
      expect(JSON.stringify(values.affinity)).toContain('"key":"node-role.kubernetes.io/control-plane","operator":"DoesNotExist"');
    }
  });

  test('plain HTTP is redirected to HTTPS except ACME HTTP-01 challenges; websecure is the default entry point', () => {
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const { web, websecure } = valuesOf(releases(json[`${env}-platform`]).traefik).ports;
      // Chart 41 takes the redirect under ports.<name>.http (its schema refuses ports.web.redirections).
      expect(web.http.redirections).toEqual({ entryPoint: { to: 'websecure', scheme: 'https', permanent: true } });
      // No priority: the redirect keeps Traefik's own (MaxInt - 1) and beats every router on :80;
      // allowACMEByPass takes /.well-known/acme-challenge/ out of its rule, so the solver answers there.
      expect(web.http.redirections.entryPoint).not.toHaveProperty('priority');
      expect(web.allowACMEByPass).toBe(true);
      // An Ingress that names no entry point is served on HTTPS only.
      expect(websecure.asDefault).toBe(true);
      expect(web).not.toHaveProperty('asDefault');
      expect(websecure.http.tls).toEqual({ enabled: true });
    }
  });

  test('HSTS on every HTTPS response: a headers Middleware on the websecure entry point, after the chart and its CRDs', () => {
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const byName = releases(json[`${env}-platform`]);
      const { web, websecure } = valuesOf(byName.traefik).ports;
      expect(websecure.http.middlewares).toEqual(['traefik-hsts@kubernetescrd']);
      expect(web.http).not.toHaveProperty('middlewares');
      const middlewares = byName['ingress-middlewares'];
      expect(middlewares.depends_on).toEqual([expect.stringMatching(/^helm_release\.Ingress_Traefik_Release_[0-9A-F]+$/)]);
      expect(valuesOf(middlewares).objects).toEqual([
        {
          apiVersion: 'traefik.io/v1alpha1',
          kind: 'Middleware',
          metadata: { name: 'hsts', namespace: 'traefik' },
          // A year; not for subdomains nor preloaded: that commits a customer's whole domain (README, Security model).
          spec: { headers: { stsSeconds: 31536000, stsIncludeSubdomains: false, stsPreload: false } },
        },
      ]);
    }
  });

  test('custom NodePorts flow from the config', () => {
    const custom = structuredClone(config);
    (custom.environments.test.ingress as { httpNodePort: number }).httpNodePort = 31080;
    const values = valuesOf(releases(build(custom).json['test-platform']).traefik);
    expect(values.ports.web.nodePort).toBe(31080);
  });

  test('refuses a single replica and equal NodePorts', () => {
    const stack = Testing.stubVersion(Testing.app()) as unknown as import('constructs').Construct;
    expect(() => new IngressController(stack, 'One', { httpNodePort: 30080, httpsNodePort: 30443, replicas: 1 })).toThrow(/at least 2/);
    expect(() => new IngressController(stack, 'Same', { httpNodePort: 30080, httpsNodePort: 30080 })).toThrow(/must differ/);
  });

  describe('PROXY protocol from the ingress load balancer', () => {
    const traefikValues = (proxyProtocolTrustedCidrs?: string[]) => {
      let controller!: IngressController;
      Testing.synthScope((scope) => {
        controller = new IngressController(scope, 'Ingress', { httpNodePort: 30080, httpsNodePort: 30443, proxyProtocolTrustedCidrs });
      });
      return controller.values.ports;
    };

    test('both entry points believe the header only from the sources they are given', () => {
      const sources = ingressProxySources(config.environments.production);
      // Octavia's member port in the agents subnet, and the node's address in the pod range after kube-proxy's SNAT.
      expect(sources).toEqual(['10.20.16.0/20', '10.42.0.0/16']);
      const ports = traefikValues(sources);
      expect(ports.web.proxyProtocol).toEqual({ trustedIPs: sources });
      expect(ports.websecure.proxyProtocol).toEqual({ trustedIPs: sources });
    });

    test('without sources, the private ranges: the only addresses that can connect to Traefik at all', () => {
      const ports = traefikValues();
      expect(IngressController.DEFAULT_PROXY_PROTOCOL_TRUSTED_CIDRS).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']);
      expect(ports.web.proxyProtocol.trustedIPs).toEqual(IngressController.DEFAULT_PROXY_PROTOCOL_TRUSTED_CIDRS);
      expect(ports.websecure.proxyProtocol.trustedIPs).toEqual(IngressController.DEFAULT_PROXY_PROTOCOL_TRUSTED_CIDRS);
      for (const env of DEFAULT_ENVIRONMENT_NAMES) {
        const { web, websecure } = valuesOf(releases(json[`${env}-platform`]).traefik).ports;
        for (const entryPoint of [web, websecure]) {
          expect(entryPoint.proxyProtocol.trustedIPs.length).toBeGreaterThan(0);
          expect(entryPoint.proxyProtocol).not.toHaveProperty('insecure');
        }
      }
    });

    test.each<[string, string[], string]>([
      ['an empty list (the chart would not parse the header, and every request would break)', [], 'proxyProtocolTrustedCidrs []: list the sources of the ingress load balancer’s connections, e.g. ingressProxySources(cluster)'],
      ['the whole internet', ['10.20.16.0/20', '0.0.0.0/0'], 'proxyProtocolTrustedCidrs[1] "0.0.0.0/0": anyone could forge a client address; trust only the agents subnet and the pod range'],
      ['a malformed block', ['10.20.16.1/20'], 'proxyProtocolTrustedCidrs[0] "10.20.16.1/20": host bits are set; use 10.20.16.0/20'],
    ])('refuses %s', (_what, cidrs, message) => {
      const stack = Testing.stubVersion(Testing.app()) as unknown as import('constructs').Construct;
      expect(() => new IngressController(stack, 'Ingress', { httpNodePort: 30080, httpsNodePort: 30443, proxyProtocolTrustedCidrs: cidrs })).toThrow(
        new Error(`Ingress: ${message}`),
      );
    });
  });
});

describe('cert-manager', () => {
  test('chart installs its CRDs; ClusterIssuer letsencrypt-production via the local chart after cert-manager', () => {
    const byName = releases(production);
    expect(valuesOf(byName['cert-manager']).crds).toEqual({ enabled: true, keep: true });
    const issuers = byName['cluster-issuers'];
    expect(issuers.repository).toBe(LOCAL_CHARTS_REPOSITORY);
    expect(issuers.depends_on).toEqual([expect.stringMatching(/^helm_release\.CertManager_Release_[0-9A-F]+$/)]);
    const [issuer] = valuesOf(issuers).objects;
    expect(issuer).toEqual({
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: 'letsencrypt-production' },
      spec: {
        acme: {
          email: DEFAULT_PLATFORM_LAYER_CONFIG.acmeEmail,
          server: 'https://acme-v02.api.letsencrypt.org/directory',
          privateKeySecretRef: { name: 'letsencrypt-production-account-key' },
          // The solver's Ingress is the one router pinned to :80 (websecure is the default entry point).
          solvers: [
            {
              http01: {
                ingress: {
                  ingressClassName: 'traefik',
                  ingressTemplate: { metadata: { annotations: { 'traefik.ingress.kubernetes.io/router.entrypoints': 'web' } } },
                },
              },
            },
          ],
        },
      },
    });
  });
});

describe('tenant guardrails', () => {
  test('CiliumClusterwideNetworkPolicy: tenant pods, ingress only from platform namespaces, egress denies', () => {
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const [policy] = valuesOf(releases(json[`${env}-platform`])['tenant-guardrails']).objects;
      expect(policy.apiVersion).toBe('cilium.io/v2');
      expect(policy.kind).toBe('CiliumClusterwideNetworkPolicy');
      expect(policy.spec.endpointSelector).toEqual({
        matchExpressions: [{ key: `k8s:io.cilium.k8s.namespace.labels.${TENANT_LABEL}`, operator: 'Exists' }],
      });
      // Default-deny both ways: this layer alone keeps tenants apart.
      expect(policy.spec.enableDefaultDeny).toEqual({ ingress: true, egress: true });
      expect(policy.spec.ingress).toEqual([
        {
          fromEndpoints: [
            { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'traefik' } },
            { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'telemetry' } },
          ],
        },
      ]);
      // No rule of this policy admits pods of (other) tenant namespaces.
      expect(JSON.stringify(policy.spec.ingress)).not.toContain(TENANT_LABEL);
      // Egress: cluster DNS and the internet only, no other pod of the cluster.
      expect(policy.spec.egress).toEqual([
        {
          toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
          toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }, { port: '53', protocol: 'TCP' }] }],
        },
        { toEntities: ['world'] },
      ]);
      expect(policy.spec.egressDeny).toEqual([
        {
          toCIDR: [
            '10.0.0.0/8',
            '172.16.0.0/12',
            '192.168.0.0/16',
            '100.64.0.0/10',
            '169.254.0.0/16',
            '169.254.169.254/32',
            config.environments[env].network.cidr,
            '10.43.0.1/32',
            // The API's floating IP, from the cluster state.
            '${data.terraform_remote_state.ClusterState.outputs.api_address}/32',
          ],
        },
        { toEntities: ['host', 'remote-node', 'kube-apiserver'] },
      ]);
    }
  });

  test('no pod of the cluster, platform pods included, reaches the metadata service', () => {
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const [, policy] = valuesOf(releases(json[`${env}-platform`])['tenant-guardrails']).objects;
      expect(policy).toEqual({
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumClusterwideNetworkPolicy',
        metadata: { name: 'metadata-service-deny' },
        spec: {
          description: expect.any(String),
          endpointSelector: {},
          // Selecting every pod must not put them in default-deny.
          enableDefaultDeny: { ingress: false, egress: false },
          egressDeny: [{ toCIDR: ['169.254.169.254/32'] }],
        },
      });
    }
  });
});

describe('monitoring on tools', () => {
  const byName = releases(tools);
  const mimir = valuesOf(byName.mimir);
  const loki = valuesOf(byName.loki);
  const grafana = valuesOf(byName.grafana);

  test('Mimir: multi-tenant, classic architecture, S3 with path-style, keys from the environment, retention', () => {
    const c = mimir.mimir.structuredConfig;
    expect(c.multitenancy_enabled).toBe(true);
    expect(c.ingest_storage.enabled).toBe(false);
    expect(mimir.kafka.enabled).toBe(false);
    expect(mimir.minio.enabled).toBe(false);
    expect(c.common.storage.backend).toBe('s3');
    expect(c.common.storage.s3).toMatchObject({
      endpoint: 's3.pub1.infomaniak.cloud',
      region: config.cloud.region,
      bucket_lookup_type: 'path',
      access_key_id: '$${AWS_ACCESS_KEY_ID}',
      secret_access_key: '$${AWS_SECRET_ACCESS_KEY}',
    });
    for (const [section, bucket] of [['blocks_storage', 'mimir-blocks'], ['ruler_storage', 'mimir-ruler'], ['alertmanager_storage', 'mimir-alertmanager']]) {
      expect(c[section].s3.bucket_name).toBe(`webhost-tools-${bucket}`);
    }
    expect(c.limits.compactor_blocks_retention_period).toBe('2160h');
    expect(mimir.global.extraEnvFrom).toEqual([{ secretRef: { name: 'object-storage' } }]);
  });

  test('Loki: multi-tenant single binary x3, S3 path-style, keys from the environment, retention', () => {
    expect(loki.deploymentMode).toBe('SingleBinary');
    expect(loki.loki.auth_enabled).toBe(true);
    expect(loki.singleBinary.replicas).toBe(3);
    expect(loki.singleBinary.extraArgs).toEqual(['-config.expand-env=true']);
    expect(loki.singleBinary.extraEnvFrom).toEqual([{ secretRef: { name: 'object-storage' } }]);
    expect(loki.minio.enabled).toBe(false);
    expect(loki.loki.storage.s3).toMatchObject({
      endpoint: 's3.pub1.infomaniak.cloud',
      s3ForcePathStyle: true,
      accessKeyId: '$${AWS_ACCESS_KEY_ID}',
      secretAccessKey: '$${AWS_SECRET_ACCESS_KEY}',
    });
    expect(loki.loki.storage.bucketNames.chunks).toBe('webhost-tools-loki-chunks');
    expect(loki.loki.storage.bucketNames.ruler).toBe('webhost-tools-loki-ruler');
    expect(loki.loki.limits_config.retention_period).toBe('720h');
    expect(loki.loki.compactor.retention_enabled).toBe(true);
  });

  test('the S3 keys reach the cluster only as a Kubernetes secret, from the cluster stack', () => {
    const s3 = secrets(tools)['object-storage'].data;
    // The workloads' own credential, not the etcd snapshots'.
    expect(s3.AWS_ACCESS_KEY_ID).toBe('${data.terraform_remote_state.ClusterState.outputs.workload_s3_access_key}');
    expect(s3.AWS_SECRET_ACCESS_KEY).toBe('${data.terraform_remote_state.ClusterState.outputs.workload_s3_secret_key}');
    expect(json.tools.output.workload_s3_secret_key).toMatchObject({ sensitive: true });
    expect(json.tools.output.workload_s3_secret_key.value).toMatch(
      /^\$\{openstack_identity_ec2_credential_v3\.Cluster_Backups_WorkloadS3Credential_\w+\.secret\}$/,
    );
    for (const r of Object.values<any>(tools.resource.helm_release)) expect(r.values[0]).not.toContain('s3_secret_key');
    expect(envReference('AWS_ACCESS_KEY_ID')).toBe('$${AWS_ACCESS_KEY_ID}');
    expect(() => envReference('not a name')).toThrow(/not an environment variable name/);
  });

  test('Grafana: generated admin password in a secret, a Mimir and a Loki data source per tenant', () => {
    expect(grafana.admin).toEqual({ existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
    expect(secrets(tools)['grafana-admin'].data['admin-password']).toMatch(/^\$\{random_password\.Monitoring_GrafanaAdminPassword_/);
    const sources = grafana.datasources['datasources.yaml'].datasources;
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      // The default config names each environment's tenant after it.
      const tenant = env;
      for (const type of ['prometheus', 'loki']) {
        const ds = sources.find((s: any) => s.type === type && s.secureJsonData.httpHeaderValue1 === tenant);
        expect(ds).toBeDefined();
        expect(ds.jsonData.httpHeaderName1).toBe('X-Scope-OrgID');
      }
    }
    expect(sources).toHaveLength(6);
  });

  describe('Grafana access', () => {
    type Access = Pick<MonitoringProps, 'grafanaAllowedCidrs' | 'allowWorldGrafana'>;
    /** The releases of Monitoring composed as tools-platform composes it, with these access props. */
    function grafanaWith(access: Access): Record<string, any> {
      const stack = new TerraformStack(Testing.app({ stackTraces: false }), 'tools-platform');
      const ingress = new IngressController(stack, 'Ingress', { httpNodePort: 30080, httpsNodePort: 30443 });
      const certManager = new CertManager(stack, 'CertManager', { acmeEmail: 'hostmaster@webhost.ch' });
      const key = (id: string) => new TerraformVariable(stack, id, { type: 'string', sensitive: true }).stringValue;
      const { tools: hosts, tenants } = DEFAULT_PLATFORM_LAYER_CONFIG;
      new Monitoring(stack, 'Monitoring', {
        objectStorage: {
          bucketNames: Object.fromEntries(MONITORING_BUCKETS.map((b) => [b, `webhost-tools-${b}`])),
          s3EndpointHost: 's3.pub1.infomaniak.cloud',
          region: 'dc3-a',
          accessKey: key('access_key'),
          secretKey: key('secret_key'),
        },
        tenants,
        grafanaHost: hosts.grafanaHost,
        metricsHost: hosts.metricsHost,
        logsHost: hosts.logsHost,
        metricsRetentionDays: 90,
        logsRetentionDays: 30,
        ingressController: ingress.release.release,
        clusterIssuer: certManager.issuers.release,
        ...access,
      });
      return releases(JSON.parse(Testing.synth(stack)));
    }

    test('without allowed networks (the default) Grafana is not on the ingress at all: kubectl port-forward', () => {
      expect(grafana.ingress).toEqual({ enabled: false });
      expect(byName['grafana-access']).toBeUndefined();
      const alone = grafanaWith({});
      expect(valuesOf(alone.grafana).ingress).toEqual({ enabled: false });
      expect(alone['grafana-access']).toBeUndefined();
      expect(valuesOf(grafanaWith({ grafanaAllowedCidrs: [] }).grafana).ingress).toEqual({ enabled: false });
    });

    test('with allowed networks: HTTPS only, behind an IP allow-list of exactly those networks', () => {
      const published = grafanaWith({ grafanaAllowedCidrs: ['192.0.2.0/24', '198.51.100.7/32'] });
      const ingress = valuesOf(published.grafana).ingress;
      expect(ingress).toMatchObject({
        enabled: true,
        ingressClassName: 'traefik',
        hosts: ['grafana.tools.webhost.ch'],
        tls: [{ secretName: 'grafana-tls', hosts: ['grafana.tools.webhost.ch'] }],
      });
      expect(ingress.annotations).toEqual({
        'cert-manager.io/cluster-issuer': 'letsencrypt-production',
        'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
        'traefik.ingress.kubernetes.io/router.tls': 'true',
        'traefik.ingress.kubernetes.io/router.middlewares': 'monitoring-grafana-allow-list@kubernetescrd',
      });
      const access = published['grafana-access'];
      // Matched against the connection's address, which the PROXY protocol sets to the client's;
      // no ipStrategy, so an X-Forwarded-For a client sends counts for nothing.
      expect(valuesOf(access).objects).toEqual([
        {
          apiVersion: 'traefik.io/v1alpha1',
          kind: 'Middleware',
          metadata: { name: 'grafana-allow-list', namespace: 'monitoring' },
          spec: { ipAllowList: { sourceRange: ['192.0.2.0/24', '198.51.100.7/32'] } },
        },
      ]);
      // The CRD comes with Traefik; Grafana's route never exists without its allow-list.
      expect(access.depends_on).toEqual([expect.stringMatching(/^helm_release\.Ingress_Traefik_Release_[0-9A-F]+$/)]);
      expect(published.grafana.depends_on).toContainEqual(expect.stringMatching(/^helm_release\.Monitoring_GrafanaAccess_Release_[0-9A-F]+$/));
    });

    test('the whole internet only with allowWorldGrafana', () => {
      expect(() => grafanaWith({ grafanaAllowedCidrs: ['192.0.2.0/24', '0.0.0.0/0'] })).toThrow(
        new Error(
          'tools-platform/Monitoring: grafanaAllowedCidrs ["192.0.2.0/24","0.0.0.0/0"]: opens Grafana to the whole internet; list the networks that need it, or set allowWorldGrafana: true to accept the risk',
        ),
      );
      const open = grafanaWith({ grafanaAllowedCidrs: ['0.0.0.0/0'], allowWorldGrafana: true });
      expect(valuesOf(open['grafana-access']).objects[0].spec.ipAllowList.sourceRange).toEqual(['0.0.0.0/0']);
    });

    test.each<[string, string[], string]>([
      ['a malformed block', ['192.0.2.1/24'], 'grafanaAllowedCidrs[0] "192.0.2.1/24": host bits are set; use 192.0.2.0/24'],
      ['a block listed twice', ['192.0.2.0/24', '192.0.2.0/24'], 'grafanaAllowedCidrs[1] "192.0.2.0/24": listed twice (also at index 0); remove one'],
    ])('refuses %s', (_what, cidrs, message) => {
      expect(() => grafanaWith({ grafanaAllowedCidrs: cidrs })).toThrow(new Error(`tools-platform/Monitoring: ${message}`));
    });
  });

  test('write paths: basic auth per tenant, the tenant header set from the user, stable htpasswd', () => {
    const [middleware] = valuesOf(byName['telemetry-write-auth']).objects;
    expect(middleware).toEqual({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'Middleware',
      metadata: { name: 'telemetry-basic-auth', namespace: 'monitoring' },
      spec: { basicAuth: { secret: 'telemetry-htpasswd', headerField: 'X-Scope-OrgID', removeHeader: true } },
    });
    const users: string = secrets(tools)['telemetry-htpasswd'].data.users;
    expect(users.split('\n')).toEqual(
      DEFAULT_ENVIRONMENT_NAMES.map((env) => expect.stringMatching(new RegExp(`^${env}:\\$\\{random_password\\.Monitoring_TelemetryPassword-${env}_[0-9A-F]+\\.bcrypt_hash\\}$`))),
    );
    expect(users).not.toContain('bcrypt(');
    const ingresses = Object.values<any>(tools.resource.kubernetes_ingress_v1);
    const byHost = Object.fromEntries(ingresses.map((i) => [i.spec.rule[0].host, i]));
    const { metricsHost, logsHost } = DEFAULT_PLATFORM_LAYER_CONFIG.tools;
    expect(byHost[metricsHost].spec.rule[0].http.path[0]).toMatchObject({ path: '/api/v1/push', backend: { service: { name: 'mimir-distributor' } } });
    expect(byHost[logsHost].spec.rule[0].http.path[0]).toMatchObject({ path: '/loki/api/v1/push', backend: { service: { name: 'loki' } } });
    for (const i of ingresses) {
      expect(i.spec.ingress_class_name).toBe('traefik');
      expect(i.metadata.annotations['traefik.ingress.kubernetes.io/router.entrypoints']).toBe('websecure');
      expect(i.metadata.annotations['traefik.ingress.kubernetes.io/router.tls']).toBe('true');
      expect(i.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBe('monitoring-telemetry-basic-auth@kubernetescrd');
      expect(i.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt-production');
    }
    for (const env of ['production', 'test']) {
      expect(tools.output[`telemetry_password_${env}`]).toMatchObject({ sensitive: true, value: expect.stringContaining(`random_password.Monitoring_TelemetryPassword-${env}_`) });
    }
  });
});

describe('telemetry agent', () => {
  test('each cluster pushes with its own tenant id to the configured tools URLs, credentials from a secret', () => {
    const { metricsHost, logsHost } = DEFAULT_PLATFORM_LAYER_CONFIG.tools;
    for (const env of DEFAULT_ENVIRONMENT_NAMES) {
      const stack = json[`${env}-platform`];
      const values = valuesOf(releases(stack)['k8s-monitoring']);
      const tenant = env;
      expect(values.cluster.name).toBe(env);
      expect(values.destinations.map((d: any) => [d.type, d.url, d.tenantId])).toEqual([
        ['prometheus', `https://${metricsHost}/api/v1/push`, tenant],
        ['loki', `https://${logsHost}/loki/api/v1/push`, tenant],
      ]);
      for (const d of values.destinations) {
        expect(d.auth).toEqual({ type: 'basic', usernameKey: 'username', passwordKey: 'password' });
        expect(d.secret).toEqual({ create: false, name: 'telemetry-credentials', namespace: 'telemetry' });
      }
      expect(values.clusterMetrics.enabled && values.clusterEvents.enabled && values.podLogs.enabled).toBe(true);
      const creds = secrets(stack)['telemetry-credentials'].data;
      expect(creds.username).toBe(tenant);
      expect(creds.password).toEqual(
        env === 'tools' ? expect.stringMatching(/^\$\{random_password\.Monitoring_TelemetryPassword-tools_/) : '${var.telemetry_password}',
      );
    }
    for (const stack of [production, testStack]) {
      expect(stack.variable.telemetry_password).toMatchObject({ sensitive: true, type: 'string' });
      // Nothing from tools' state: only the own cluster's remote state.
      expect(JSON.stringify(stack)).not.toContain('cross-stack-reference-input-tools');
    }
  });

  test('tenant ids and tools URLs come from the config fragment', () => {
    const layer = PlatformLayerConfigSchema.parse({ tenants: { production: 'prod' }, tools: { metricsHost: 'm.example.ch' }, retention: { metricsDays: 30 } });
    const built = build(config, layer).json;
    const values = valuesOf(releases(built['production-platform'])['k8s-monitoring']);
    expect(values.destinations[0]).toMatchObject({ url: 'https://m.example.ch/api/v1/push', tenantId: 'prod' });
    expect(valuesOf(releases(built['tools-platform']).mimir).mimir.structuredConfig.limits.compactor_blocks_retention_period).toBe('720h');
  });
});

describe('config fragment', () => {
  test('defaults', () => {
    expect(DEFAULT_PLATFORM_LAYER_CONFIG).toEqual({
      acmeEmail: 'hostmaster@webhost.ch',
      tools: {
        grafanaHost: 'grafana.tools.webhost.ch',
        grafanaAllowedCidrs: [],
        allowWorldGrafana: false,
        metricsHost: 'metrics.tools.webhost.ch',
        logsHost: 'logs.tools.webhost.ch',
      },
      // Each environment's tenant defaults to its name (tenantOf); none is listed.
      tenants: {},
      retention: { metricsDays: 90, logsDays: 30 },
      ingress: { replicas: 2 },
    });
  });

  test.each([
    [{ acmeEmail: 'nope' }, /acmeEmail/],
    [{ tenants: { production: 'Tools' } }, /lower-case letters/],
    [{ tools: { metricsHost: 'logs.tools.webhost.ch' } }, /three different host names/],
    [{ retention: { logsDays: 0 } }, /at least 1 day/],
    [{ ingress: { replicas: 1 } }, /at least 2/],
    [{ tools: { grafanaAllowedCidrs: ['0.0.0.0/0'] } }, /opens Grafana to the whole internet/],
    [{ tools: { grafanaAllowedCidrs: ['192.0.2.0/24', '192.0.2.0/24'] } }, /listed twice/],
  ])('rejects %j', (input, message) => {
    const result = PlatformLayerConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });
});

describe('no secret literals', () => {
  test('secrets in the JSON are references to resources, variables or other states only', () => {
    for (const stack of [tools, production, testStack]) {
      for (const secret of Object.values<any>(stack.resource.kubernetes_secret_v1)) {
        for (const [key, value] of Object.entries<string>(secret.data ?? {})) {
          if (/password|secret|users/i.test(key)) expect(value).toContain('${');
        }
      }
      const text = JSON.stringify(stack.resource.helm_release);
      expect(text).not.toMatch(/password:\s*[^\s$]/i);
    }
  });
});

describe('platform-manifests chart', () => {
  const dir = join(__dirname, '..', 'charts', 'platform-manifests');

  test('its Chart.yaml version is the pinned one', () => {
    const chart = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8'));
    expect({ name: chart.name, version: chart.version }).toEqual({ name: MANIFESTS_CHART.chart, version: MANIFESTS_CHART.version });
    expect(LOCAL_CHARTS_REPOSITORY).toBe('../../../charts');
  });

  test('the template renders each object as its own document', () => {
    // No helm binary here: check the template's shape (rendered for real with helm template, see README).
    const template = readFileSync(join(dir, 'templates', 'objects.yaml'), 'utf8');
    expect(template).toContain('{{- range $index, $object := .Values.objects }}');
    expect(template).toContain('{{ toYaml $object }}');
    expect(template).toMatch(/fail .*needs apiVersion, kind and metadata/);
    expect(parse(readFileSync(join(dir, 'values.yaml'), 'utf8'))).toEqual({ objects: [] });
  });
});

describe('the platform stacks pass the config on (stacks/ wiring)', () => {
  test.each(DEFAULT_ENVIRONMENT_NAMES)('%s: Traefik believes the PROXY header from its cluster’s agents subnet and pod range only', (env) => {
    const traefik = valuesOf(releases(json[`${env}-platform`]).traefik);
    const expected = [config.environments[env].network.agentsSubnetCidr, config.environments[env].kubernetes.podCidr];
    expect(traefik.ports.web.proxyProtocol).toEqual({ trustedIPs: expected });
    expect(traefik.ports.websecure.proxyProtocol).toEqual({ trustedIPs: expected });
  });

  test('Grafana is published for the configured networks, and only when some are listed', () => {
    expect(tools.resource.kubernetes_ingress_v1 ? Object.values<any>(tools.resource.kubernetes_ingress_v1).map((i) => i.metadata.name) : []).not.toContain('grafana');
    expect(valuesOf(releases(tools).grafana).ingress?.enabled ?? false).toBe(false);
    const layer = { ...DEFAULT_PLATFORM_LAYER_CONFIG, tools: { ...DEFAULT_PLATFORM_LAYER_CONFIG.tools, grafanaAllowedCidrs: ['198.51.100.0/24'] } };
    const published = build(config, layer).json['tools-platform'];
    expect(valuesOf(releases(published).grafana).ingress.enabled).toBe(true);
    expect(JSON.stringify(published.resource.helm_release)).toContain('198.51.100.0/24');
  });
});
