import type { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { FastStack } from '../lib/cdktf/fast-stack';
import type { CloudConfig, StateConfig } from '../lib/config';
import type { Shard } from '../lib/sites';
import { Website } from '../lib/sites/website';
import { configureState } from '../lib/state/backend';
import type { ClusterStack } from './cluster-stack';
import { SITES_ACCESS_OUTPUT, type PlatformStack } from './platform-stack';

export interface SitesStackProps {
  readonly state: StateConfig;
  readonly cloud: CloudConfig;
  /** The environment's cluster stack: applied before this one, never read. */
  readonly cluster: ClusterStack;
  /**
   * The environment's platform stack (ingress class, ClusterIssuer, the sites
   * deployer): the provider reads its `sites_access` output, nothing else.
   */
  readonly platform: PlatformStack;
  readonly shard: Shard;
  /**
   * Where the environment is a preview (not protected): its domain, each site
   * served as <name>.<previewDomain> (test: the catalog's testDomain). Absent:
   * the sites are served on their own hosts.
   */
  readonly previewDomain?: string;
}

/**
 * One shard of an environment's tenant websites (`production-sites-NN`). Its
 * kubernetes provider authenticates as the sites deployer (RBAC-bound to
 * `site-*` namespaces), read from the platform stack's `sites_access` output:
 * this state never holds the cluster's admin or platform credentials.
 */
export class SitesStack extends FastStack {
  readonly websites: readonly Website[];

  constructor(scope: Construct, id: string, props: SitesStackProps) {
    super(scope, id);
    const { cluster, shard } = props;
    configureState(this, props.state, props.cloud);
    const platformState = props.platform
      .ensureBackendExists()
      .getRemoteStateDataSource(this, 'PlatformState', props.platform.node.id);
    this.addDependency(cluster);
    this.addDependency(props.platform);
    const access = (key: string) => platformState.getString(`${SITES_ACCESS_OUTPUT}.${key}`);
    new KubernetesProvider(this, 'kubernetes', {
      host: access('host'),
      clusterCaCertificate: access('cluster_ca_certificate'),
      token: access('token'),
    });
    // The API's public address: a site's own policies deny it too (the cluster-wide layer does).
    // Resolved here, once per shard, to the Terraform expression it stands for:
    // every value of every site is then plain and never goes through the resolver.
    const apiAddress = this.expressionOf(access('api_address'));
    const deniedEgressCidrs = [`${apiAddress}/32`];
    this.websites = shard.sites.map(
      (site) =>
        new Website(this, site.name, {
          name: site.name,
          hosts: props.previewDomain === undefined ? site.hosts : [`${site.name}.${props.previewDomain}`],
          image: site.image,
          port: site.port,
          healthPath: site.healthPath,
          ...site.resources,
          ...site.autoscaling,
          securityContext: site.securityContext,
          deniedEgressCidrs,
        }),
    );
  }
}
