import { Construct } from 'constructs';
import { LOCAL_CHARTS_REPOSITORY, type KubernetesObject, type PinnedChart } from './helm-values';
import { PlatformNamespace } from './namespace';
import { ManifestsRelease, PinnedRelease } from './release';

export const SYSTEM_UPGRADE_NAMESPACE = 'system-upgrade';
/** Service account of the controller and of the upgrade jobs it creates (the jobs drain nodes). */
export const SYSTEM_UPGRADE_SERVICE_ACCOUNT = 'system-upgrade';
/** The Plans, by name: the agent plan's prepare step waits for the server plan by this name. */
export const RKE2_SERVER_PLAN = 'rke2-server';
export const RKE2_AGENT_PLAN = 'rke2-agent';
/** The label RKE2 puts on its servers (`true`) and never on agents. */
export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

/** Pinned releases and images of the in-place RKE2 upgrade. */
export const SYSTEM_UPGRADE = {
  /**
   * rancher/system-upgrade-controller v0.19.2: built against Kubernetes 0.35
   * libraries (the 0.20 line is built against 1.36, two minors ahead of the
   * clusters). Its Go module is what scripts/render-charts.sh checks the CRD,
   * the environment variables and the Plans against.
   */
  version: 'v0.19.2',
  controllerImage: 'docker.io/rancher/system-upgrade-controller:v0.19.2',
  /**
   * kubectl of the cordon and drain steps of the upgrade jobs. kubectl supports
   * one minor version either way of the API server; the release's default
   * (rancher/kubectl:v1.30.3) is four behind 1.34. v1.34.1 is the kubectl that
   * Rancher v2.13.1 ships (its rancher-images.txt).
   */
  kubectlImage: 'docker.io/rancher/kubectl:v1.34.1',
  /** Rancher's upgrade image of RKE2, tagged like the release with `+` as `-` (SUC's own munging). */
  rke2UpgradeImage: 'docker.io/rancher/rke2-upgrade',
} as const;

/** charts/system-upgrade-crd: the Plan CRD of the pinned release, byte for byte; versioned like the release. */
export const SYSTEM_UPGRADE_CRD_CHART: PinnedChart = {
  repository: LOCAL_CHARTS_REPOSITORY,
  chart: 'system-upgrade-crd',
  version: SYSTEM_UPGRADE.version.replace(/^v/, ''),
};

/** An RKE2 release as the config pins it: v1.34.3+rke2r3. */
const RKE2_VERSION = /^v1\.(\d+)\.\d+\+rke2r\d+$/;

export interface SystemUpgradeProps {
  /** The RKE2 release every node runs: `environments.<env>.kubernetes.version`, the one new nodes install too. */
  readonly rke2Version: string;
  /**
   * How long the drain of an agent may wait for evictions that its
   * PodDisruptionBudgets hold back before the job gives up (and retries).
   * @default 15
   */
  readonly drainTimeoutMinutes?: number;
  /**
   * Deadline of one node's upgrade job: drain, RKE2 binary swap, restart. Past
   * it the Plan stops, with the node left cordoned, until the Plan changes.
   * @default 3600
   */
  readonly jobDeadlineSeconds?: number;
}

/** The fields of an upgrade.cattle.io/v1 Plan this construct sets (system-upgrade-controller v0.19.2). */
export interface PlanSpec {
  readonly concurrency: number;
  readonly nodeSelector: { readonly matchExpressions: readonly { key: string; operator: string; values?: string[] }[] };
  readonly serviceAccountName: string;
  readonly tolerations: readonly { operator: 'Exists' }[];
  readonly jobActiveDeadlineSecs: number;
  readonly cordon?: boolean;
  readonly drain?: { readonly force: boolean; readonly deleteEmptydirData: boolean; readonly ignoreDaemonSets: boolean; readonly timeout: string };
  readonly prepare?: { readonly image: string; readonly args: readonly string[] };
  readonly upgrade: { readonly image: string };
  readonly version: string;
}

/**
 * In-place RKE2 upgrades with Rancher's system-upgrade-controller (SUC):
 * the controller, its CRD and two Plans that follow
 * `environments.<env>.kubernetes.version`. Change the version and apply the
 * platform stack: the servers are upgraded one at a time (cordoned, RKE2's
 * binary swapped, restarted, uncordoned), then the agents one at a time, each
 * drained first with evictions (its PodDisruptionBudgets hold the drain back,
 * never `--force`). No node is replaced: etcd, boot disks and node identities
 * stay; a single-server cluster keeps its only etcd member.
 *
 * Three releases, in order: the CRD (charts/system-upgrade-crd, the release's
 * own file), the controller (platform-manifests), the Plans (platform-manifests,
 * after both), so that each plans without a cluster and the Plans never meet a
 * missing CRD.
 */
export class SystemUpgrade extends Construct {
  static readonly DEFAULT_DRAIN_TIMEOUT_MINUTES = 15;
  static readonly DEFAULT_JOB_DEADLINE_SECONDS = 3600;

  readonly namespace: PlatformNamespace;
  readonly crd: PinnedRelease;
  readonly controller: ManifestsRelease;
  readonly plans: ManifestsRelease;
  readonly serverPlan: KubernetesObject & { spec: PlanSpec };
  readonly agentPlan: KubernetesObject & { spec: PlanSpec };
  readonly controllerObjects: readonly KubernetesObject[];

  constructor(scope: Construct, id: string, props: SystemUpgradeProps) {
    super(scope, id);
    const drainTimeoutMinutes = props.drainTimeoutMinutes ?? SystemUpgrade.DEFAULT_DRAIN_TIMEOUT_MINUTES;
    const jobDeadlineSeconds = props.jobDeadlineSeconds ?? SystemUpgrade.DEFAULT_JOB_DEADLINE_SECONDS;
    validate(this.node.path, props.rke2Version, drainTimeoutMinutes, jobDeadlineSeconds);

    // The upgrade jobs run privileged with the host's PID, IPC and network
    // namespaces and its root filesystem mounted: RKE2's CIS profile would
    // refuse them in a restricted namespace.
    this.namespace = new PlatformNamespace(this, 'Namespace', { name: SYSTEM_UPGRADE_NAMESPACE, podSecurity: 'privileged' });
    const namespace = SYSTEM_UPGRADE_NAMESPACE;

    this.crd = new PinnedRelease(this, 'Crd', {
      name: 'system-upgrade-crd',
      namespace: this.namespace.name,
      chart: SYSTEM_UPGRADE_CRD_CHART,
      values: {},
      timeoutSeconds: 300,
    });

    this.controllerObjects = controllerObjects(namespace);
    this.controller = new ManifestsRelease(this, 'Controller', {
      name: 'system-upgrade-controller',
      namespace: this.namespace.name,
      objects: this.controllerObjects,
      dependsOn: [this.crd.release],
    });

    const tag = props.rke2Version.replaceAll('+', '-');
    const upgradeImage = `${SYSTEM_UPGRADE.rke2UpgradeImage}:${tag}`;
    const common = {
      concurrency: 1,
      serviceAccountName: SYSTEM_UPGRADE_SERVICE_ACCOUNT,
      // A node's upgrade must run whatever the node's taints (the servers'
      // control-plane taint, a pool's own): the job is bound to that node.
      tolerations: [{ operator: 'Exists' as const }],
      jobActiveDeadlineSecs: jobDeadlineSeconds,
      upgrade: { image: upgradeImage },
      version: props.rke2Version,
    };
    const plan = (name: string, spec: PlanSpec) => ({
      apiVersion: 'upgrade.cattle.io/v1',
      kind: 'Plan',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'platform' } },
      spec,
    });
    // Servers first, one at a time: cordoned, not drained (only pods that
    // tolerate the control-plane taint run there). Etcd keeps its quorum
    // with three servers; a single server restarts in place.
    this.serverPlan = plan(RKE2_SERVER_PLAN, {
      ...common,
      nodeSelector: { matchExpressions: [{ key: CONTROL_PLANE_LABEL, operator: 'In', values: ['true'] }] },
      cordon: true,
    });
    // Then the agents, one at a time, once every server runs the new version
    // (the image's prepare step waits for the server plan and the servers'
    // kubelet versions). Drained with evictions: a PodDisruptionBudget holds
    // the drain back, up to its timeout; never forced.
    this.agentPlan = plan(RKE2_AGENT_PLAN, {
      ...common,
      nodeSelector: { matchExpressions: [{ key: CONTROL_PLANE_LABEL, operator: 'DoesNotExist' }] },
      prepare: { image: upgradeImage, args: ['prepare', RKE2_SERVER_PLAN] },
      drain: { force: false, deleteEmptydirData: true, ignoreDaemonSets: true, timeout: `${drainTimeoutMinutes}m` },
    });
    this.plans = new ManifestsRelease(this, 'Plans', {
      name: 'system-upgrade-plans',
      namespace: this.namespace.name,
      objects: [this.serverPlan, this.agentPlan],
      dependsOn: [this.crd.release, this.controller.release],
    });
  }
}

function validate(path: string, version: string, drainTimeoutMinutes: number, jobDeadlineSeconds: number): void {
  const match = RKE2_VERSION.exec(version);
  if (!match) throw new Error(`${path}: rke2Version ${JSON.stringify(version)}: not an RKE2 release; pin one like v1.34.3+rke2r3`);
  const kubectlMinor = Number(/:v1\.(\d+)\./.exec(SYSTEM_UPGRADE.kubectlImage)![1]);
  if (Math.abs(Number(match[1]) - kubectlMinor) > 1) {
    throw new Error(
      `${path}: rke2Version ${version}: more than one minor version away from the drain's kubectl (${SYSTEM_UPGRADE.kubectlImage}; kubectl supports one minor either way); upgrade one minor at a time and move SYSTEM_UPGRADE.kubectlImage (lib/platform/system-upgrade.ts) along`,
    );
  }
  if (!Number.isInteger(drainTimeoutMinutes) || drainTimeoutMinutes < 1) {
    throw new Error(`${path}: drainTimeoutMinutes ${drainTimeoutMinutes}: must be a whole number of minutes, at least 1`);
  }
  if (!Number.isInteger(jobDeadlineSeconds) || jobDeadlineSeconds < drainTimeoutMinutes * 60 + 600) {
    throw new Error(
      `${path}: jobDeadlineSeconds ${jobDeadlineSeconds}: must leave the drain (${drainTimeoutMinutes} min) and the upgrade 10 more minutes; use at least ${drainTimeoutMinutes * 60 + 600}`,
    );
  }
}

/**
 * The controller as system-upgrade-controller v0.19.2's manifests deploy it
 * (manifests/ of its module), with these differences: the image is the
 * release's (the manifests name v0.14.0), the drain's kubectl is the clusters'
 * minor, the root filesystem is read-only and the host's CA directories are not
 * mounted (the Plans pin a version; no channel is resolved over HTTPS), and the
 * controller may update only its own CRD. It registers that CRD at start from
 * its embedded copy, the same file the CRD release applies.
 */
function controllerObjects(namespace: string): KubernetesObject[] {
  const name = 'system-upgrade-controller';
  const subject = [{ kind: 'ServiceAccount', name: SYSTEM_UPGRADE_SERVICE_ACCOUNT, namespace }];
  const controllerLabel = 'upgrade.cattle.io/controller';
  const env: Record<string, string> = {
    SYSTEM_UPGRADE_CONTROLLER_DEBUG: 'false',
    SYSTEM_UPGRADE_CONTROLLER_THREADS: '2',
    SYSTEM_UPGRADE_CONTROLLER_LEADER_ELECT: 'true',
    SYSTEM_UPGRADE_JOB_ACTIVE_DEADLINE_SECONDS: '900',
    SYSTEM_UPGRADE_JOB_BACKOFF_LIMIT: '99',
    SYSTEM_UPGRADE_JOB_IMAGE_PULL_POLICY: 'IfNotPresent',
    SYSTEM_UPGRADE_JOB_KUBECTL_IMAGE: SYSTEM_UPGRADE.kubectlImage,
    SYSTEM_UPGRADE_JOB_PRIVILEGED: 'true',
    SYSTEM_UPGRADE_JOB_TTL_SECONDS_AFTER_FINISH: '900',
    SYSTEM_UPGRADE_PLAN_POLLING_INTERVAL: '15m',
  };
  const fieldRef = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SYSTEM_UPGRADE_SERVICE_ACCOUNT, namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] },
        // It lists CRDs and creates its own if missing; it may update only that one.
        { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch', 'create'] },
        { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], resourceNames: ['plans.upgrade.cattle.io'], verbs: ['patch', 'update'] },
        { apiGroups: [''], resources: ['namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes'], verbs: ['update'] },
        { apiGroups: [''], resources: ['events'], verbs: ['get', 'create', 'patch', 'update'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [name], verbs: ['get', 'update'] },
        { apiGroups: ['upgrade.cattle.io'], resources: ['plans', 'plans/status'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace },
      rules: [
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'deletecollection', 'patch', 'update', 'get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      // What kubectl cordon and drain (evictions) need, in the upgrade jobs.
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `${name}-drainer` },
      rules: [
        { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'delete'] },
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
        { apiGroups: ['apps'], resources: ['statefulsets', 'daemonsets', 'replicasets'], verbs: ['get', 'list'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system-upgrade-drainer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${name}-drainer` },
      subjects: subject,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system-upgrade' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: subject,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'system-upgrade', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: subject,
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { [controllerLabel]: name } },
        template: {
          metadata: {
            labels: {
              'app.kubernetes.io/component': 'controller',
              'app.kubernetes.io/name': name,
              // The drain of the upgrade jobs leaves pods with this label alone.
              [controllerLabel]: name,
            },
          },
          spec: {
            serviceAccountName: SYSTEM_UPGRADE_SERVICE_ACCOUNT,
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: CONTROL_PLANE_LABEL, operator: 'Exists' }] }],
                },
              },
            },
            tolerations: [
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              { key: CONTROL_PLANE_LABEL, operator: 'Exists', effect: 'NoSchedule' },
              { key: 'node-role.kubernetes.io/etcd', operator: 'Exists', effect: 'NoExecute' },
            ],
            containers: [
              {
                name,
                image: SYSTEM_UPGRADE.controllerImage,
                imagePullPolicy: 'IfNotPresent',
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: 65534,
                  runAsGroup: 65534,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  seccompProfile: { type: 'RuntimeDefault' },
                  capabilities: { drop: ['ALL'] },
                },
                env: [
                  ...Object.entries(env).map(([key, value]) => ({ name: key, value })),
                  { name: 'SYSTEM_UPGRADE_CONTROLLER_NAME', ...fieldRef(`metadata.labels['${controllerLabel}']`) },
                  { name: 'SYSTEM_UPGRADE_CONTROLLER_NAMESPACE', ...fieldRef('metadata.namespace') },
                  { name: 'SYSTEM_UPGRADE_CONTROLLER_NODE_NAME', ...fieldRef('spec.nodeName') },
                ],
                resources: { requests: { cpu: '20m', memory: '64Mi' } },
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    },
  ];
}
