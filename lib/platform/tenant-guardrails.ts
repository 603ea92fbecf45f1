import { Construct } from 'constructs';
import { TENANT_LABEL } from '../aspects/conventions';
import { formatAddress, parseCidr } from '../net/cidr';
import type { KubernetesObject } from './helm-values';
import { ManifestsRelease } from './release';

/** The cloud metadata service (OpenStack and others). */
export const METADATA_ADDRESS = '169.254.169.254/32';
export const TENANT_GUARDRAIL_POLICY = 'tenant-guardrails';

export interface TenantGuardrailsProps {
  /** The cluster network (nodes, load balancer VIPs): environments.<env>.network.cidr. */
  readonly networkCidr: string;
  /** The service network: its first address is the Kubernetes API's ClusterIP. */
  readonly serviceCidr: string;
  /** Platform namespaces whose pods may reach tenant pods (the ingress controller, the telemetry agent). */
  readonly allowIngressFromNamespaces: readonly string[];
  /** Namespace the release record lives in (a platform namespace). */
  readonly releaseNamespace: string;
}

/**
 * The cluster-wide half of the tenants' double network policy: one
 * CiliumClusterwideNetworkPolicy for every pod in a namespace labelled with
 * TENANT_LABEL, which holds even if the tenant's own NetworkPolicies are deleted.
 *
 * - Ingress is default-deny: only the listed platform namespaces are allowed
 *   here; the tenant's own policies may add their namespace. Pods of other
 *   tenants are never allowed by this policy, and without the tenant's policies
 *   nothing else is.
 * - Egress to the cloud metadata address, the node network, the nodes
 *   themselves and the Kubernetes API is denied. Deny rules win over any allow,
 *   so no tenant policy can reopen them.
 *
 * Delivered through the platform-manifests chart (see ManifestsRelease): it plans
 * without a reachable cluster; Cilium's CRDs exist from the cluster's first boot.
 */
export class TenantGuardrails extends Construct {
  readonly policy: KubernetesObject;
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
        enableDefaultDeny: { ingress: true, egress: false },
        ingress: [
          {
            fromEndpoints: props.allowIngressFromNamespaces.map((ns) => ({ matchLabels: { 'k8s:io.kubernetes.pod.namespace': ns } })),
          },
        ],
        egressDeny: [
          { toCIDR: [METADATA_ADDRESS, props.networkCidr, this.apiServiceAddress] },
          // Nodes and the API server have identities of their own in Cilium: CIDR rules do not match them.
          { toEntities: ['host', 'remote-node', 'kube-apiserver'] },
        ],
      },
    };
    this.release = new ManifestsRelease(this, 'Policy', {
      name: TENANT_GUARDRAIL_POLICY,
      namespace: props.releaseNamespace,
      objects: [this.policy],
    });
  }
}
