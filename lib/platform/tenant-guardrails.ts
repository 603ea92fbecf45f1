import { Construct } from 'constructs';
import { NON_PUBLIC_BLOCKS, TENANT_LABEL } from '../aspects/conventions';
import { formatAddress, parseCidr } from '../net/cidr';
import type { KubernetesObject } from './helm-values';
import { ManifestsRelease } from './release';

/** The cloud metadata service (OpenStack and others). */
export const METADATA_ADDRESS = '169.254.169.254/32';
export const TENANT_GUARDRAIL_POLICY = 'tenant-guardrails';
/** The policy that keeps every pod, platform ones included, from the metadata service. */
export const METADATA_DENY_POLICY = 'metadata-service-deny';


export interface TenantGuardrailsProps {
  /** The cluster network (nodes, load balancer VIPs): environments.<env>.network.cidr. */
  readonly networkCidr: string;
  /** The service network: its first address is the Kubernetes API's ClusterIP. */
  readonly serviceCidr: string;
  /** Platform namespaces whose pods may reach tenant pods (the ingress controller, the telemetry agent). */
  readonly allowIngressFromNamespaces: readonly string[];
  /** Namespace the release record lives in (a platform namespace). */
  readonly releaseNamespace: string;
  /**
   * The Kubernetes API's public address (the API load balancer's floating IP;
   * a token is fine): public, but its listener admits the node network that
   * tenant traffic leaves from, so it is denied explicitly.
   * @default - not denied beyond the private ranges
   */
  readonly apiPublicAddress?: string;
}

/**
 * The cluster-wide half of the tenants' double network policy: one
 * CiliumClusterwideNetworkPolicy for every pod in a namespace labelled with
 * TENANT_LABEL, which alone keeps tenants apart, even if the tenant's own
 * NetworkPolicies are deleted.
 *
 * - Ingress is default-deny: only the listed platform namespaces are allowed
 *   here; the tenant's own policies may add their namespace. Pods of other
 *   tenants are never allowed by this policy, and without the tenant's policies
 *   nothing else is.
 * - Egress is default-deny too: allowed are cluster DNS and the public
 *   internet (Cilium's `world`), nothing else in the cluster.
 * - Denied whatever any policy allows (deny rules win): the private and
 *   link-local ranges (the metadata service), the node network, the nodes
 *   themselves, the Kubernetes API (its ClusterIP, its endpoints and its public
 *   address).
 *
 * A second policy denies the metadata service to every pod of the cluster,
 * platform pods included, without putting them in default-deny; host-network
 * pods are kept from it by the nodes' own rules (see the cloud-init builder's
 * metadata guard).
 *
 * Delivered through the platform-manifests chart (see ManifestsRelease): it plans
 * without a reachable cluster; Cilium's CRDs exist from the cluster's first boot.
 */
export class TenantGuardrails extends Construct {
  readonly policy: KubernetesObject;
  readonly metadataPolicy: KubernetesObject;
  readonly release: ManifestsRelease;
  /** The Kubernetes API's ClusterIP (first address of the service network), as /32. */
  readonly apiServiceAddress: string;

  constructor(scope: Construct, id: string, props: TenantGuardrailsProps) {
    super(scope, id);
    for (const [field, text] of [['networkCidr', props.networkCidr], ['serviceCidr', props.serviceCidr]] as const) {
      const parsed = parseCidr(text);
      if (typeof parsed === 'string') throw new Error(`${this.node.path}: ${field} ${JSON.stringify(text)}: ${parsed}`);
    }
    const service = parseCidr(props.serviceCidr) as Exclude<ReturnType<typeof parseCidr>, string>;
    this.apiServiceAddress = `${formatAddress(service.first + 1)}/32`;
    const tenantPods = { matchExpressions: [{ key: `k8s:io.cilium.k8s.namespace.labels.${TENANT_LABEL}`, operator: 'Exists' }] };
    this.policy = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumClusterwideNetworkPolicy',
      metadata: { name: TENANT_GUARDRAIL_POLICY },
      spec: {
        description: `Tenant isolation for every namespace labelled ${TENANT_LABEL}; managed by the platform stack`,
        endpointSelector: tenantPods,
        enableDefaultDeny: { ingress: true, egress: true },
        ingress: [
          {
            fromEndpoints: props.allowIngressFromNamespaces.map((ns) => ({ matchLabels: { 'k8s:io.kubernetes.pod.namespace': ns } })),
          },
        ],
        egress: [
          {
            toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
            toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }, { port: '53', protocol: 'TCP' }] }],
          },
          { toEntities: ['world'] },
        ],
        egressDeny: [
          {
            toCIDR: [
              // Cilium's CIDR rules match addresses outside the cluster only.
              ...NON_PUBLIC_BLOCKS,
              METADATA_ADDRESS,
              props.networkCidr,
              this.apiServiceAddress,
              ...(props.apiPublicAddress !== undefined ? [`${props.apiPublicAddress}/32`] : []),
            ],
          },
          // Nodes and the API server have identities of their own in Cilium: CIDR rules do not match them.
          { toEntities: ['host', 'remote-node', 'kube-apiserver'] },
        ],
      },
    };
    this.metadataPolicy = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumClusterwideNetworkPolicy',
      metadata: { name: METADATA_DENY_POLICY },
      spec: {
        description: 'No pod reaches the cloud metadata service (the nodes user data holds cluster secrets); managed by the platform stack',
        endpointSelector: {},
        // A deny only: selecting every pod must not put them all in default-deny.
        enableDefaultDeny: { ingress: false, egress: false },
        egressDeny: [{ toCIDR: [METADATA_ADDRESS] }],
      },
    };
    this.release = new ManifestsRelease(this, 'Policy', {
      name: TENANT_GUARDRAIL_POLICY,
      namespace: props.releaseNamespace,
      objects: [this.policy, this.metadataPolicy],
    });
  }
}
