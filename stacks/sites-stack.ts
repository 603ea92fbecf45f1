import { DefaultTokenResolver, StringConcat, TerraformElement, TerraformStack, Tokenization } from 'cdktf';
import type { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { isPlain } from '../lib/cdktf/plain-values';
import type { CloudConfig, StateConfig } from '../lib/config';
import type { Shard, SitesCatalog } from '../lib/sites';
import { Website } from '../lib/sites/website';
import { configureState } from '../lib/state/backend';
import type { ClusterStack } from './cluster-stack';

export interface SitesStackProps {
  readonly state: StateConfig;
  readonly cloud: CloudConfig;
  /** The environment's cluster stack: the provider reads its outputs from its state. */
  readonly cluster: ClusterStack;
  readonly shard: Shard;
  /**
   * Stacks to apply before this one without reading them: the environment's
   * platform stack (ingress class, ClusterIssuer) comes before its sites.
   * @default - none
   */
  readonly after?: readonly TerraformStack[];
  /** The catalog's testDomain: on test a site is served as <name>.<testDomain>. */
  readonly testDomain: SitesCatalog['testDomain'];
}

/**
 * One shard of an environment's tenant websites (`production-sites-NN`). Its
 * kubernetes provider is configured from the cluster stack's named outputs,
 * read from that stack's (encrypted) state.
 */
export class SitesStack extends TerraformStack {
  readonly websites: readonly Website[];

  constructor(scope: Construct, id: string, props: SitesStackProps) {
    super(scope, id);
    const { cluster, shard } = props;
    configureState(this, props.state, props.cloud);
    // The cluster stack's own outputs (api_endpoint, ...), not cdktf's generated
    // cross-stack outputs: the cluster stacks stay unchanged by the sites.
    const clusterState = cluster.ensureBackendExists().getRemoteStateDataSource(this, 'ClusterState', cluster.node.id);
    this.addDependency(cluster);
    for (const stack of props.after ?? []) this.addDependency(stack);
    new KubernetesProvider(this, 'kubernetes', {
      host: clusterState.getString('api_endpoint'),
      clusterCaCertificate: clusterState.getString('cluster_ca_certificate'),
      clientCertificate: clusterState.getString('client_certificate'),
      clientKey: clusterState.getString('client_key'),
    });
    this.websites = shard.sites.map(
      (site) =>
        new Website(this, site.name, {
          name: site.name,
          hosts: shard.environment === 'production' ? site.hosts : [`${site.name}.${props.testDomain}`],
          image: site.image,
          port: site.port,
          healthPath: site.healthPath,
          ...site.resources,
          ...site.autoscaling,
        }),
    );
  }

  /**
   * cdktf's preparing pass resolves every element once to discover cross-stack
   * references. A site's resources are plain values and reference nothing, so
   * only the elements that hold tokens (provider, remote state) are resolved.
   */
  prepareStack(): void {
    this.ensureBackendExists();
    for (const element of this.node.findAll()) {
      if (!TerraformElement.isTerraformElement(element) || TerraformStack.of(element) !== this) continue;
      const json = element.toTerraform();
      if (!isPlain(json)) Tokenization.resolve(json, { scope: this, preparing: true, resolver: PREPARING_RESOLVER });
    }
  }
}

const PREPARING_RESOLVER = new DefaultTokenResolver(new StringConcat());
