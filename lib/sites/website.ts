import { Construct } from 'constructs';
import {
  DeploymentV1,
  deploymentV1MetadataToTerraform,
  deploymentV1SpecToTerraform,
  type DeploymentV1Spec,
} from '@cdktf/provider-kubernetes/lib/deployment-v1';
import {
  HorizontalPodAutoscalerV2,
  horizontalPodAutoscalerV2MetadataToTerraform,
  horizontalPodAutoscalerV2SpecToTerraform,
} from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { IngressV1, ingressV1MetadataToTerraform, ingressV1SpecToTerraform } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import { LimitRangeV1, limitRangeV1MetadataToTerraform, limitRangeV1SpecToTerraform } from '@cdktf/provider-kubernetes/lib/limit-range-v1';
import { NamespaceV1, namespaceV1MetadataToTerraform } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import {
  NetworkPolicyV1,
  networkPolicyV1MetadataToTerraform,
  networkPolicyV1SpecToTerraform,
  type NetworkPolicyV1Spec,
} from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import {
  PodDisruptionBudgetV1,
  podDisruptionBudgetV1MetadataToTerraform,
  podDisruptionBudgetV1SpecToTerraform,
} from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import {
  ResourceQuotaV1,
  resourceQuotaV1MetadataToTerraform,
  resourceQuotaV1SpecToTerraform,
} from '@cdktf/provider-kubernetes/lib/resource-quota-v1';
import { ServiceAccountV1, serviceAccountV1MetadataToTerraform } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1, serviceV1MetadataToTerraform, serviceV1SpecToTerraform } from '@cdktf/provider-kubernetes/lib/service-v1';
import { NON_PUBLIC_BLOCKS, POD_SECURITY_LABELS, POD_SECURITY_LEVEL, TENANT_LABEL } from '../aspects/conventions';
import { DEFAULT_RUN_AS_ID, MAX_RUN_AS_ID, MIN_REPLICAS } from './catalog';
import { KubernetesObject } from './private/kubernetes-object';

/** Namespace of the ingress controller; the only source of traffic into a site. */
export const INGRESS_CONTROLLER_NAMESPACE = 'traefik';
/** IngressClass of the platform's ingress controller. */
export const INGRESS_CLASS = 'traefik';
/** cert-manager ClusterIssuer that signs the sites' certificates (Let's Encrypt). */
export const CLUSTER_ISSUER = 'letsencrypt-production';
/**
 * The ingress controller's HTTPS entry point. A site's router is bound to it
 * (with TLS), so it never answers on :80, where Traefik redirects to HTTPS.
 */
export const HTTPS_ENTRY_POINT = 'websecure';
/** Port cert-manager's ACME HTTP-01 solver pods listen on in the site's namespace. */
export const ACME_SOLVER_PORT = 8089;
/** Address blocks a site may never reach (the same in the cluster-wide layer). */
export const PRIVATE_EGRESS_BLOCKS = NON_PUBLIC_BLOCKS;

/** Name of the workload objects (deployment, service, autoscaler, ...) inside a site's namespace. */
const APP = 'website';
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface WebsiteProps {
  /** Tenant id: a DNS label, 40 characters at most. The namespace is `site-<name>`. */
  readonly name: string;
  /** Host names the site is served on, each with a Let's Encrypt certificate. */
  readonly hosts: readonly string[];
  /** Pinned container image (tag or digest). */
  readonly image: string;
  /** Port the container serves HTTP on (1024 or above: it runs as non-root). */
  readonly port: number;
  /**
   * Path the readiness, liveness and startup probes request.
   * @default '/'
   */
  readonly healthPath?: string;
  /** CPU requested per instance, in millicores. */
  readonly cpuMillis: number;
  /** Memory requested per instance, in MiB. */
  readonly memoryMiB: number;
  /**
   * CPU limit per instance, in millicores.
   * @default - twice cpuMillis
   */
  readonly cpuLimitMillis?: number;
  /**
   * Memory limit per instance, in MiB.
   * @default - memoryMiB
   */
  readonly memoryLimitMiB?: number;
  /** Most instances the autoscaler may run; it never runs fewer than two. */
  readonly maxReplicas: number;
  /** Average CPU use, in percent of the request, the autoscaler aims for. */
  readonly cpuTargetPercent: number;
  /**
   * Public blocks the site may not reach either, besides the private ranges:
   * the cluster's own API floating IP, whose load balancer admits the nodes'
   * network (and so the site's traffic, which leaves through a node).
   * @default - none
   */
  readonly deniedEgressCidrs?: readonly string[];
  /**
   * User and group the site's processes run as (the pod's runAsUser and
   * runAsGroup; the group is also its fsGroup), whatever the image declares.
   * Each from 1 to 65534.
   * @default - Website.DEFAULT_RUN_AS_USER and DEFAULT_RUN_AS_GROUP (10001)
   */
  readonly securityContext?: { readonly runAsUser?: number; readonly runAsGroup?: number };
}

/**
 * One tenant website in its own namespace, isolated and highly available:
 *
 * - the namespace carries the tenant label and enforces the `restricted` Pod
 *   Security Standard; a quota and default container resources bound it;
 * - a deployment of the pinned image as user and group 10001 (or the site's
 *   own, never root), with a read-only root file system, no service-account
 *   token, probes, spread over nodes; two instances at least, more on CPU
 *   load (autoscaling/v2), one kept through voluntary disruptions (a
 *   PodDisruptionBudget);
 * - a ClusterIP service and an ingress with a Let's Encrypt certificate,
 *   served on HTTPS only (plain HTTP is redirected by the ingress controller);
 * - network policies: everything denied, then DNS, traffic from the ingress
 *   controller on the app port, and the internet without private ranges.
 *
 * Every value is a literal (namespaces by name, not by reference): the JSON
 * depends on nothing but the props, and thousands of sites synthesize fast.
 */
export class Website extends Construct {
  /** User a site runs as unless it names another: no account on the nodes, no image's own. */
  static readonly DEFAULT_RUN_AS_USER = DEFAULT_RUN_AS_ID;
  /** Group a site runs as (and that owns its volumes) unless it names another. */
  static readonly DEFAULT_RUN_AS_GROUP = DEFAULT_RUN_AS_ID;
  /** The namespace, `site-<name>`. */
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: WebsiteProps) {
    super(scope, id);
    const name = props.name;
    const namespace = `site-${name}`;
    this.namespace = namespace;
    const cpuLimitMillis = props.cpuLimitMillis ?? 2 * props.cpuMillis;
    const memoryLimitMiB = props.memoryLimitMiB ?? props.memoryMiB;
    if (props.maxReplicas < MIN_REPLICAS) {
      throw new Error(`Website ${name}: maxReplicas must be at least ${MIN_REPLICAS}, got ${props.maxReplicas}`);
    }
    const runAsUser = props.securityContext?.runAsUser ?? Website.DEFAULT_RUN_AS_USER;
    const runAsGroup = props.securityContext?.runAsGroup ?? Website.DEFAULT_RUN_AS_GROUP;
    for (const [field, id] of [['runAsUser', runAsUser], ['runAsGroup', runAsGroup]] as const) {
      if (!Number.isInteger(id) || id < 1 || id > MAX_RUN_AS_ID) {
        throw new Error(`Website ${name}: securityContext.${field} must be a whole number from 1 to ${MAX_RUN_AS_ID}, got ${id}`);
      }
    }
    const labels = { 'app.kubernetes.io/name': APP, [TENANT_LABEL]: name };
    const metadata = { name: APP, namespace, labels };
    const port = String(props.port);
    const healthPath = props.healthPath ?? '/';

    const podSecurity: Record<string, string> = { [TENANT_LABEL]: name };
    for (const label of POD_SECURITY_LABELS) podSecurity[label] = POD_SECURITY_LEVEL;
    new KubernetesObject(this, 'Namespace', NamespaceV1.tfResourceType, {
      metadata: namespaceV1MetadataToTerraform({ name: namespace, labels: podSecurity }),
    });

    // Room for every instance the autoscaler may run, one more during a rollout
    // (maxSurge 1) and cert-manager's HTTP-01 solver pod.
    const pods = props.maxReplicas + 2;
    new KubernetesObject(this, 'Quota', ResourceQuotaV1.tfResourceType, {
      metadata: resourceQuotaV1MetadataToTerraform({ name: APP, namespace }),
      spec: resourceQuotaV1SpecToTerraform({
        hard: {
          pods: String(pods),
          'requests.cpu': `${pods * props.cpuMillis}m`,
          'requests.memory': `${pods * props.memoryMiB}Mi`,
          'limits.cpu': `${pods * cpuLimitMillis}m`,
          'limits.memory': `${pods * memoryLimitMiB}Mi`,
          services: '2',
          'services.loadbalancers': '0',
          persistentvolumeclaims: '0',
        },
      }),
    });
    // Containers that name no resources (the ACME solver's, anything added later) get the site's.
    new KubernetesObject(this, 'Limits', LimitRangeV1.tfResourceType, {
      metadata: limitRangeV1MetadataToTerraform({ name: APP, namespace }),
      spec: limitRangeV1SpecToTerraform({
        limit: [
          {
            type: 'Container',
            defaultRequest: { cpu: `${props.cpuMillis}m`, memory: `${props.memoryMiB}Mi` },
            default: { cpu: `${cpuLimitMillis}m`, memory: `${memoryLimitMiB}Mi` },
          },
        ],
      }),
    });
    new KubernetesObject(this, 'ServiceAccount', ServiceAccountV1.tfResourceType, {
      metadata: serviceAccountV1MetadataToTerraform(metadata),
      automount_service_account_token: false,
    });

    const probe = (periodSeconds: number, failureThreshold: number) => ({
      httpGet: { path: healthPath, port: 'http' },
      periodSeconds,
      failureThreshold,
      timeoutSeconds: 2,
    });
    const deployment: DeploymentV1Spec = {
      // Created with two instances; from then on the autoscaler owns the count:
      // changes are ignored (lifecycle below), and on updates the provider sends
      // the count it read back, so an apply never scales a site down.
      replicas: String(MIN_REPLICAS),
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1', maxUnavailable: '0' } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: APP,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // The image's USER is not trusted to be non-root or to differ from
          // other images'; the group also owns the pod's volumes (/tmp).
          securityContext: {
            runAsNonRoot: true,
            runAsUser: String(runAsUser),
            runAsGroup: String(runAsGroup),
            fsGroup: String(runAsGroup),
            seccompProfile: { type: 'RuntimeDefault' },
          },
          topologySpreadConstraint: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'DoNotSchedule',
              nodeTaintsPolicy: 'Honor',
              matchLabelKeys: ['pod-template-hash'],
              labelSelector: [{ matchLabels: labels }],
            },
          ],
          container: [
            {
              name: 'web',
              image: props.image,
              port: [{ name: 'http', containerPort: props.port, protocol: 'TCP' }],
              resources: {
                requests: { cpu: `${props.cpuMillis}m`, memory: `${props.memoryMiB}Mi` },
                limits: { cpu: `${cpuLimitMillis}m`, memory: `${memoryLimitMiB}Mi` },
              },
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              startupProbe: probe(2, 30),
              readinessProbe: probe(5, 3),
              livenessProbe: probe(10, 3),
              volumeMount: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volume: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    };
    new KubernetesObject(
      this,
      'Deployment',
      DeploymentV1.tfResourceType,
      { metadata: deploymentV1MetadataToTerraform(metadata), spec: deploymentV1SpecToTerraform(deployment) },
      { ignoreChanges: ['spec[0].replicas'] },
    );

    new KubernetesObject(this, 'Service', ServiceV1.tfResourceType, {
      metadata: serviceV1MetadataToTerraform(metadata),
      spec: serviceV1SpecToTerraform({
        type: 'ClusterIP',
        selector: labels,
        port: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      }),
    });
    new KubernetesObject(this, 'Ingress', IngressV1.tfResourceType, {
      metadata: ingressV1MetadataToTerraform({
        ...metadata,
        annotations: {
          'cert-manager.io/cluster-issuer': CLUSTER_ISSUER,
          'traefik.ingress.kubernetes.io/router.entrypoints': HTTPS_ENTRY_POINT,
          'traefik.ingress.kubernetes.io/router.tls': 'true',
        },
      }),
      spec: ingressV1SpecToTerraform({
        ingressClassName: INGRESS_CLASS,
        tls: [{ hosts: [...props.hosts], secretName: `${name}-tls` }],
        rule: props.hosts.map((host) => ({
          host,
          http: { path: [{ path: '/', pathType: 'Prefix', backend: { service: { name: APP, port: { name: 'http' } } } }] },
        })),
      }),
    });
    new KubernetesObject(this, 'DisruptionBudget', PodDisruptionBudgetV1.tfResourceType, {
      metadata: podDisruptionBudgetV1MetadataToTerraform(metadata),
      spec: podDisruptionBudgetV1SpecToTerraform({ minAvailable: '1', selector: { matchLabels: labels } }),
    });
    new KubernetesObject(this, 'Autoscaler', HorizontalPodAutoscalerV2.tfResourceType, {
      metadata: horizontalPodAutoscalerV2MetadataToTerraform(metadata),
      spec: horizontalPodAutoscalerV2SpecToTerraform({
        minReplicas: MIN_REPLICAS,
        maxReplicas: props.maxReplicas,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: APP },
        metric: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: props.cpuTargetPercent } },
          },
        ],
      }),
    });

    // The namespace half of the double network policy (the cluster-wide half is the platform's).
    const policy = (id: string, policyName: string, spec: NetworkPolicyV1Spec) =>
      new KubernetesObject(this, id, NetworkPolicyV1.tfResourceType, {
        metadata: networkPolicyV1MetadataToTerraform({ name: policyName, namespace }),
        spec: networkPolicyV1SpecToTerraform(spec),
      });
    policy('DefaultDeny', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policy('AllowDns', 'allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { port: '53', protocol: 'UDP' },
            { port: '53', protocol: 'TCP' },
          ],
        },
      ],
    });
    // The site's port, and the port of cert-manager's HTTP-01 solver while a certificate is issued.
    policy('AllowFromIngress', 'allow-from-ingress-controller', {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: INGRESS_CONTROLLER_NAMESPACE } } }],
          ports: [
            { port, protocol: 'TCP' },
            { port: String(ACME_SOLVER_PORT), protocol: 'TCP' },
          ],
        },
      ],
    });
    policy('AllowInternetEgress', 'allow-internet-egress', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...PRIVATE_EGRESS_BLOCKS, ...(props.deniedEgressCidrs ?? [])] } }] }],
    });
  }
}
