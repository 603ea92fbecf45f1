import { Fn, Token } from 'cdktf';
import { terraformBase64, toYaml, yamlSafe } from './terraform-text';

/**
 * HelmChart manifests (helm.cattle.io/v1, applied by RKE2's helm controller) for the
 * OpenStack integration of a cluster: the cloud controller manager and Cinder CSI.
 * Each function returns YAML text for `Rke2NodeInput.manifests[].content`.
 *
 * No credential is in a HelmChart: the charts' values end up readable in the
 * HelmChart objects (not encrypted at rest, copied into every etcd snapshot). Both
 * charts read the `cloud-config` Secret, written by {@link openstackCloudConfigSecret}
 * (Secrets are encrypted at rest: `secrets-encryption`).
 */

/** The chart repository of kubernetes/cloud-provider-openstack. */
export const CLOUD_PROVIDER_OPENSTACK_REPO = 'https://kubernetes.github.io/cloud-provider-openstack';

/**
 * openstack-cloud-controller-manager chart, pinned: 2.34.x ships CCM v1.34, the release
 * line built for Kubernetes 1.34 (RKE2 v1.34).
 */
export const OPENSTACK_CCM_CHART = { name: 'openstack-cloud-controller-manager', version: '2.34.1' } as const;
/** openstack-cinder-csi chart, pinned: 2.34.1 ships cinder-csi-plugin v1.34.1. */
export const CINDER_CSI_CHART = { name: 'openstack-cinder-csi', version: '2.34.1' } as const;

/** Name of the Secret (key `cloud.conf`) the CCM and Cinder CSI read. */
export const CLOUD_CONFIG_SECRET = 'cloud-config';

/** How the in-cluster OpenStack integrations authenticate. */
export interface OpenStackCloudAuth {
  /** Keystone v3 URL, e.g. `https://api.pub1.infomaniak.cloud/identity/v3`. */
  readonly authUrl: string;
  /** OpenStack region, e.g. `dc3-a`. */
  readonly region: string;
  /** Application credential id (token). */
  readonly applicationCredentialId: string;
  /** Application credential secret (token; sensitive). */
  readonly applicationCredentialSecret: string;
}

export interface OpenStackCloudControllerProps {
  /**
   * Cluster name the CCM passes to OpenStack (`--cluster-name`).
   * @default 'kubernetes'
   */
  readonly clusterName?: string;
  /**
   * Chart version.
   * @default OPENSTACK_CCM_CHART.version
   */
  readonly chartVersion?: string;
}

export interface CinderCsiProps {
  /**
   * Cluster id stamped on the volumes Cinder CSI creates (`cinder.csi.openstack.org/cluster`).
   * @default 'kubernetes'
   */
  readonly clusterName?: string;
  /**
   * Cinder volume type of the default StorageClass.
   * @default 'CEPH_1_perf1'
   */
  readonly volumeType?: string;
  /**
   * Name of the default StorageClass.
   * @default 'cinder-' + volume type in lower case with dashes, e.g. 'cinder-ceph-1-perf1'
   */
  readonly storageClassName?: string;
  /**
   * Chart version.
   * @default CINDER_CSI_CHART.version
   */
  readonly chartVersion?: string;
}

function helmChart(name: string, version: string, bootstrap: boolean, values: Record<string, unknown>) {
  return {
    apiVersion: 'helm.cattle.io/v1',
    kind: 'HelmChart',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      repo: CLOUD_PROVIDER_OPENSTACK_REPO,
      chart: name,
      version,
      targetNamespace: 'kube-system',
      // bootstrap: the install job runs on the host network and tolerates the
      // uninitialized taint, which only the CCM itself removes.
      ...(bootstrap ? { bootstrap: true } : {}),
      valuesContent: toYaml(values),
    },
  };
}

/**
 * HelmChart of the OpenStack cloud controller manager, running on the control-plane
 * nodes. It initializes nodes (addresses, provider ids, zones) and deletes the nodes
 * whose VM is gone. Its service and route controllers are off: load balancers are
 * Octavia resources created by Terraform, never from Services, and Cilium routes pods.
 */
export function openstackCloudControllerManifest(props: OpenStackCloudControllerProps = {}): string {
  const values = {
    // The Secret is ours (openstackCloudConfigSecret): the chart only mounts it.
    secret: { enabled: true, create: false, name: CLOUD_CONFIG_SECRET },
    enabledControllers: ['cloud-node', 'cloud-node-lifecycle'],
    cluster: { name: props.clusterName ?? 'kubernetes' },
    // RKE2 labels its servers node-role.kubernetes.io/control-plane=true (the chart's
    // default selector expects "").
    nodeSelector: { 'node-role.kubernetes.io/control-plane': 'true' },
    tolerations: [
      { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/etcd', operator: 'Exists', effect: 'NoExecute' },
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
    ],
    // The pod runs on the host network before CoreDNS can be scheduled (nodes stay
    // tainted until the CCM initializes them): resolve Keystone with the node's resolvers.
    dnsPolicy: 'Default',
    // The chart's default host mounts (/etc/kubernetes/pki, flexvolume dir) do not
    // exist on RKE2 and the enabled controllers do not need them.
    extraVolumes: [],
    extraVolumeMounts: [],
  };
  return toYaml(helmChart(OPENSTACK_CCM_CHART.name, props.chartVersion ?? OPENSTACK_CCM_CHART.version, true, values));
}

/**
 * HelmChart of the Cinder CSI driver, reading the cloud config Secret the CCM chart
 * creates, and a default StorageClass on the given Cinder volume type with volume
 * expansion and topology-aware binding.
 */
export function cinderCsiManifest(props: CinderCsiProps = {}): string {
  const volumeType = props.volumeType ?? 'CEPH_1_perf1';
  const storageClassName = props.storageClassName ?? `cinder-${volumeType.toLowerCase().replace(/_/g, '-')}`;
  const values = {
    secret: { enabled: true, create: false, name: CLOUD_CONFIG_SECRET, filename: 'cloud.conf' },
    clusterID: props.clusterName ?? 'kubernetes',
    // The chart's StorageClasses have no volume type; ours below has.
    storageClass: { enabled: false },
    csi: { plugin: { nodePlugin: { kubeletDir: '/var/lib/kubelet' } } },
  };
  const storageClass = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: storageClassName, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'cinder.csi.openstack.org',
    parameters: { type: volumeType },
    reclaimPolicy: 'Delete',
    allowVolumeExpansion: true,
    // Create the volume in the zone of the node the pod is scheduled to.
    volumeBindingMode: 'WaitForFirstConsumer',
  };
  const chart = helmChart(CINDER_CSI_CHART.name, props.chartVersion ?? CINDER_CSI_CHART.version, false, values);
  return `${toYaml(chart)}---\n${toYaml(storageClass)}`;
}

/** A cloud.conf value: a gcfg quoted string (JSON string syntax), computed by Terraform for a token. */
function iniValue(value: string): string {
  return Token.isUnresolved(value) ? Fn.jsonencode(value) : JSON.stringify(value);
}

/**
 * The `cloud-config` Secret (kube-system, key `cloud.conf`) the OpenStack cloud
 * controller manager and Cinder CSI read: Keystone URL, region and the application
 * credential, and the metadata search order. Only the config drive is searched: the
 * nodes block the metadata service (see `Rke2NodeInput.blockMetadataService`).
 *
 * The INI text is base64 encoded (by Terraform where it holds tokens) into the Secret's
 * `data`, so no value can break the YAML, and values are JSON-quoted (gcfg reads
 * `"..."` with the same escapes).
 */
export function openstackCloudConfigSecret(auth: OpenStackCloudAuth): string {
  const ini = [
    '[Global]',
    `auth-url = ${iniValue(auth.authUrl)}`,
    `region = ${iniValue(auth.region)}`,
    `application-credential-id = ${iniValue(auth.applicationCredentialId)}`,
    `application-credential-secret = ${iniValue(auth.applicationCredentialSecret)}`,
    '',
    '[Metadata]',
    'search-order = configDrive',
    '',
    '[LoadBalancer]',
    'enabled = false',
    '',
  ].join('\n');
  const data = Token.isUnresolved(ini) ? yamlSafe(terraformBase64(ini)) : Buffer.from(ini, 'utf8').toString('base64');
  return toYaml({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: CLOUD_CONFIG_SECRET, namespace: 'kube-system' },
    data: { 'cloud.conf': data },
  });
}

/**
 * The ClusterRoleBinding that makes the platform stacks' certificate group
 * (`PLATFORM_DEPLOYERS_GROUP`) cluster-admin. Through RBAC, not system:masters:
 * `kubectl delete clusterrolebinding platform-deployers` (with the break-glass
 * admin certificate) revokes it without re-keying the client CA.
 */
export function platformDeployerBindingManifest(group: string): string {
  return toYaml({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'platform-deployers', labels: { 'app.kubernetes.io/managed-by': 'rke2-manifests' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  });
}
