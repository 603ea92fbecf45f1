import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Password } from '@cdktf/provider-random/lib/password';
import type { EnvironmentName } from '../config/environments';
import { admitsTheWholeInternet, parseAllowList } from './allow-list';
import { CLUSTER_ISSUER } from './cert-manager';
import { CHARTS, envReference, type KubernetesObject } from './helm-values';
import { HTTPS_ONLY_ANNOTATIONS, INGRESS_CLASS } from './ingress';
import { PlatformNamespace } from './namespace';
import { ManifestsRelease, PinnedRelease } from './release';

export const MONITORING_NAMESPACE = 'monitoring';
/** Containers of the tools cluster the suite keeps its data in (environments.tools.objectStorage.containers). */
export const MONITORING_BUCKETS = ['mimir-blocks', 'mimir-ruler', 'mimir-alertmanager', 'loki-chunks', 'loki-ruler'] as const;
/** Secret with the S3 keys, read by Mimir and Loki as environment variables. */
export const OBJECT_STORAGE_SECRET = 'object-storage';
export const GRAFANA_ADMIN_SECRET = 'grafana-admin';
/** Secret with one htpasswd line per tenant (key `users`), read by the write paths' basic-auth middleware. */
export const WRITE_PATH_HTPASSWD_SECRET = 'telemetry-htpasswd';
export const WRITE_PATH_MIDDLEWARE = 'telemetry-basic-auth';
/** Traefik ipAllowList Middleware on Grafana's route: the networks of grafanaAllowedCidrs. */
export const GRAFANA_ALLOW_LIST_MIDDLEWARE = 'grafana-allow-list';
/** The header Mimir and Loki take the tenant from. */
export const TENANT_HEADER = 'X-Scope-OrgID';
/** Loki's schema v13 (TSDB) applies from this day on. */
export const LOKI_SCHEMA_FROM = '2025-01-01';

/** The tools cluster's object storage: BackupBucket's fields (cross-stack references in a platform stack). */
export interface ObjectStorageAccess {
  readonly bucketNames: Readonly<Record<string, string>>;
  readonly s3EndpointHost: string;
  readonly region: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

export interface MonitoringProps {
  readonly objectStorage: ObjectStorageAccess;
  /** Tenant id of each cluster, by environment, in the config's order (one write-path user and two data sources each). */
  readonly tenants: Readonly<Record<EnvironmentName, string>>;
  /** The environment whose metrics Grafana opens by default (the first protected sites environment: production). */
  readonly defaultEnvironment?: EnvironmentName;
  readonly grafanaHost: string;
  /**
   * Networks that reach Grafana through the ingress (platformLayer.tools.grafanaAllowedCidrs):
   * a Traefik ipAllowList on its route, matched against the client's address
   * (which the ingress load balancer's PROXY protocol carries). Empty: Grafana
   * gets no Ingress at all; reach it with `kubectl port-forward`.
   * @default [] - not on the ingress
   */
  readonly grafanaAllowedCidrs?: readonly string[];
  /**
   * Accept grafanaAllowedCidrs that let the whole internet in.
   * @default false
   */
  readonly allowWorldGrafana?: boolean;
  /** Public host of the Mimir write path. */
  readonly metricsHost: string;
  /** Public host of the Loki write path. */
  readonly logsHost: string;
  readonly metricsRetentionDays: number;
  readonly logsRetentionDays: number;
  /** The ingress controller's release: its CRDs (Middleware) must exist first. */
  readonly ingressController: ITerraformDependable;
  /** The ClusterIssuer's release: certificates are requested from it. */
  readonly clusterIssuer: ITerraformDependable;
}

/** Mimir's in-cluster services (release `mimir`). */
const MIMIR_QUERY_URL = `http://mimir-query-frontend.${MONITORING_NAMESPACE}.svc:8080/prometheus`;
const MIMIR_WRITE_SERVICE = { name: 'mimir-distributor', port: 8080 };
/** Loki's single-binary service (release `loki`). */
const LOKI_URL = `http://loki.${MONITORING_NAMESPACE}.svc:3100`;
const LOKI_SERVICE = { name: 'loki', port: 3100 };

/**
 * The monitoring suite of all three clusters, on tools: Mimir (metrics) and Loki
 * (logs), both multi-tenant with one tenant per cluster and their long-term data
 * in the tools cluster's object storage, and Grafana with a Mimir and a Loki data
 * source per tenant. Grafana is on the ingress only for the networks in
 * grafanaAllowedCidrs (none by default).
 *
 * The write paths (https://<metricsHost>/api/v1/push, https://<logsHost>/loki/api/v1/push)
 * are exposed through Traefik behind basic auth: the user name is the tenant id,
 * the password a random_password per tenant, and the middleware writes the
 * authenticated user into X-Scope-OrgID, replacing whatever the client sent, so
 * a cluster can only ever write as its own tenant.
 */
export class Monitoring extends Construct {
  readonly namespace: PlatformNamespace;
  /** Write-path password of each cluster's tenant. */
  readonly tenantPasswords: Readonly<Record<EnvironmentName, Password>>;
  readonly grafanaAdminPassword: Password;
  readonly objectStorageSecret: SecretV1;
  readonly htpasswdSecret: SecretV1;
  readonly mimir: PinnedRelease;
  readonly loki: PinnedRelease;
  readonly grafana: PinnedRelease;
  readonly writePathAuth: ManifestsRelease;
  /** Grafana's ipAllowList Middleware; undefined when Grafana is not on the ingress. */
  readonly grafanaAccess?: ManifestsRelease;
  readonly metricsWritePath: IngressV1;
  readonly logsWritePath: IngressV1;
  readonly mimirValues: object;
  readonly lokiValues: object;
  readonly grafanaValues: object;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { objectStorage: s3, tenants } = props;
    const missing = MONITORING_BUCKETS.filter((b) => !(b in s3.bucketNames));
    if (missing.length > 0) {
      throw new Error(
        `${this.node.path}: the tools cluster has no container ${missing.join(', ')}; add them to environments.tools.objectStorage.containers`,
      );
    }
    const bucket = (name: (typeof MONITORING_BUCKETS)[number]) => s3.bucketNames[name];
    const grafanaAllowedCidrs = [...(props.grafanaAllowedCidrs ?? [])];
    const allowList = parseAllowList(grafanaAllowedCidrs);
    const [problem] = allowList.problems;
    if (problem) {
      const at = `grafanaAllowedCidrs[${problem.index}] ${JSON.stringify(grafanaAllowedCidrs[problem.index])}`;
      throw new Error(`${this.node.path}: ${at}: ${problem.message}`);
    }
    if (admitsTheWholeInternet(allowList.blocks) && !props.allowWorldGrafana) {
      throw new Error(
        `${this.node.path}: grafanaAllowedCidrs ${JSON.stringify(grafanaAllowedCidrs)}: opens Grafana to the whole internet; list the networks that need it, or set allowWorldGrafana: true to accept the risk`,
      );
    }

    // The charts' own pods are restricted-ready; Grafana's and Loki's sidecars are
    // not all, so baseline is enforced and restricted only reported.
    this.namespace = new PlatformNamespace(this, 'Namespace', {
      name: MONITORING_NAMESPACE,
      podSecurity: 'baseline',
      podSecurityWarn: 'restricted',
    });
    const namespace = this.namespace.name;

    this.objectStorageSecret = new SecretV1(this, 'ObjectStorageSecret', {
      metadata: { name: OBJECT_STORAGE_SECRET, namespace },
      data: { AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey },
    });
    const s3EnvFrom = [{ secretRef: { name: OBJECT_STORAGE_SECRET } }];

    // --- Mimir: classic architecture (no Kafka), object storage only ---
    this.mimirValues = {
      mimir: {
        structuredConfig: {
          multitenancy_enabled: true,
          common: {
            storage: {
              backend: 's3',
              s3: {
                endpoint: s3.s3EndpointHost,
                region: s3.region,
                bucket_lookup_type: 'path',
                // Expanded by Mimir (the chart starts every component with -config.expand-env=true).
                access_key_id: envReference('AWS_ACCESS_KEY_ID'),
                secret_access_key: envReference('AWS_SECRET_ACCESS_KEY'),
              },
            },
          },
          blocks_storage: { s3: { bucket_name: bucket('mimir-blocks') } },
          ruler_storage: { s3: { bucket_name: bucket('mimir-ruler') } },
          alertmanager_storage: { s3: { bucket_name: bucket('mimir-alertmanager') } },
          limits: { compactor_blocks_retention_period: `${props.metricsRetentionDays * 24}h` },
          // Ingest storage needs a production Kafka; the chart's bundled one is a demo.
          ingest_storage: { enabled: false },
          ingester: { push_grpc_method_enabled: true },
        },
      },
      global: { extraEnvFrom: s3EnvFrom },
      kafka: { enabled: false },
      minio: { enabled: false },
      rollout_operator: { enabled: false },
      gateway: { enabledNonEnterprise: false },
      ingester: { replicas: 3, zoneAwareReplication: { enabled: false }, persistentVolume: { size: '20Gi' } },
      store_gateway: { replicas: 2, zoneAwareReplication: { enabled: false } },
      alertmanager: { replicas: 1 },
    };
    this.mimir = new PinnedRelease(this, 'Mimir', {
      name: 'mimir',
      namespace,
      chart: CHARTS.mimir,
      values: this.mimirValues,
      dependsOn: [this.objectStorageSecret],
      timeoutSeconds: 900,
    });

    // --- Loki: single binary, 3 replicas, object storage ---
    this.lokiValues = {
      deploymentMode: 'SingleBinary',
      loki: {
        auth_enabled: true,
        commonConfig: { replication_factor: 3 },
        schemaConfig: {
          configs: [
            { from: LOKI_SCHEMA_FROM, store: 'tsdb', object_store: 's3', schema: 'v13', index: { prefix: 'loki_index_', period: '24h' } },
          ],
        },
        storage: {
          type: 's3',
          bucketNames: { chunks: bucket('loki-chunks'), ruler: bucket('loki-ruler'), admin: bucket('loki-chunks') },
          s3: {
            endpoint: s3.s3EndpointHost,
            region: s3.region,
            accessKeyId: envReference('AWS_ACCESS_KEY_ID'),
            secretAccessKey: envReference('AWS_SECRET_ACCESS_KEY'),
            s3ForcePathStyle: true,
            insecure: false,
          },
        },
        limits_config: { retention_period: `${props.logsRetentionDays * 24}h` },
        compactor: { retention_enabled: true, delete_request_store: 's3' },
      },
      singleBinary: {
        replicas: 3,
        extraArgs: ['-config.expand-env=true'],
        extraEnvFrom: s3EnvFrom,
        persistence: { enabled: true, size: '20Gi' },
      },
      read: { replicas: 0 },
      write: { replicas: 0 },
      backend: { replicas: 0 },
      minio: { enabled: false },
      gateway: { enabled: false },
      chunksCache: { enabled: false },
      resultsCache: { enabled: false },
      lokiCanary: { enabled: false },
      test: { enabled: false },
    };
    this.loki = new PinnedRelease(this, 'Loki', {
      name: 'loki',
      namespace,
      chart: CHARTS.loki,
      values: this.lokiValues,
      dependsOn: [this.objectStorageSecret],
      timeoutSeconds: 900,
    });

    // --- write paths: basic auth per tenant, tenant header set from the user ---
    const password = (id: string) => new Password(this, id, { length: 32, special: false });
    const environments = Object.keys(tenants);
    this.tenantPasswords = Object.fromEntries(environments.map((env) => [env, password(`TelemetryPassword-${env}`)]));
    // random_password's bcrypt_hash is computed once and kept in the state, so the
    // htpasswd secret is stable (Terraform's bcrypt() would change on every plan).
    this.htpasswdSecret = new SecretV1(this, 'WritePathHtpasswd', {
      metadata: { name: WRITE_PATH_HTPASSWD_SECRET, namespace },
      data: { users: environments.map((env) => `${tenants[env]}:${this.tenantPasswords[env].bcryptHash}`).join('\n') },
    });
    const middleware: KubernetesObject = {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'Middleware',
      metadata: { name: WRITE_PATH_MIDDLEWARE, namespace: MONITORING_NAMESPACE },
      spec: { basicAuth: { secret: WRITE_PATH_HTPASSWD_SECRET, headerField: TENANT_HEADER, removeHeader: true } },
    };
    this.writePathAuth = new ManifestsRelease(this, 'WritePathAuth', {
      name: 'telemetry-write-auth',
      namespace,
      objects: [middleware],
      dependsOn: [props.ingressController, this.htpasswdSecret],
    });
    const writePath = (id: string, host: string, path: string, service: { name: string; port: number }) =>
      new IngressV1(this, id, {
        metadata: {
          name: `${service.name}-write`,
          namespace,
          annotations: {
            'cert-manager.io/cluster-issuer': CLUSTER_ISSUER,
            ...HTTPS_ONLY_ANNOTATIONS,
            'traefik.ingress.kubernetes.io/router.middlewares': `${MONITORING_NAMESPACE}-${WRITE_PATH_MIDDLEWARE}@kubernetescrd`,
          },
        },
        spec: {
          ingressClassName: INGRESS_CLASS,
          tls: [{ hosts: [host], secretName: `${service.name}-write-tls` }],
          rule: [
            {
              host,
              http: { path: [{ path, pathType: 'Exact', backend: { service: { name: service.name, port: { number: service.port } } } }] },
            },
          ],
        },
        dependsOn: [this.writePathAuth.release, props.clusterIssuer],
      });
    this.metricsWritePath = writePath('MetricsWritePath', props.metricsHost, '/api/v1/push', MIMIR_WRITE_SERVICE);
    this.logsWritePath = writePath('LogsWritePath', props.logsHost, '/loki/api/v1/push', LOKI_SERVICE);

    // --- Grafana: a Mimir and a Loki data source per tenant ---
    this.grafanaAdminPassword = password('GrafanaAdminPassword');
    const adminSecret = new SecretV1(this, 'GrafanaAdmin', {
      metadata: { name: GRAFANA_ADMIN_SECRET, namespace },
      data: { 'admin-user': 'admin', 'admin-password': this.grafanaAdminPassword.result },
    });
    const tenantHeader = (tenant: string) => ({
      jsonData: { httpHeaderName1: TENANT_HEADER },
      secureJsonData: { httpHeaderValue1: tenant },
    });
    const datasources = environments.flatMap((env) => [
      {
        name: `Mimir ${env}`,
        uid: `mimir-${tenants[env]}`,
        type: 'prometheus',
        access: 'proxy',
        url: MIMIR_QUERY_URL,
        isDefault: env === props.defaultEnvironment,
        ...tenantHeader(tenants[env]),
      },
      { name: `Loki ${env}`, uid: `loki-${tenants[env]}`, type: 'loki', access: 'proxy', url: LOKI_URL, ...tenantHeader(tenants[env]) },
    ]);
    // Grafana holds every tenant's data behind one login: it is on the ingress
    // only for the networks listed, through an allow-list on its route (on
    // HTTPS only; its certificate's HTTP-01 challenge is answered on :80 by
    // cert-manager's solver, which the allow-list does not cover).
    let ingress: object = { enabled: false };
    if (grafanaAllowedCidrs.length > 0) {
      const allowListMiddleware: KubernetesObject = {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'Middleware',
        metadata: { name: GRAFANA_ALLOW_LIST_MIDDLEWARE, namespace: MONITORING_NAMESPACE },
        // No ipStrategy: the connection's address is matched, not X-Forwarded-For.
        spec: { ipAllowList: { sourceRange: grafanaAllowedCidrs } },
      };
      this.grafanaAccess = new ManifestsRelease(this, 'GrafanaAccess', {
        name: 'grafana-access',
        namespace,
        objects: [allowListMiddleware],
        dependsOn: [props.ingressController],
      });
      ingress = {
        enabled: true,
        ingressClassName: INGRESS_CLASS,
        annotations: {
          'cert-manager.io/cluster-issuer': CLUSTER_ISSUER,
          ...HTTPS_ONLY_ANNOTATIONS,
          'traefik.ingress.kubernetes.io/router.middlewares': `${MONITORING_NAMESPACE}-${GRAFANA_ALLOW_LIST_MIDDLEWARE}@kubernetescrd`,
        },
        hosts: [props.grafanaHost],
        tls: [{ secretName: 'grafana-tls', hosts: [props.grafanaHost] }],
      };
    }
    this.grafanaValues = {
      admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: 'admin-user', passwordKey: 'admin-password' },
      persistence: { enabled: true, size: '10Gi' },
      initChownData: { enabled: false },
      ingress,
      datasources: { 'datasources.yaml': { apiVersion: 1, datasources } },
    };
    this.grafana = new PinnedRelease(this, 'Grafana', {
      name: 'grafana',
      namespace,
      chart: CHARTS.grafana,
      values: this.grafanaValues,
      // The allow-list first: Grafana's route never exists without it.
      dependsOn: [adminSecret, props.clusterIssuer, ...(this.grafanaAccess ? [this.grafanaAccess.release] : [])],
    });
  }
}
