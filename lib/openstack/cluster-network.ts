import { Construct } from 'constructs';
import { DataOpenstackNetworkingNetworkV2 } from '../../.gen/providers/openstack/data-openstack-networking-network-v2';
import { NetworkingNetworkV2 } from '../../.gen/providers/openstack/networking-network-v2';
import { NetworkingRouterInterfaceV2 } from '../../.gen/providers/openstack/networking-router-interface-v2';
import { NetworkingRouterV2 } from '../../.gen/providers/openstack/networking-router-v2';
import { NetworkingSubnetV2 } from '../../.gen/providers/openstack/networking-subnet-v2';
import { DEFAULT_DNS_SERVERS, DEFAULT_EXTERNAL_NETWORK } from '../config/infomaniak';
import { addressPlanProblems, type AddressPlan } from '../net/cidr';

export interface ClusterNetworkProps {
  /** Prefix of every resource name, e.g. `webhost-production`. */
  readonly namePrefix: string;
  /** The cluster's private network, e.g. `10.20.0.0/16`. */
  readonly cidr: string;
  /** Subnet of the control-plane servers, inside `cidr`. */
  readonly serversSubnetCidr: string;
  /** Subnet of the agents, inside `cidr`, apart from the servers subnet. */
  readonly agentsSubnetCidr: string;
  /**
   * Resolvers handed out by DHCP.
   * @default ClusterNetwork.DEFAULT_DNS_SERVERS (Quad9)
   */
  readonly dnsServers?: string[];
  /**
   * External network the router's gateway sits on.
   * @default ClusterNetwork.DEFAULT_EXTERNAL_NETWORK ('ext-floating1')
   */
  readonly externalNetworkName?: string;
  /**
   * Tags set on the network, subnets and router.
   * @default - none
   */
  readonly tags?: string[];
}

/**
 * A cluster's private network: one network, a servers (control-plane) subnet
 * and an agents subnet, and a router with its gateway on the external network
 * and an interface in each subnet.
 */
export class ClusterNetwork extends Construct {
  static readonly DEFAULT_DNS_SERVERS: readonly string[] = DEFAULT_DNS_SERVERS;
  static readonly DEFAULT_EXTERNAL_NETWORK = DEFAULT_EXTERNAL_NETWORK;

  readonly network: NetworkingNetworkV2;
  readonly serversSubnet: NetworkingSubnetV2;
  readonly agentsSubnet: NetworkingSubnetV2;
  readonly router: NetworkingRouterV2;
  /** The external network, looked up by name. */
  readonly externalNetwork: DataOpenstackNetworkingNetworkV2;

  constructor(scope: Construct, id: string, props: ClusterNetworkProps) {
    super(scope, id);
    const plan: AddressPlan = {
      networkCidr: props.cidr,
      serversSubnetCidr: props.serversSubnetCidr,
      agentsSubnetCidr: props.agentsSubnetCidr,
    };
    const problems = addressPlanProblems(plan);
    if (problems.length > 0) {
      const lines = problems.map(
        (p) => `${p.field === 'networkCidr' ? 'cidr' : p.field} ${JSON.stringify(plan[p.field])}: ${p.message}`,
      );
      throw new Error(`${this.node.path}: invalid address plan:\n  ${lines.join('\n  ')}`);
    }
    const dnsServers = props.dnsServers ?? [...ClusterNetwork.DEFAULT_DNS_SERVERS];
    const tags = props.tags;

    this.externalNetwork = new DataOpenstackNetworkingNetworkV2(this, 'ExternalNetwork', {
      name: props.externalNetworkName ?? ClusterNetwork.DEFAULT_EXTERNAL_NETWORK,
      external: true,
    });
    this.network = new NetworkingNetworkV2(this, 'Network', {
      name: `${props.namePrefix}-net`,
      adminStateUp: true,
      tags,
    });
    const subnet = (id: string, role: string, cidr: string) =>
      new NetworkingSubnetV2(this, id, {
        name: `${props.namePrefix}-${role}`,
        networkId: this.network.id,
        cidr,
        ipVersion: 4,
        enableDhcp: true,
        dnsNameservers: dnsServers,
        tags,
      });
    this.serversSubnet = subnet('ServersSubnet', 'servers', props.serversSubnetCidr);
    this.agentsSubnet = subnet('AgentsSubnet', 'agents', props.agentsSubnetCidr);

    this.router = new NetworkingRouterV2(this, 'Router', {
      name: `${props.namePrefix}-router`,
      adminStateUp: true,
      externalNetworkId: this.externalNetwork.id,
      tags,
    });
    for (const [id, s] of [['ServersRouterInterface', this.serversSubnet], ['AgentsRouterInterface', this.agentsSubnet]] as const) {
      new NetworkingRouterInterfaceV2(this, id, { routerId: this.router.id, subnetId: s.id });
    }
  }
}
