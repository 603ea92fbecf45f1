import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { IdentityApplicationCredentialV3 } from '../../.gen/providers/openstack/identity-application-credential-v3';
import type { Rke2Cluster } from '../rke2/rke2-cluster';

/**
 * Outputs of a cluster stack with an autoscaled pool (README, "Node
 * autoscaling"): what its platform stack hands Cluster API and CAPO. Absent
 * where every pool is fixed, so that such a cluster's JSON stays as it was.
 */
export const CLUSTER_API_OUTPUT = 'cluster_api';
/** The sensitive half: CAPO's application credential and the autoscaled pools' user data. */
export const CLUSTER_API_SECRETS_OUTPUT = 'cluster_api_secrets';

export interface ClusterApiCloudAccessProps {
  /** Prefix of the resource names, e.g. `webhost-production`. */
  readonly name: string;
  readonly cluster: Rke2Cluster;
}

/**
 * The cloud side of a cluster's autoscaled pools, in its cluster stack: an
 * application credential of CAPO's own, and the outputs naming what CAPO is
 * handed as existing (network, agents subnet and security group, each
 * autoscaled pool's server group, the node image, the API's private address)
 * and the pools' agent user data, so that a machine CAPO creates boots as the
 * pool's Terraform nodes do.
 */
export class ClusterApiCloudAccess extends Construct {
  /**
   * Roles of CAPO's credential: `member` (create and delete servers, ports,
   * boot volumes; read images, flavors, networks), and `reader`, which member
   * implies and Keystone adds anyway: listed so that the next plan does not
   * replace the credential. Restricted (not `unrestricted`): it cannot make
   * credentials of its own.
   */
  static readonly ROLES: readonly string[] = ['member', 'reader'];

  readonly credential: IdentityApplicationCredentialV3;
  private readonly cluster: Rke2Cluster;

  constructor(scope: Construct, id: string, props: ClusterApiCloudAccessProps) {
    super(scope, id);
    const pools = Object.keys(props.cluster.autoscaledPools);
    if (pools.length === 0) throw new Error(`${this.node.path}: no agent pool of ${props.name} autoscales; create ClusterApiCloudAccess only where one does`);
    this.cluster = props.cluster;
    this.credential = new IdentityApplicationCredentialV3(this, 'Credential', {
      name: `${props.name}-cluster-api`,
      description: `Cluster API OpenStack provider (CAPO) of ${props.name}: creates and deletes the autoscaled agents`,
      roles: [...ClusterApiCloudAccess.ROLES],
    });
  }

  /** The two outputs the platform stack reads (CLUSTER_API_OUTPUT, CLUSTER_API_SECRETS_OUTPUT). */
  addOutputs(scope: Construct): void {
    const cluster = this.cluster;
    const autoscaled = cluster.agentPools.filter((pool) => pool.poolName in cluster.autoscaledPools);
    new TerraformOutput(scope, CLUSTER_API_OUTPUT, {
      description: 'What Cluster API and CAPO are handed as existing: network, agents subnet and security group, node image, API private address, server group per autoscaled pool',
      value: {
        network_id: cluster.network.network.id,
        agents_subnet_id: cluster.network.agentsSubnet.id,
        agents_security_group_id: cluster.securityGroups.agents.id,
        image_id: cluster.servers.imageId,
        api_host: cluster.apiLoadBalancer.vipAddress,
        server_groups: Object.fromEntries(autoscaled.map((pool) => [pool.poolName, pool.serverGroup.id])),
      },
    });
    new TerraformOutput(scope, CLUSTER_API_SECRETS_OUTPUT, {
      sensitive: true,
      description: "CAPO's application credential and the agent user data (join token) of each autoscaled pool",
      value: {
        application_credential_id: this.credential.id,
        application_credential_secret: this.credential.secret,
        agent_user_data: Object.fromEntries(autoscaled.map((pool) => [pool.poolName, pool.userData])),
      },
    });
  }
}
