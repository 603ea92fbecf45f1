import { FLAVOR_PATTERN, type AgentPoolConfig } from '../config';

/**
 * The Cluster API objects through which a cluster grows its own autoscaled
 * agent pools (README, "Node autoscaling"): core Cluster API (pinned below)
 * with the OpenStack provider (CAPO), scaled by the upstream cluster-autoscaler
 * with `--cloud-provider=clusterapi`.
 *
 * Deployed by the platform stack of an environment with an autoscaled pool
 * (lib/platform/node-autoscaling.ts) and validated against the CRDs of the
 * pinned modules by scripts/check-cluster-api.sh. Everything CAPO would
 * otherwise create (network, subnets, security groups, load balancer, bastion)
 * is the cluster stack's and named by id, and each autoscaled pool's machines
 * are its Terraform agents' twins.
 */

/** Pinned releases whose CRDs the objects are checked against (Go modules; see scripts/check-cluster-api.sh). */
export const CLUSTER_API = {
  /** Its release image: registry.k8s.io/cluster-api (the Makefile's PROD_REGISTRY), named cluster-api-controller in config/default. */
  core: { module: 'sigs.k8s.io/cluster-api', version: 'v1.13.6', image: 'registry.k8s.io/cluster-api/cluster-api-controller:v1.13.6' },
  /** Not in sum.golang.org (404): fetched with GONOSUMDB and checked against this hash instead. */
  openstack: {
    module: 'sigs.k8s.io/cluster-api-provider-openstack',
    version: 'v0.13.0',
    sum: 'h1:iZN/qJhDZas74Mo/zM1tz038niv68e1g5wYCQJ5yczo=',
    /** registry.k8s.io/capi-openstack (PROD_REGISTRY of its Makefile), named capi-openstack-controller in config/default. */
    image: 'registry.k8s.io/capi-openstack/capi-openstack-controller:v0.13.0',
  },
  /**
   * OpenStack Resource Controller at the version CAPO v0.13.0's go.mod requires.
   * CAPO's server controller watches ORC `Image` objects, so it does not start
   * without their CRD; with images given by id (as here) it never creates one,
   * so only that CRD is installed, not ORC's controller. Not in sum.golang.org either.
   */
  orc: { module: 'github.com/k-orc/openstack-resource-controller/v2', version: 'v2.2.0', sum: 'h1:/1gs5b799BfYHPksxLaAY/DdWg7usn4ogFJEm01GU+Y=' },
} as const;

/** Annotations of the cluster-autoscaler's clusterapi provider (its README in kubernetes/autoscaler). */
export const AUTOSCALER_ANNOTATIONS = {
  minSize: 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size',
  maxSize: 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size',
  capacityPrefix: 'capacity.cluster-autoscaler.kubernetes.io/',
} as const;

/**
 * The control plane Cluster API is told about: one it does not manage. RKE2's
 * servers are OpenTofu's, so CAPI would otherwise wait forever for a
 * control-plane Machine (no `ControlPlaneInitialized`) and, on scale-down,
 * refuse to delete the Node of a deleted Machine ("no control plane members").
 * CAPI's contract for a control plane managed elsewhere (EKS, AKS, GKE) is an
 * object that reports `status.externalManagedControlPlane: true`; no provider
 * of one is in the pinned modules, so the CRD is ours (README, "Node
 * autoscaling"), without a controller: its status is written with the object
 * (the CRD has no status subresource) and is what it states, a control plane
 * that exists before Cluster API is installed.
 */
export const EXTERNAL_CONTROL_PLANE = {
  group: 'controlplane.platform.webhost.ch',
  version: 'v1alpha1',
  kind: 'ExternalControlPlane',
  plural: 'externalcontrolplanes',
} as const;

/** The CRD of {@link EXTERNAL_CONTROL_PLANE}, labelled for CAPI's v1beta2 contract. */
export function externalControlPlaneCrd(): K8sObject {
  const { group, version, kind, plural } = EXTERNAL_CONTROL_PLANE;
  const endpoint = {
    type: 'object',
    required: ['host', 'port'],
    properties: { host: { type: 'string', minLength: 1 }, port: { type: 'integer', minimum: 1, maximum: 65535 } },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    // CAPI finds the CRD of a reference by this name and reads the contract label.
    metadata: { name: `${plural}.${group}`, labels: { 'cluster.x-k8s.io/v1beta2': version } },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          // No status subresource: the status is part of the object as written.
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'A control plane Cluster API does not manage (the RKE2 servers made by OpenTofu).',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: { type: 'object', required: ['controlPlaneEndpoint'], properties: { controlPlaneEndpoint: endpoint } },
                status: {
                  type: 'object',
                  properties: {
                    initialization: { type: 'object', properties: { controlPlaneInitialized: { type: 'boolean' } } },
                    externalManagedControlPlane: { type: 'boolean' },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** The ClusterRole that lets CAPI's manager read and own {@link EXTERNAL_CONTROL_PLANE} objects (aggregated into its role). */
export function externalControlPlaneManagerRole(): K8sObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: `capi-${EXTERNAL_CONTROL_PLANE.plural}`, labels: { 'cluster.x-k8s.io/aggregate-to-manager': 'true' } },
    rules: [{ apiGroups: [EXTERNAL_CONTROL_PLANE.group], resources: [EXTERNAL_CONTROL_PLANE.plural], verbs: ['get', 'list', 'watch', 'patch', 'update'] }],
  };
}

/** What the cluster stack made that CAPO is handed as existing, and the cluster's own settings. */
export interface ClusterApiInput {
  /** Namespace of the objects (CAPO's identity Secret lives there too). */
  readonly namespace: string;
  /** The cluster's name in CAPI, e.g. `webhost-production`; the machines' names start with it. */
  readonly clusterName: string;
  /** The API load balancer's private address (nodes join through it). */
  readonly apiHost: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly networkId: string;
  readonly agentsSubnetId: string;
  readonly agentsSecurityGroupId: string;
  /** The image the cluster stack resolved (most recent match of cloud.imageNameRegex), by id. */
  readonly imageId: string;
  /** The Secret with CAPO's clouds.yaml (its own application credential). */
  readonly identitySecretName: string;
  readonly tags: readonly string[];
  readonly maxPods: number;
}

/** One autoscaled pool: its config, its Terraform server group and the agent cloud-init of its Terraform nodes. */
export interface AutoscaledPoolInput {
  readonly pool: AgentPoolConfig & { readonly autoscaling: { readonly minNodes: number; readonly maxNodes: number } };
  readonly serverGroupId: string;
  /** The same user data the pool's Terraform instances boot with (agent token, labels, taints, max-pods). */
  readonly userData: string;
}

export type K8sObject = { apiVersion: string; kind: string; metadata: Record<string, unknown>; [key: string]: unknown };

const INFRA_GROUP = 'infrastructure.cluster.x-k8s.io';
const CLOUD_NAME = 'openstack';
const API_PORT = 6443;

/** The bootstrap data Secret of an autoscaled pool's machines (see {@link bootstrapSecrets}). */
export function bootstrapSecretName(clusterName: string, poolName: string): string {
  return `${clusterName}-${poolName}-bootstrap`;
}

/**
 * Per autoscaled pool, the bootstrap data Secret its MachineDeployment names:
 * the very user data of the pool's Terraform agents (it holds the agent join
 * token, so the platform stack makes it a kubernetes_secret_v1, never part of
 * a Helm release's values).
 */
export function bootstrapSecrets(input: Pick<ClusterApiInput, 'namespace' | 'clusterName'>, pools: readonly AutoscaledPoolInput[]): K8sObject[] {
  return pools.map(({ pool, userData }) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: bootstrapSecretName(input.clusterName, pool.name), namespace: input.namespace, labels: { 'cluster.x-k8s.io/cluster-name': input.clusterName } },
    type: 'cluster.x-k8s.io/secret',
    stringData: { format: 'cloud-config', value: userData },
  }));
}

/**
 * The ExternalControlPlane, Cluster and OpenStackCluster of a self-managed cluster, and per
 * autoscaled pool an OpenStackMachineTemplate and a MachineDeployment whose
 * bootstrap data is the pool's Secret of {@link bootstrapSecrets}. The
 * MachineDeployment covers the growth only (0 to maxNodes - minNodes):
 * OpenTofu makes the floor, which CAPI never adopts.
 */
export function clusterApiObjects(input: ClusterApiInput, pools: readonly Omit<AutoscaledPoolInput, 'userData'>[]): K8sObject[] {
  const identityRef = { name: input.identitySecretName, cloudName: CLOUD_NAME };
  const clusterLabel = { 'cluster.x-k8s.io/cluster-name': input.clusterName };
  const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: input.namespace, labels: { ...clusterLabel }, ...extra });
  const objects: K8sObject[] = [
    {
      apiVersion: `${EXTERNAL_CONTROL_PLANE.group}/${EXTERNAL_CONTROL_PLANE.version}`,
      kind: EXTERNAL_CONTROL_PLANE.kind,
      metadata: meta(input.clusterName),
      spec: { controlPlaneEndpoint: { host: input.apiHost, port: API_PORT } },
      status: { initialization: { controlPlaneInitialized: true }, externalManagedControlPlane: true },
    },
    {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: meta(input.clusterName),
      spec: {
        clusterNetwork: { pods: { cidrBlocks: [input.podCidr] }, services: { cidrBlocks: [input.serviceCidr] } },
        controlPlaneEndpoint: { host: input.apiHost, port: API_PORT },
        controlPlaneRef: { apiGroup: EXTERNAL_CONTROL_PLANE.group, kind: EXTERNAL_CONTROL_PLANE.kind, name: input.clusterName },
        infrastructureRef: { apiGroup: INFRA_GROUP, kind: 'OpenStackCluster', name: input.clusterName },
      },
    },
    {
      apiVersion: `${INFRA_GROUP}/v1beta1`,
      kind: 'OpenStackCluster',
      metadata: meta(input.clusterName),
      spec: {
        identityRef: { ...identityRef },
        // Existing network and subnet, no managed security groups, no load balancer, no
        // floating IP, no bastion, no router: CAPO creates nothing of the cluster stack's.
        network: { id: input.networkId },
        subnets: [{ id: input.agentsSubnetId }],
        disableExternalNetwork: true,
        disableAPIServerFloatingIP: true,
        apiServerLoadBalancer: { enabled: false },
        controlPlaneEndpoint: { host: input.apiHost, port: API_PORT },
        tags: [...input.tags],
      },
    },
  ];

  for (const { pool, serverGroupId } of pools) {
    const match = FLAVOR_PATTERN.exec(pool.flavor);
    if (!match) throw new Error(`agent pool ${pool.name}: flavor ${JSON.stringify(pool.flavor)} is not an Infomaniak flavor name`);
    const { minNodes, maxNodes } = pool.autoscaling;
    const name = `${input.clusterName}-${pool.name}`;
    const poolLabel = { ...clusterLabel, 'platform.webhost.ch/pool': pool.name };
    const labels = Object.entries(pool.labels).map(([k, v]) => `${k}=${v}`);
    objects.push(
      {
        apiVersion: `${INFRA_GROUP}/v1beta1`,
        kind: 'OpenStackMachineTemplate',
        metadata: meta(name),
        spec: {
          template: {
            spec: {
              identityRef: { ...identityRef },
              flavor: pool.flavor,
              image: { id: input.imageId },
              rootVolume: { sizeGiB: pool.bootVolume.sizeGiB, type: pool.bootVolume.type },
              ports: [
                {
                  network: { id: input.networkId },
                  fixedIPs: [{ subnet: { id: input.agentsSubnetId } }],
                  securityGroups: [{ id: input.agentsSecurityGroupId }],
                },
              ],
              serverGroup: { id: serverGroupId },
              // As the Terraform nodes: user data from the config drive, which the node then keeps to root.
              configDrive: true,
              serverMetadata: [
                { key: 'role', value: 'agent' },
                { key: 'pool', value: pool.name },
              ],
              tags: [...input.tags],
            },
          },
        },
      },
      {
        apiVersion: 'cluster.x-k8s.io/v1beta2',
        kind: 'MachineDeployment',
        metadata: meta(name, {
          annotations: {
            [AUTOSCALER_ANNOTATIONS.minSize]: '0',
            [AUTOSCALER_ANNOTATIONS.maxSize]: String(maxNodes - minNodes),
            // What one node gives, so that a group at zero can still be scaled up.
            [`${AUTOSCALER_ANNOTATIONS.capacityPrefix}cpu`]: match[1],
            [`${AUTOSCALER_ANNOTATIONS.capacityPrefix}memory`]: `${match[2]}Gi`,
            [`${AUTOSCALER_ANNOTATIONS.capacityPrefix}ephemeral-disk`]: `${pool.bootVolume.sizeGiB}Gi`,
            [`${AUTOSCALER_ANNOTATIONS.capacityPrefix}maxPods`]: String(input.maxPods),
            ...(labels.length ? { [`${AUTOSCALER_ANNOTATIONS.capacityPrefix}labels`]: labels.join(',') } : {}),
            ...(pool.taints.length ? { [`${AUTOSCALER_ANNOTATIONS.capacityPrefix}taints`]: pool.taints.join(',') } : {}),
          },
        }),
        spec: {
          clusterName: input.clusterName,
          // No replicas: the autoscaler owns them (CAPI starts the group at its min-size annotation).
          selector: { matchLabels: { ...poolLabel } },
          template: {
            metadata: { labels: { ...poolLabel } },
            spec: {
              clusterName: input.clusterName,
              bootstrap: { dataSecretName: bootstrapSecretName(input.clusterName, pool.name) },
              infrastructureRef: { apiGroup: INFRA_GROUP, kind: 'OpenStackMachineTemplate', name },
              // No nodeDrainTimeoutSeconds: CAPI's drain (after the autoscaler's own, both by
              // evictions) then waits for PodDisruptionBudgets however long, never forcing a node out.
            },
          },
        },
      },
    );
  }
  return objects;
}
