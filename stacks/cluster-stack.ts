import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import type { CloudConfig, EnvironmentConfig, EnvironmentName } from '../lib/config';
import { ClusterNetwork } from '../lib/openstack/cluster-network';
import { useLocalState } from '../lib/state/local-backend';

export interface ClusterStackProps {
  readonly platformName: string;
  readonly environment: EnvironmentName;
  readonly cloud: CloudConfig;
  readonly cluster: EnvironmentConfig;
}

/**
 * One environment's OpenStack resources. Credentials come from the OS_*
 * environment variables or clouds.yaml when tofu runs, never from this JSON.
 */
export class ClusterStack extends TerraformStack {
  readonly network: ClusterNetwork;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    const { cloud, cluster } = props;
    useLocalState(this);
    new OpenstackProvider(this, 'openstack', { authUrl: cloud.authUrl, region: cloud.region });

    this.network = new ClusterNetwork(this, 'Network', {
      namePrefix: `${props.platformName}-${props.environment}`,
      cidr: cluster.network.cidr,
      serversSubnetCidr: cluster.network.serversSubnetCidr,
      agentsSubnetCidr: cluster.network.agentsSubnetCidr,
      dnsServers: cloud.dnsServers,
      externalNetworkName: cloud.externalNetwork,
      tags: [`platform=${props.platformName}`, `environment=${props.environment}`],
    });
  }
}
