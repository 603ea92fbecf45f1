import { toYaml, yamlSafe } from './cloud-init';

/**
 * HelmChart manifests (helm.cattle.io/v1, applied by RKE2's helm controller) for the
 * OpenStack integration of a cluster: the cloud controller manager and Cinder CSI.
 * Each function returns YAML text for `Rke2NodeInput.manifests[].content`.
 *
 * Credentials are tokens embedded in `valuesContent`: each is wrapped in Terraform's
 * `jsonencode`, so the resolved value is a quoted, escaped YAML scalar whatever it
 * holds. The charts then quote them again in the INI cloud.conf (Helm's `quote`); that
 * INI quoting is safe for what Keystone generates (hex ids, url-safe base64 secrets).
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

/** Name of the Secret (key `cloud.conf`) the CCM chart creates and Cinder CSI reuses. */
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

export interface OpenStackCloudControllerProps extends OpenStackCloudAuth {
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

export interface CinderCsiProps extends OpenStackCloudAuth {
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
export function openstackCloudControllerManifest(props: OpenStackCloudControllerProps): string {
  const values = {
    secret: { enabled: true, create: true, name: CLOUD_CONFIG_SECRET },
    cloudConfig: {
      global: {
        'auth-url': yamlSafe(props.authUrl),
        region: yamlSafe(props.region),
        'application-credential-id': yamlSafe(props.applicationCredentialId),
        'application-credential-secret': yamlSafe(props.applicationCredentialSecret),
      },
      loadBalancer: { enabled: false },
    },
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
 *
 * `props` carries the credentials only for symmetry with the CCM and so that a caller
 * cannot forget the CCM: Cinder CSI reads the same Secret, so this manifest holds none.
 */
export function cinderCsiManifest(props: CinderCsiProps): string {
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
