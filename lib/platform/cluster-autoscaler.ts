import type { KubernetesObject } from './helm-values';

/**
 * cluster-autoscaler with its clusterapi provider, from manifests of ours.
 *
 * Not the upstream chart: it lives in charts/cluster-autoscaler of
 * kubernetes/autoscaler, outside every Go module of the repository, and the Go
 * module proxy refuses k8s.io/autoscaler/cluster-autoscaler at every version
 * (403), so neither the chart nor the source can be fetched at a pinned
 * version from these machines. The objects below follow the provider's
 * documented example (kubernetes/autoscaler
 * cluster-autoscaler/cloudprovider/clusterapi/examples/deployment.yaml: one
 * Deployment, in-cluster for both the management and the workload cluster)
 * and the chart's RBAC for the clusterapi provider in "incluster-incluster"
 * mode (charts/cluster-autoscaler/templates/clusterrole.yaml), with the
 * Cluster API writes narrowed to the one namespace that holds our objects.
 * Versions read: the example at kubernetes/autoscaler commit
 * be46daed39fb, the chart's ClusterRole at 0ebbdfb263f5.
 */
export const CLUSTER_AUTOSCALER = {
  /**
   * The release whose minor matches the clusters' Kubernetes (cluster-autoscaler
   * is released per Kubernetes minor and supports that minor). The tag could not
   * be checked against the registry from these machines (no registry access).
   */
  image: 'registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.2',
  name: 'cluster-autoscaler',
} as const;

export interface ClusterAutoscalerProps {
  /** The autoscaler's own namespace (its leader lease and status ConfigMap live there). */
  readonly namespace: string;
  /** The namespace of the Cluster API objects it scales (auto-discovery is limited to it). */
  readonly clusterApiNamespace: string;
  /** The Cluster it scales (auto-discovery is limited to it). */
  readonly clusterName: string;
  /** `environments.<env>.kubernetes.version`, e.g. v1.34.3+rke2r3: its minor must be the autoscaler's. */
  readonly kubernetesVersion: string;
}

/** Verbs that only read. */
const READ = ['get', 'list', 'watch'];

/** The flags README "Node autoscaling" names, and where the autoscaler keeps its state. */
export function clusterAutoscalerArgs(props: ClusterAutoscalerProps): string[] {
  return [
    '--cloud-provider=clusterapi',
    `--node-group-auto-discovery=clusterapi:namespace=${props.clusterApiNamespace},clusterName=${props.clusterName}`,
    '--scale-down-enabled=true',
    // One node at a time; its drain evicts, so PodDisruptionBudgets hold it back.
    '--max-scale-down-parallelism=1',
    '--scale-down-unneeded-time=10m',
    '--expander=least-waste',
    '--max-node-provision-time=15m',
    // Its lease and status ConfigMap in its own namespace, not kube-system (the defaults).
    `--leader-elect-resource-namespace=${props.namespace}`,
    `--namespace=${props.namespace}`,
    '--v=2',
  ];
}

/**
 * ServiceAccount, RBAC and Deployment of the cluster-autoscaler. Refuses a
 * cluster whose Kubernetes minor is not the image's: the autoscaler simulates
 * the scheduler of its own minor.
 */
export function clusterAutoscalerObjects(props: ClusterAutoscalerProps): KubernetesObject[] {
  const kube = /^v1\.(\d+)\./.exec(props.kubernetesVersion);
  const own = /:v1\.(\d+)\.\d+$/.exec(CLUSTER_AUTOSCALER.image)!;
  if (!kube || kube[1] !== own[1]) {
    throw new Error(
      `cluster-autoscaler: kubernetes.version ${JSON.stringify(props.kubernetesVersion)} is not Kubernetes 1.${own[1]}, the minor of ${CLUSTER_AUTOSCALER.image}; ` +
        `move CLUSTER_AUTOSCALER.image (lib/platform/cluster-autoscaler.ts) to the cluster-autoscaler release of the new minor with the upgrade`,
    );
  }
  const { namespace, clusterApiNamespace } = props;
  const name = CLUSTER_AUTOSCALER.name;
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'platform' };
  const subjects = [{ kind: 'ServiceAccount', name, namespace }];
  const roleRef = (kind: 'ClusterRole' | 'Role', ref: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name: ref });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels },
      // The chart's cluster-wide rules (what the scheduler simulation and the drain read and do)...
      rules: [
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
        { apiGroups: [''], resources: ['pods/status'], verbs: ['update'] },
        { apiGroups: [''], resources: ['nodes'], verbs: [...READ, 'update'] },
        { apiGroups: [''], resources: ['namespaces', 'pods', 'services', 'replicationcontrollers', 'persistentvolumeclaims', 'persistentvolumes'], verbs: READ },
        { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: READ },
        { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['list', 'watch'] },
        { apiGroups: ['apps'], resources: ['daemonsets', 'replicasets', 'statefulsets'], verbs: READ },
        { apiGroups: ['storage.k8s.io'], resources: ['storageclasses', 'csinodes', 'csidrivers', 'csistoragecapacities'], verbs: READ },
        // ...and of the clusterapi provider, which watches its objects in every namespace: reads only.
        { apiGroups: ['cluster.x-k8s.io'], resources: ['machinedeployments', 'machinepools', 'machines', 'machinesets'], verbs: READ },
      ],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name, labels }, roleRef: roleRef('ClusterRole', name), subjects },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: clusterApiNamespace, labels },
      // Writes only where our MachineDeployments are: scale them, mark a machine for deletion,
      // read the machine templates (a scale-up from zero).
      rules: [
        { apiGroups: ['cluster.x-k8s.io'], resources: ['machinedeployments', 'machines', 'machinesets'], verbs: ['update', 'patch'] },
        { apiGroups: ['cluster.x-k8s.io'], resources: ['machinedeployments/scale', 'machinesets/scale'], verbs: ['get', 'patch', 'update'] },
        { apiGroups: ['infrastructure.cluster.x-k8s.io'], resources: ['openstackmachinetemplates'], verbs: READ },
      ],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: clusterApiNamespace, labels }, roleRef: roleRef('Role', name), subjects },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace, labels },
      // Its leader lease and its status ConfigMap (cluster-autoscaler-status), in its own namespace.
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'delete', 'get', 'update', 'list', 'watch'] },
      ],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace, labels }, roleRef: roleRef('Role', name), subjects },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': name } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            // On a server: never on a node it may remove.
            nodeSelector: { 'node-role.kubernetes.io/control-plane': 'true' },
            tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
            priorityClassName: 'system-cluster-critical',
            terminationGracePeriodSeconds: 10,
            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name,
                image: CLUSTER_AUTOSCALER.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['/cluster-autoscaler'],
                args: clusterAutoscalerArgs(props),
                ports: [{ name: 'metrics', containerPort: 8085, protocol: 'TCP' }],
                livenessProbe: { httpGet: { path: '/health-check', port: 8085 } },
                resources: { requests: { cpu: '100m', memory: '300Mi' }, limits: { memory: '600Mi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        },
      },
    },
  ];
}
