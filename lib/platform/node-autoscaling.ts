import { Fn, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { ClusterRoleV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import type { AgentPoolConfig } from '../config';
import {
  bootstrapSecrets,
  CLUSTER_API,
  clusterApiObjects,
  externalControlPlaneCrd,
  externalControlPlaneManagerRole,
  type AutoscaledPoolInput,
  type K8sObject,
} from './cluster-api';
import { clusterAutoscalerObjects } from './cluster-autoscaler';
import { LOCAL_CHARTS_REPOSITORY, type KubernetesObject, type PinnedChart } from './helm-values';
import { PlatformNamespace } from './namespace';
import { ManifestsRelease, PinnedRelease } from './release';

/** Namespaces of the cluster side of node autoscaling. */
export const NODE_AUTOSCALING_NAMESPACES = {
  /** The core Cluster API controller (its release's own namespace). */
  capi: 'capi-system',
  /** CAPO's controller (its release's own namespace). */
  capo: 'capo-system',
  /**
   * The cluster's Cluster API objects and the Secrets they name: CAPO reads its
   * identity Secret from the namespace of the object it provisions, CAPI the
   * `<cluster>-kubeconfig` and bootstrap Secrets from the Cluster's.
   */
  objects: 'cluster-api',
  autoscaler: 'cluster-autoscaler',
} as const;

/** charts/cluster-api-core: core-components of the pinned release (scripts/check-cluster-api.sh rebuilds it). */
export const CLUSTER_API_CORE_CHART: PinnedChart = { repository: LOCAL_CHARTS_REPOSITORY, chart: 'cluster-api-core', version: CLUSTER_API.core.version.replace(/^v/, '') };
/** charts/cluster-api-openstack: CAPO's infrastructure-components and ORC's Image CRD. */
export const CLUSTER_API_OPENSTACK_CHART: PinnedChart = {
  repository: LOCAL_CHARTS_REPOSITORY,
  chart: 'cluster-api-openstack',
  version: CLUSTER_API.openstack.version.replace(/^v/, ''),
};

/** Name of CAPO's clouds.yaml Secret, and of the entry in it. */
export const CAPO_IDENTITY_SECRET = 'capo-cloud-config';
/** The identity through which CAPI reaches its own cluster (its `<cluster>-kubeconfig`). */
export const WORKLOAD_ACCESS = 'cluster-api-workload';

/**
 * What CAPI's core controller does in the cluster it manages, through its
 * `<cluster>-kubeconfig` (sigs.k8s.io/cluster-api v1.13.6: the ClusterCache's
 * node cache and health probe `GET /`, the Machine controller's node sync,
 * drain and deletion): nothing else, and no Secrets.
 */
export const WORKLOAD_ACCESS_RULES: readonly { apiGroups?: string[]; resources?: string[]; verbs: string[]; nonResourceUrls?: string[] }[] = [
  // Node references, labels, annotations and taints kept in sync; cordon; the Node deleted with its Machine.
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch', 'update', 'delete'] },
  // The drain: which pods run on the node, their namespaces (MachineDrainRules select by them), their DaemonSets.
  { apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get'] },
  // Waiting for volumes to detach before the server is deleted.
  { apiGroups: ['storage.k8s.io'], resources: ['volumeattachments'], verbs: ['get', 'list', 'watch'] },
  // The ClusterCache's health probe.
  { nonResourceUrls: ['/'], verbs: ['get'] },
];

/** What CAPO's clouds.yaml is made of (tokens in the platform stack, real values in scripts/check-capo-cloud.ts). */
export interface CapoCloudsYamlInput {
  readonly authUrl: string;
  readonly region: string;
  readonly applicationCredentialId: string;
  /** Sensitive. */
  readonly applicationCredentialSecret: string;
}

/**
 * The content of CAPO's identity Secret (key `clouds.yaml`, entry `openstack`,
 * the `cloudName` of every identityRef): its application credential. CAPO
 * reads it with gophercloud's clientconfig (JSON is YAML).
 */
export function capoCloudsYaml(input: CapoCloudsYamlInput) {
  return {
    clouds: {
      openstack: {
        auth: { auth_url: input.authUrl, application_credential_id: input.applicationCredentialId, application_credential_secret: input.applicationCredentialSecret },
        auth_type: 'v3applicationcredential',
        region_name: input.region,
        interface: 'public',
        identity_api_version: 3,
      },
    },
  };
}

/** What the cluster stack's outputs give (tokens of the platform stack's remote state). */
export interface NodeAutoscalingCloudInput {
  readonly networkId: string;
  readonly agentsSubnetId: string;
  readonly agentsSecurityGroupId: string;
  readonly imageId: string;
  /** The API load balancer's private address. */
  readonly apiHost: string;
  readonly serverGroupId: (pool: string) => string;
  /** Sensitive. */
  readonly agentUserData: (pool: string) => string;
  readonly applicationCredentialId: string;
  /** Sensitive. */
  readonly applicationCredentialSecret: string;
  /** PEM of the cluster's server CA. */
  readonly clusterCaCertificate: string;
}

export interface NodeAutoscalingProps {
  /** The cluster's name in Cluster API, e.g. `webhost-production`. */
  readonly clusterName: string;
  /** The environment's autoscaled pools (at least one). */
  readonly pools: readonly AgentPoolConfig[];
  readonly authUrl: string;
  readonly region: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly kubernetesVersion: string;
  readonly maxPods: number;
  readonly tags: readonly string[];
  readonly cloud: NodeAutoscalingCloudInput;
  /** cert-manager, whose Certificates and CA injection the controllers' webhooks need. */
  readonly certManager: ITerraformDependable;
}

/**
 * The cluster side of node autoscaling (README, "Node autoscaling"), in an
 * environment's platform stack: the core Cluster API and CAPO controllers
 * (vendored releases), CAPO's clouds.yaml and CAPI's kubeconfig Secrets, the
 * Cluster API objects of the autoscaled pools with their bootstrap Secrets,
 * and the cluster-autoscaler. In that order: each release waits for the one
 * before (its CRDs, its webhooks).
 */
export class NodeAutoscaling extends Construct {
  readonly core: PinnedRelease;
  readonly openstack: PinnedRelease;
  /** The ExternalControlPlane CRD and the manager's access to it. */
  readonly controlPlaneCrd: ManifestsRelease;
  readonly objects: ManifestsRelease;
  readonly autoscaler: ManifestsRelease;
  readonly clusterApiObjects: readonly K8sObject[];
  readonly autoscalerObjects: readonly KubernetesObject[];
  readonly identitySecret: SecretV1;
  readonly kubeconfigSecret: SecretV1;
  readonly bootstrapSecrets: readonly SecretV1[];

  constructor(scope: Construct, id: string, props: NodeAutoscalingProps) {
    super(scope, id);
    const pools = props.pools.filter((pool): pool is AutoscaledPoolInput['pool'] => pool.autoscaling !== undefined);
    if (pools.length === 0) throw new Error(`${this.node.path}: no autoscaled pool given; create NodeAutoscaling only where a pool autoscales`);
    const { cloud } = props;
    const ns = NODE_AUTOSCALING_NAMESPACES;
    const namespace = (nsId: string, name: string) => new PlatformNamespace(this, nsId, { name, podSecurity: 'restricted' });
    const capiNs = namespace('CoreNamespace', ns.capi);
    const capoNs = namespace('OpenStackNamespace', ns.capo);
    const objectsNs = namespace('ObjectsNamespace', ns.objects);
    const autoscalerNs = namespace('AutoscalerNamespace', ns.autoscaler);

    this.core = new PinnedRelease(this, 'Core', { name: 'cluster-api-core', namespace: capiNs.name, chart: CLUSTER_API_CORE_CHART, values: {}, dependsOn: [props.certManager] });
    this.openstack = new PinnedRelease(this, 'OpenStack', {
      name: 'cluster-api-openstack',
      namespace: capoNs.name,
      chart: CLUSTER_API_OPENSTACK_CHART,
      values: {},
      dependsOn: [props.certManager, this.core.release],
    });

    this.controlPlaneCrd = new ManifestsRelease(this, 'ControlPlaneCrd', {
      name: 'cluster-api-external-control-plane',
      namespace: capiNs.name,
      objects: [externalControlPlaneCrd(), externalControlPlaneManagerRole()] as KubernetesObject[],
      dependsOn: [this.core.release],
    });

    const clusterLabel = { 'cluster.x-k8s.io/cluster-name': props.clusterName };
    // CAPO's own application credential as a clouds.yaml (JSON is YAML), built by
    // Terraform from the cluster stack's sensitive output: no literal, no Helm values.
    this.identitySecret = new SecretV1(this, 'IdentitySecret', {
      metadata: { name: CAPO_IDENTITY_SECRET, namespace: objectsNs.name, labels: { ...clusterLabel, 'clusterctl.cluster.x-k8s.io/move': 'true' } },
      type: 'Opaque',
      data: {
        'clouds.yaml': Fn.jsonencode(
          capoCloudsYaml({
            authUrl: props.authUrl,
            region: props.region,
            applicationCredentialId: cloud.applicationCredentialId,
            applicationCredentialSecret: cloud.applicationCredentialSecret,
          }),
        ),
      },
    });

    // CAPI's access to its own cluster: a service account bound to WORKLOAD_ACCESS_RULES,
    // its token in the kubeconfig CAPI reads from `<cluster>-kubeconfig` (key `value`).
    const serviceAccount = new ServiceAccountV1(this, 'WorkloadServiceAccount', {
      metadata: { name: WORKLOAD_ACCESS, namespace: objectsNs.name },
      automountServiceAccountToken: false,
    });
    new ClusterRoleV1(this, 'WorkloadClusterRole', {
      metadata: { name: WORKLOAD_ACCESS },
      rule: WORKLOAD_ACCESS_RULES.map((r) => ({ ...r, apiGroups: r.apiGroups && [...r.apiGroups], resources: r.resources && [...r.resources], verbs: [...r.verbs] })),
    });
    new ClusterRoleBindingV1(this, 'WorkloadClusterRoleBinding', {
      metadata: { name: WORKLOAD_ACCESS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: WORKLOAD_ACCESS },
      subject: [{ kind: 'ServiceAccount', name: WORKLOAD_ACCESS, namespace: ns.objects }],
    });
    const token = new SecretV1(this, 'WorkloadToken', {
      metadata: { name: `${WORKLOAD_ACCESS}-token`, namespace: objectsNs.name, annotations: { 'kubernetes.io/service-account.name': WORKLOAD_ACCESS } },
      type: 'kubernetes.io/service-account-token',
      waitForServiceAccountToken: true,
      dependsOn: [serviceAccount],
    });
    const server = Fn.join('', ['https://', cloud.apiHost, ':6443']);
    this.kubeconfigSecret = new SecretV1(this, 'Kubeconfig', {
      metadata: { name: `${props.clusterName}-kubeconfig`, namespace: objectsNs.name, labels: clusterLabel },
      type: 'cluster.x-k8s.io/secret',
      data: {
        value: Fn.jsonencode({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: props.clusterName, cluster: { server, 'certificate-authority-data': Fn.base64encode(cloud.clusterCaCertificate) } }],
          users: [{ name: WORKLOAD_ACCESS, user: { token: Fn.lookup(token.data, 'token', '') } }],
          contexts: [{ name: props.clusterName, context: { cluster: props.clusterName, user: WORKLOAD_ACCESS } }],
          'current-context': props.clusterName,
        }),
      },
    });

    const input = {
      namespace: ns.objects,
      clusterName: props.clusterName,
      apiHost: cloud.apiHost,
      podCidr: props.podCidr,
      serviceCidr: props.serviceCidr,
      networkId: cloud.networkId,
      agentsSubnetId: cloud.agentsSubnetId,
      agentsSecurityGroupId: cloud.agentsSecurityGroupId,
      imageId: cloud.imageId,
      identitySecretName: CAPO_IDENTITY_SECRET,
      tags: props.tags,
      maxPods: props.maxPods,
    };
    const poolInputs = pools.map((pool) => ({ pool, serverGroupId: cloud.serverGroupId(pool.name), userData: cloud.agentUserData(pool.name) }));
    // The bootstrap data carries the agent join token: Secrets of the kubernetes provider.
    this.bootstrapSecrets = bootstrapSecrets(input, poolInputs).map((secret, index) => {
      const s = secret as K8sObject & { metadata: { name: string; namespace: string; labels: Record<string, string> }; type: string; stringData: Record<string, string> };
      return new SecretV1(this, `Bootstrap-${pools[index].name}`, {
        metadata: { name: s.metadata.name, namespace: objectsNs.name, labels: s.metadata.labels },
        type: s.type,
        data: s.stringData,
      });
    });
    this.clusterApiObjects = clusterApiObjects(input, poolInputs);
    this.objects = new ManifestsRelease(this, 'Objects', {
      name: 'cluster-api-objects',
      namespace: objectsNs.name,
      objects: this.clusterApiObjects as KubernetesObject[],
      dependsOn: [this.core.release, this.openstack.release, this.controlPlaneCrd.release, this.identitySecret, this.kubeconfigSecret, ...this.bootstrapSecrets],
    });

    this.autoscalerObjects = clusterAutoscalerObjects({
      namespace: ns.autoscaler,
      clusterApiNamespace: ns.objects,
      clusterName: props.clusterName,
      kubernetesVersion: props.kubernetesVersion,
    });
    this.autoscaler = new ManifestsRelease(this, 'Autoscaler', {
      name: 'cluster-autoscaler',
      namespace: autoscalerNs.name,
      objects: this.autoscalerObjects,
      dependsOn: [this.objects.release],
    });
  }
}
