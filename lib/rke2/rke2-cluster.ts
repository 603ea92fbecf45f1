import { DataResource, Fn, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { DataOpenstackImagesImageV2 } from '../../.gen/providers/openstack/data-openstack-images-image-v2';
import { IdentityApplicationCredentialV3 } from '../../.gen/providers/openstack/identity-application-credential-v3';
import type { CloudConfig, EnvironmentConfig } from '../config';
import { BackupBucket } from '../openstack/backup-bucket';
import { ClusterNetwork } from '../openstack/cluster-network';
import { LoadBalancer } from '../openstack/load-balancer';
import { NodePool } from '../openstack/node-pool';
import { ClusterSecurityGroups } from '../openstack/security-groups';
import {
  cinderCsiManifest,
  openstackCloudConfigSecret,
  openstackCloudControllerManifest,
  platformDeployerBindingManifest,
  rke2CloudConfig,
  type Rke2NodeInput,
  type Rke2Registries,
} from './cloud-init';
import { AUTOSCALED_POOLS_OUTPUT, MAX_PODS_PER_NODE } from './kubelet';
import { ClusterPki, PLATFORM_DEPLOYERS_GROUP } from './pki';

export interface Rke2ClusterProps {
  /** Prefix of every resource name, e.g. `webhost-production`. */
  readonly name: string;
  readonly cloud: CloudConfig;
  readonly cluster: EnvironmentConfig;
  readonly tags?: string[];
}

/** Kubernetes API port, on the servers and on the API load balancer. */
export const API_PORT = 6443;
/** RKE2 supervisor port, where nodes register and fetch their config. */
export const SUPERVISOR_PORT = 9345;

/**
 * One RKE2 cluster on OpenStack, complete: network, security groups, an API
 * and an ingress load balancer (each with its floating IP), object storage
 * for etcd snapshots, the cluster PKI and join token, the servers and the
 * agent pools booting RKE2 from cloud-init, and the OpenStack cloud
 * controller manager and Cinder CSI as RKE2 manifests.
 *
 * After `tofu apply` the cluster forms on its own; nobody logs in. Its
 * kubeconfig is computed here from the PKI and is a sensitive output.
 */
export class Rke2Cluster extends Construct {
  /**
   * Roles of the cloud controller's application credential: `member`, what
   * Cinder CSI needs to create, attach and delete volumes (the CCM only reads
   * servers and ports), and `reader`, which Keystone adds anyway because member
   * implies it: listed so that the next plan does not replace the credential.
   * Restricted (not `unrestricted`): it cannot create credentials of its own.
   */
  static readonly CLOUD_CONTROLLER_ROLES: readonly string[] = ['member', 'reader'];

  readonly network: ClusterNetwork;
  readonly securityGroups: ClusterSecurityGroups;
  readonly pki: ClusterPki;
  readonly backups: BackupBucket;
  readonly apiLoadBalancer: LoadBalancer;
  readonly ingressLoadBalancer: LoadBalancer;
  readonly servers: NodePool;
  readonly agentPools: readonly NodePool[];
  /**
   * While `backups.restore` is set, the `terraform_data` holding it: the
   * servers are replaced, all in one apply, when it is created or changes.
   */
  readonly serversRestore?: DataResource;
  /** The autoscaled pools' ranges, by pool name (none: every pool is fixed). */
  readonly autoscaledPools: Readonly<Record<string, { readonly minNodes: number; readonly maxNodes: number }>>;
  /** `https://<API floating IP>:6443`. */
  readonly apiEndpoint: string;
  /** PEM of the CA that signs the API server's certificate. */
  readonly clusterCaCertificate: string;
  /** The platform stacks' client certificate and key (cluster-admin through RBAC). */
  readonly platformClientCertificate: string;
  readonly platformClientKey: string;
  /** The break-glass kubeconfig: system:masters, for operators only (sensitive). */
  readonly breakGlassKubeconfig: string;
  /** Public address of the API load balancer. */
  readonly apiAddress: string;
  /** Public address of the ingress load balancer: point the sites' DNS here. */
  readonly ingressAddress: string;

  constructor(scope: Construct, id: string, props: Rke2ClusterProps) {
    super(scope, id);
    const { cloud, cluster, name, tags } = props;

    this.network = new ClusterNetwork(this, 'Network', {
      namePrefix: name,
      cidr: cluster.network.cidr,
      serversSubnetCidr: cluster.network.serversSubnetCidr,
      agentsSubnetCidr: cluster.network.agentsSubnetCidr,
      dnsServers: cloud.dnsServers,
      externalNetworkName: cloud.externalNetwork,
      tags,
    });
    this.securityGroups = new ClusterSecurityGroups(this, 'SecurityGroups', {
      namePrefix: name,
      networkCidr: cluster.network.cidr,
      serversSubnetCidr: cluster.network.serversSubnetCidr,
      agentsSubnetCidr: cluster.network.agentsSubnetCidr,
      ingressNodePorts: { http: cluster.ingress.httpNodePort, https: cluster.ingress.httpsNodePort },
      tags,
    });
    this.backups = new BackupBucket(this, 'Backups', {
      namePrefix: name,
      containers: [...BackupBucket.DEFAULT_CONTAINERS, ...cluster.objectStorage.containers],
      forceDestroy: cluster.backups.forceDestroy,
      s3Endpoint: cloud.s3Endpoint,
      region: cloud.region,
    });
    this.pki = new ClusterPki(this, 'Pki', { clusterName: name });
    const image = new DataOpenstackImagesImageV2(this, 'NodeImage', {
      nameRegex: cloud.imageNameRegex,
      mostRecent: true,
    });

    const pool = (
      id: string,
      poolName: string,
      role: 'server' | 'agent',
      spec: Pick<EnvironmentConfig['servers'], 'count' | 'flavor' | 'bootVolume'>,
    ) =>
      new NodePool(this, id, {
        namePrefix: name,
        poolName,
        role,
        count: spec.count,
        flavor: spec.flavor,
        bootVolume: spec.bootVolume,
        imageId: image.id,
        networkId: this.network.network.id,
        subnetId: (role === 'server' ? this.network.serversSubnet : this.network.agentsSubnet).id,
        securityGroupIds: [(role === 'server' ? this.securityGroups.servers : this.securityGroups.agents).id],
        tags,
        // Replacing the only server loses etcd: only a snapshot restore may (README,
        // Operations), so the guard is lifted while backups.restore is set.
        preventDestroy: role === 'server' && spec.count === 1 && cluster.backups.restore === undefined,
      });
    this.servers = pool('Servers', 'server', 'server', cluster.servers);
    this.agentPools = cluster.agentPools.map((spec) => pool(`AgentPool-${spec.name}`, spec.name, 'agent', spec));
    this.autoscaledPools = Object.fromEntries(
      cluster.agentPools.flatMap((spec) => (spec.autoscaling ? [[spec.name, { ...spec.autoscaling }] as const] : [])),
    );

    this.apiLoadBalancer = new LoadBalancer(this, 'ApiLoadBalancer', {
      name: `${name}-api`,
      vipSubnetId: this.network.serversSubnet.id,
      floatingIpPool: cloud.externalNetwork,
      listeners: [
        {
          name: 'api',
          port: API_PORT,
          memberPort: API_PORT,
          protocol: 'TCP',
          // The nodes reach the API through the VIP as well.
          allowedCidrs: [...cluster.access.apiAllowedCidrs, cluster.network.cidr],
          monitor: { type: 'TCP' },
        },
        {
          name: 'supervisor',
          port: SUPERVISOR_PORT,
          memberPort: SUPERVISOR_PORT,
          protocol: 'TCP',
          allowedCidrs: [cluster.network.cidr],
          // RKE2 opens 9345 before a joining server's API and etcd are up: a
          // node that joins through a server still joining fails. Only a
          // server whose API (6443) answers is a supervisor to join through.
          monitor: { type: 'TCP', port: API_PORT },
        },
      ],
      members: this.servers.nodes.map((n) => ({ name: n.name, address: n.address, subnetId: this.network.serversSubnet.id })),
      tags,
    });
    const agents = this.agentPools.flatMap((p) => p.nodes);
    this.ingressLoadBalancer = new LoadBalancer(this, 'IngressLoadBalancer', {
      name: `${name}-ingress`,
      vipSubnetId: this.network.agentsSubnet.id,
      floatingIpPool: cloud.externalNetwork,
      // PROXY pools: Traefik learns each client's address (logs, the Grafana
      // allow-list) and believes the header only from the cluster's own
      // addresses (IngressController's proxyProtocolTrustedCidrs). The TCP
      // monitors connect without a header, which Traefik accepts. A pool's
      // protocol is ForceNew: switching it replaces the pools (README, Day 2).
      listeners: [
        { name: 'http', port: 80, memberPort: cluster.ingress.httpNodePort, protocol: 'TCP', proxyProtocol: true, monitor: { type: 'TCP' } },
        { name: 'https', port: 443, memberPort: cluster.ingress.httpsNodePort, protocol: 'TCP', proxyProtocol: true, monitor: { type: 'TCP' } },
      ],
      members: agents.map((n) => ({ name: n.name, address: n.address, subnetId: this.network.agentsSubnet.id })),
      tags,
    });

    // The OpenStack cloud controller manager and Cinder CSI authenticate with
    // an application credential of their own (its secret is generated by Keystone).
    const ccmCredential = new IdentityApplicationCredentialV3(this, 'CloudControllerCredential', {
      name: `${name}-cloud-controller`,
      description: `OpenStack cloud controller manager and Cinder CSI of ${name}`,
      roles: [...Rke2Cluster.CLOUD_CONTROLLER_ROLES],
    });
    const openstackAuth = {
      authUrl: cloud.authUrl,
      region: cloud.region,
      applicationCredentialId: ccmCredential.id,
      applicationCredentialSecret: ccmCredential.secret,
    };

    // A single function call, not a string with a token inside: the cloud-init
    // builder hands it to jsonencode as one value.
    const joinUrl = Fn.join('', ['https://', this.apiLoadBalancer.vipAddress, `:${SUPERVISOR_PORT}`]);
    const common = {
      version: cluster.kubernetes.version,
      cni: 'cilium' as const,
      cloudProviderName: 'external' as const,
      clusterCidr: cluster.kubernetes.podCidr,
      serviceCidr: cluster.kubernetes.serviceCidr,
      releaseChecksumsSha256: cluster.kubernetes.releaseChecksumsSha256,
      registries: this.registries(cluster),
    };
    const server: Rke2NodeInput = {
      ...common,
      role: 'server',
      token: this.pki.joinToken,
      agentTokenPassword: this.pki.agentTokenPassword,
      serverUrl: joinUrl,
      tlsSan: [this.apiLoadBalancer.vipAddress, this.apiLoadBalancer.publicAddress],
      // The platform layer installs its own pinned ingress controller.
      disable: ['rke2-ingress-nginx'],
      nodeTaints: ['node-role.kubernetes.io/control-plane=true:NoSchedule'],
      etcdSnapshots: {
        schedule: cluster.backups.etcdSnapshotSchedule,
        retention: cluster.backups.etcdSnapshotRetention,
        localRetention: cluster.backups.localSnapshotRetention,
        s3: {
          endpoint: this.backups.s3EndpointHost,
          region: cloud.region,
          bucket: this.backups.bucketNames['etcd-snapshots'],
          folder: name,
          accessKey: this.backups.snapshotKeys.accessKey,
          secretKey: this.backups.snapshotKeys.secretKey,
        },
      },
      manifests: [
        { name: 'openstack-cloud-config', content: openstackCloudConfigSecret(openstackAuth) },
        { name: 'openstack-cloud-controller-manager', content: openstackCloudControllerManifest() },
        { name: 'openstack-cinder-csi', content: cinderCsiManifest() },
        { name: 'platform-deployers', content: platformDeployerBindingManifest(PLATFORM_DEPLOYERS_GROUP) },
      ],
    };
    // While backups.restore is set, a terraform_data holds it and every server
    // names it in replace_triggered_by: setting restore (the terraform_data is
    // created) or changing it (updated) replaces all servers in that one apply,
    // as RKE2's restore wants it: server 1 restores, the others join it with
    // empty datastores. Only while it is set: adding a trigger to running
    // servers replaces them (OpenTofu counts the new resource as a change),
    // and removing restore afterwards destroys only the terraform_data.
    // Agents never refer to it. Proven with real OpenTofu: restore-trigger.test.ts.
    const restore = cluster.backups.restore;
    this.serversRestore = restore
      ? new DataResource(this, 'ServersRestore', { input: { snapshot: restore.snapshot, generation: restore.generation } })
      : undefined;
    this.servers.launch({
      userData: rke2CloudConfig(server),
      // Until the cluster has formed (or while a restore rebuilds it), server 1
      // initializes it with the pre-created CAs, restoring the snapshot of
      // backups.restore; afterwards (servers.bootstrapped) a replacement of
      // server 1 joins like the others. Running servers ignore the change.
      firstNodeUserData: cluster.servers.bootstrapped ? undefined : rke2CloudConfig({
        ...server,
        serverUrl: undefined,
        restoreSnapshot: restore?.snapshot,
        caFiles: {
          serverCa: this.pki.serverCa,
          clientCa: this.pki.clientCa,
          requestHeaderCa: this.pki.requestHeaderCa,
          etcdServerCa: this.pki.etcdServerCa,
          etcdPeerCa: this.pki.etcdPeerCa,
          serviceAccountKey: this.pki.serviceAccountKeyPem,
        },
      }),
      replaceTriggeredBy: this.serversRestore ? [this.serversRestore] : undefined,
    });
    cluster.agentPools.forEach((spec, index) =>
      this.agentPools[index].launch({
        userData: rke2CloudConfig({
          ...common,
          role: 'agent',
          // The agent token joins agents only; the server token never leaves the servers.
          token: this.pki.agentJoinToken,
          serverUrl: joinUrl,
          nodeLabels: spec.labels,
          nodeTaints: spec.taints,
          // An autoscaled pool's capacity is counted at synth (lib/sites/capacity.ts): pin what is counted.
          // Fixed pools keep their user data as it was (the kubelet's default is the same 110).
          ...(spec.autoscaling ? { maxPods: MAX_PODS_PER_NODE } : {}),
        }),
      }),
    );

    this.apiAddress = this.apiLoadBalancer.publicAddress;
    this.apiEndpoint = `https://${this.apiAddress}:${API_PORT}`;
    this.clusterCaCertificate = this.pki.serverCa.certPem;
    this.platformClientCertificate = this.pki.platformDeployer.certPem;
    this.platformClientKey = this.pki.platformDeployer.keyPem;
    this.ingressAddress = this.ingressLoadBalancer.publicAddress;
    this.breakGlassKubeconfig = kubeconfigYaml({
      name,
      server: this.apiEndpoint,
      caPem: this.clusterCaCertificate,
      certPem: this.pki.admin.certPem,
      keyPem: this.pki.admin.keyPem,
    });
  }

  /**
   * The registry mirrors of every node, with each password read from the
   * sensitive variable the config names (declared once per stack): the
   * password never appears in the config or the synthesized JSON.
   */
  private registries(cluster: EnvironmentConfig): Rke2Registries | undefined {
    const config = cluster.registries;
    if (!config) return undefined;
    const stack = TerraformStack.of(this);
    const password = (name: string) =>
      ((stack.node.tryFindChild(name) as TerraformVariable | undefined) ??
        new TerraformVariable(stack, name, {
          type: 'string',
          sensitive: true,
          nullable: false,
          description: `Password of a container registry mirror of the nodes (registries in the platform config); set TF_VAR_${name} from your secret store.`,
        })
      ).stringValue;
    return {
      mirrors: config.mirrors,
      configs: Object.fromEntries(
        Object.entries(config.configs).map(([host, c]) => [host, { username: c.auth.username, password: password(c.auth.passwordVariable) }]),
      ),
    };
  }

  /**
   * Outputs for operators and for the platform stack, which reads them from
   * this stack's state (a reader copies every output into its own state): the
   * API, its CA, the platform stacks' RBAC-bound certificate, the addresses,
   * and on a cluster with workload containers their S3 keys. Never the
   * break-glass certificate nor the etcd snapshots' keys: those stay in this
   * state, the kubeconfig in `terraform_data.break_glass_kubeconfig`.
   */
  addOutputs(scope: Construct): void {
    const out = (id: string, value: string, description: string, sensitive = false) =>
      new TerraformOutput(scope, id, { value, description, sensitive });
    out('api_endpoint', this.apiEndpoint, 'Kubernetes API through the API load balancer');
    out('api_address', this.apiAddress, 'Public IPv4 of the API load balancer (tenant pods are denied it)');
    out('cluster_ca_certificate', this.clusterCaCertificate, 'PEM of the cluster CA (server CA)');
    out('platform_client_certificate', this.platformClientCertificate, 'PEM of the platform stacks\' client certificate (cluster-admin by RBAC)', true);
    out('platform_client_key', this.platformClientKey, 'PEM of the platform stacks\' client key', true);
    out('ingress_ip', this.ingressAddress, 'Public IPv4 of the ingress load balancer; point the sites here');
    const workload = this.backups.workloadKeys;
    if (workload) {
      out('workload_s3_access_key', workload.accessKey, 'S3 access key of the workload containers (an EC2 credential of their own)', true);
      out('workload_s3_secret_key', workload.secretKey, 'S3 secret key of the workload containers', true);
    }
    new TerraformOutput(scope, 'nodes', {
      value: [this.servers, ...this.agentPools].flatMap((pool) => pool.rolloutLines()).join('\n'),
      description: 'One line per node for scripts/roll-nodes.sh: role pool name instance-address flavor-now flavor-configured',
    });
    // Only where a pool autoscales, so that fixed clusters' JSON stays as it was. npm run cost
    // reads it to price each autoscaled pool up to its maximum.
    if (Object.keys(this.autoscaledPools).length > 0) {
      new TerraformOutput(scope, AUTOSCALED_POOLS_OUTPUT, {
        value: Object.fromEntries(
          Object.entries(this.autoscaledPools).map(([pool, range]) => [pool, { min_nodes: range.minNodes, max_nodes: range.maxNodes }]),
        ),
        description: 'Autoscaled agent pools: OpenTofu makes min_nodes; the cluster-autoscaler may add nodes up to max_nodes',
      });
    }
    new TerraformOutput(scope, 'backup_buckets', {
      value: this.backups.bucketNames,
      description: 'Object storage containers (S3 buckets) of this cluster',
    });
    // Break-glass access (system:masters) for operators, kept out of the outputs
    // so that no other stack's state gets a copy. README: "Break-glass access".
    new DataResource(scope, 'break_glass_kubeconfig', { input: { kubeconfig: this.breakGlassKubeconfig } });
  }
}

/** A kubeconfig for one cluster and one client certificate, rendered from an object. */
export function kubeconfigYaml(p: { name: string; server: string; caPem: string; certPem: string; keyPem: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: p.name, cluster: { server: p.server, 'certificate-authority-data': Fn.base64encode(p.caPem) } }],
    users: [
      {
        name: `${p.name}-admin`,
        user: {
          'client-certificate-data': Fn.base64encode(p.certPem),
          'client-key-data': Fn.base64encode(p.keyPem),
        },
      },
    ],
    contexts: [{ name: p.name, context: { cluster: p.name, user: `${p.name}-admin` } }],
    'current-context': p.name,
  });
}
