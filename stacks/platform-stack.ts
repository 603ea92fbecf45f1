import { Fn, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { defaultSitesEnvironment, toolsEnvironment, type CloudConfig, type EnvironmentConfig, type EnvironmentName, type StateConfig } from '../lib/config';
import { tenantOf } from '../lib/platform/config';
import { CertManager } from '../lib/platform/cert-manager';
import type { PlatformLayerConfig } from '../lib/platform/config';
import { CLUSTER_API_OUTPUT, CLUSTER_API_SECRETS_OUTPUT } from '../lib/platform/cluster-api-cloud';
import { IngressController, INGRESS_NAMESPACE, ingressProxySources } from '../lib/platform/ingress';
import { Monitoring } from '../lib/platform/monitoring';
import { NodeAutoscaling } from '../lib/platform/node-autoscaling';
import { SitesDeployer } from '../lib/platform/sites-deployer';
import { MAX_PODS_PER_NODE } from '../lib/rke2/kubelet';
import { SystemUpgrade } from '../lib/platform/system-upgrade';
import { TelemetryAgent, TELEMETRY_NAMESPACE } from '../lib/platform/telemetry-agent';
import { TenantGuardrails } from '../lib/platform/tenant-guardrails';
import { configureState } from '../lib/state/backend';
import type { ClusterStack } from './cluster-stack';

/**
 * Output of production-platform and test-platform: the one thing the sites
 * stacks read (API endpoint, CA, the sites deployer's token, the API's public
 * address), so that their states hold no other credential.
 */
export const SITES_ACCESS_OUTPUT = 'sites_access';

/** Variable of production-platform and test-platform holding the cluster's write-path password. */
export const TELEMETRY_PASSWORD_VARIABLE = 'telemetry_password';

export interface PlatformStackProps {
  readonly environment: EnvironmentName;
  readonly state: StateConfig;
  /** The project's cloud section: the state lives in its region. */
  readonly cloud: CloudConfig;
  /**
   * Every environment of the config, in its order, with its role: the tools
   * environment keeps a telemetry tenant for each, and is every other one's
   * telemetry target.
   */
  readonly environments: Readonly<Record<EnvironmentName, Pick<EnvironmentConfig, 'role' | 'protected'>>>;
  /** The environment's section of the config (ingress NodePorts, address plan). */
  readonly cluster: EnvironmentConfig;
  /** The environment's cluster stack: the providers read its outputs (cross-stack references). */
  readonly clusterStack: ClusterStack;
  readonly layer: PlatformLayerConfig;
}

/**
 * An environment's platform layer (`<env>-platform`): Traefik, cert-manager and
 * its ClusterIssuer, the tenant guardrails, the telemetry agent and the in-place
 * RKE2 upgrade (system-upgrade-controller and its Plans); on tools also
 * Mimir, Loki and Grafana. Its kubernetes and helm providers are configured from
 * the cluster stack's state, never from values created in the same apply.
 */
export class PlatformStack extends TerraformStack {
  readonly environment: EnvironmentName;
  readonly ingress: IngressController;
  readonly certManager: CertManager;
  readonly guardrails: TenantGuardrails;
  /** Where the config has a tools environment: this cluster's metrics and logs go there. */
  readonly telemetry?: TelemetryAgent;
  readonly systemUpgrade: SystemUpgrade;
  /** Only on tools. */
  readonly monitoring?: Monitoring;
  /** Only where an agent pool autoscales: Cluster API, CAPO and the cluster-autoscaler. */
  readonly nodeAutoscaling?: NodeAutoscaling;
  /** The sites stacks' identity; not on tools, which has no sites. */
  readonly sitesDeployer?: SitesDeployer;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const { layer, cluster } = props;
    const rke2 = props.clusterStack.cluster;
    this.environment = props.environment;
    configureState(this, props.state, props.cloud);
    // The cluster stack's own named outputs (api_endpoint, ...), read from its
    // state as the sites stacks do, rather than cdktf's generated cross-stack
    // outputs: the outputs are the contract, and the cluster stacks stay as they are.
    const clusterState = props.clusterStack
      .ensureBackendExists()
      .getRemoteStateDataSource(this, 'ClusterState', props.clusterStack.node.id);
    this.addDependency(props.clusterStack);
    const credentials = {
      host: clusterState.getString('api_endpoint'),
      clusterCaCertificate: clusterState.getString('cluster_ca_certificate'),
      // Cluster-admin through a ClusterRoleBinding (revocable), not system:masters.
      clientCertificate: clusterState.getString('platform_client_certificate'),
      clientKey: clusterState.getString('platform_client_key'),
    };
    new KubernetesProvider(this, 'kubernetes', credentials);
    new HelmProvider(this, 'helm', { kubernetes: credentials });
    new RandomProvider(this, 'random', {});

    this.ingress = new IngressController(this, 'Ingress', {
      httpNodePort: cluster.ingress.httpNodePort,
      httpsNodePort: cluster.ingress.httpsNodePort,
      replicas: layer.ingress.replicas,
      proxyProtocolTrustedCidrs: ingressProxySources(cluster),
    });
    this.certManager = new CertManager(this, 'CertManager', { acmeEmail: layer.acmeEmail });
    this.guardrails = new TenantGuardrails(this, 'TenantGuardrails', {
      networkCidr: cluster.network.cidr,
      serviceCidr: cluster.kubernetes.serviceCidr,
      allowIngressFromNamespaces: [INGRESS_NAMESPACE, TELEMETRY_NAMESPACE],
      releaseNamespace: 'kube-system',
      apiPublicAddress: clusterState.getString('api_address'),
    });

    if (cluster.agentPools.some((pool) => pool.autoscaling)) {
      const outputs = (key: string) => clusterState.getString(`${CLUSTER_API_OUTPUT}.${key}`);
      const secrets = (key: string) => clusterState.getString(`${CLUSTER_API_SECRETS_OUTPUT}.${key}`);
      this.nodeAutoscaling = new NodeAutoscaling(this, 'NodeAutoscaling', {
        clusterName: props.clusterStack.clusterName,
        pools: cluster.agentPools,
        authUrl: cluster.authUrl,
        region: cluster.region,
        podCidr: cluster.kubernetes.podCidr,
        serviceCidr: cluster.kubernetes.serviceCidr,
        kubernetesVersion: cluster.kubernetes.version,
        maxPods: MAX_PODS_PER_NODE,
        tags: props.clusterStack.tags,
        cloud: {
          networkId: outputs('network_id'),
          agentsSubnetId: outputs('agents_subnet_id'),
          agentsSecurityGroupId: outputs('agents_security_group_id'),
          imageId: outputs('image_id'),
          apiHost: outputs('api_host'),
          serverGroupId: (pool) => Fn.lookup(clusterState.get(`${CLUSTER_API_OUTPUT}.server_groups`), pool),
          agentUserData: (pool) => Fn.lookup(clusterState.get(`${CLUSTER_API_SECRETS_OUTPUT}.agent_user_data`), pool),
          applicationCredentialId: secrets('application_credential_id'),
          applicationCredentialSecret: secrets('application_credential_secret'),
          clusterCaCertificate: credentials.clusterCaCertificate,
        },
        certManager: this.certManager.release.release,
      });
    }

    // The version new nodes install (cluster stack) is the one running nodes are upgraded to.
    this.systemUpgrade = new SystemUpgrade(this, 'SystemUpgrade', { rke2Version: cluster.kubernetes.version });

    const environments = Object.keys(props.environments);
    const tools = toolsEnvironment(props);
    let password: string | undefined;
    if (props.environments[props.environment].role === 'tools') {
      this.monitoring = new Monitoring(this, 'Monitoring', {
        objectStorage: {
          // Names, endpoint and region are config values; only the keys come from the state.
          bucketNames: rke2.backups.bucketNames,
          s3EndpointHost: rke2.backups.s3EndpointHost,
          region: rke2.backups.region,
          accessKey: clusterState.getString('workload_s3_access_key'),
          secretKey: clusterState.getString('workload_s3_secret_key'),
        },
        tenants: Object.fromEntries(environments.map((env) => [env, tenantOf(layer, env)])),
        defaultEnvironment: defaultSitesEnvironment(props),
        grafanaHost: layer.tools.grafanaHost,
        grafanaAllowedCidrs: layer.tools.grafanaAllowedCidrs,
        allowWorldGrafana: layer.tools.allowWorldGrafana,
        metricsHost: layer.tools.metricsHost,
        logsHost: layer.tools.logsHost,
        metricsRetentionDays: layer.retention.metricsDays,
        logsRetentionDays: layer.retention.logsDays,
        ingressController: this.ingress.release.release,
        clusterIssuer: this.certManager.issuers.release,
      });
      password = this.monitoring.tenantPasswords[props.environment].result;
      for (const env of environments.filter((name) => name !== props.environment)) {
        new TerraformOutput(this, `telemetry_password_${env}`, {
          value: this.monitoring.tenantPasswords[env].result,
          sensitive: true,
          description: `Write-path password of the ${env} cluster: copy it into ${env}-platform's TF_VAR_${TELEMETRY_PASSWORD_VARIABLE}`,
        });
      }
      new TerraformOutput(this, 'grafana_admin_password', {
        value: this.monitoring.grafanaAdminPassword.result,
        sensitive: true,
        description: `Grafana's admin password (user admin), https://${layer.tools.grafanaHost}`,
      });
    }
    if (props.environments[props.environment].role === 'sites') {
      this.sitesDeployer = new SitesDeployer(this, 'SitesDeployer', { namespace: 'kube-system' });
      new TerraformOutput(this, SITES_ACCESS_OUTPUT, {
        sensitive: true,
        description: 'What the sites stacks read: API endpoint and CA, the sites deployer token, the API public address',
        value: {
          host: credentials.host,
          cluster_ca_certificate: credentials.clusterCaCertificate,
          token: this.sitesDeployer.token,
          api_address: clusterState.getString('api_address'),
        },
      });
    }
    if (password === undefined && tools !== undefined) {
      // Never read from tools' state: environments stay independent. The operator
      // copies tools-platform's telemetry_password_<env> output into CI.
      password = new TerraformVariable(this, TELEMETRY_PASSWORD_VARIABLE, {
        type: 'string',
        sensitive: true,
        nullable: false,
        description: `Write-path password of this cluster's telemetry tenant (TF_VAR_${TELEMETRY_PASSWORD_VARIABLE}), from ${tools}-platform's output telemetry_password_${props.environment}.`,
      }).stringValue;
    }
    // Without a tools environment there is nowhere to send metrics and logs: no agent.
    if (password !== undefined) {
      this.telemetry = new TelemetryAgent(this, 'Telemetry', {
        clusterName: props.environment,
        tenantId: tenantOf(layer, props.environment),
        metricsUrl: `https://${layer.tools.metricsHost}/api/v1/push`,
        logsUrl: `https://${layer.tools.logsHost}/loki/api/v1/push`,
        password,
      });
    }
  }
}

