import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../lib/config';
import { CLUSTER_API_OUTPUT, CLUSTER_API_SECRETS_OUTPUT, ClusterApiCloudAccess } from '../lib/platform/cluster-api-cloud';
import { synthPlatform } from './support/synth';

/**
 * The cluster side of an autoscaled pool, as synthesized: the cluster stack's
 * credential and outputs for CAPO, and the platform stack's controllers,
 * objects, Secrets and cluster-autoscaler. None of it where every pool is fixed.
 */
const defaultText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');
function configWith(change: (config: any) => void) {
  const raw = parse(defaultText);
  change(raw);
  return parsePlatformConfig(stringify(raw), 'platform.yaml');
}
const autoscaled = configWith((c) => {
  delete c.environments.production.agentPools[0].count;
  c.environments.production.agentPools[0].autoscaling = { minNodes: 6, maxNodes: 12 };
});
const base = synthPlatform().json;
const scaled = synthPlatform(autoscaled).json;
const production = scaled.production;

const byName = (stack: any, type: string, fragment: string) =>
  Object.entries<any>(stack.resource?.[type] ?? {}).filter(([name]) => name.includes(fragment)).map(([, body]) => body);

describe('cluster stack', () => {
  test('a cluster whose pools are all fixed has no Cluster API credential or output', () => {
    for (const env of ['tools', 'production', 'test']) {
      expect(Object.keys(base[env].output)).not.toContain(CLUSTER_API_OUTPUT);
      expect(Object.keys(base[env].output)).not.toContain(CLUSTER_API_SECRETS_OUTPUT);
      expect(byName(base[env], 'openstack_identity_application_credential_v3', 'ClusterApi')).toEqual([]);
    }
  });

  test("CAPO's own application credential: member and reader listed, restricted", () => {
    const [credential] = byName(production, 'openstack_identity_application_credential_v3', 'ClusterApi');
    expect(credential).toMatchObject({ name: 'webhost-production-cluster-api', roles: ['member', 'reader'] });
    expect(credential).not.toHaveProperty('unrestricted');
    expect(ClusterApiCloudAccess.ROLES).toEqual(['member', 'reader']);
  });

  test('the outputs name what CAPO is handed as existing, and the secrets are a sensitive output', () => {
    const out = production.output[CLUSTER_API_OUTPUT];
    expect(out.sensitive).toBeUndefined();
    expect(out.value).toEqual({
      network_id: expect.stringMatching(/^\$\{openstack_networking_network_v2\.Cluster_Network_[0-9A-F]+\.id\}$/),
      agents_subnet_id: expect.stringMatching(/^\$\{openstack_networking_subnet_v2\.\w*AgentsSubnet\w*\.id\}$/),
      agents_security_group_id: expect.stringMatching(/^\$\{openstack_networking_secgroup_v2\.\w*SecurityGroups_\w*[Aa]gents\w*\.id\}$/),
      image_id: expect.stringMatching(/^\$\{data\.openstack_images_image_v2\.\w*NodeImage\w*\.id\}$/),
      api_host: expect.stringMatching(/^\$\{openstack_lb_loadbalancer_v2\.\w*ApiLoadBalancer\w*\.vip_address\}$/),
      server_groups: { web: expect.stringMatching(/^\$\{openstack_compute_servergroup_v2\.\w*AgentPool-web_ServerGroup\w*\.id\}$/) },
    });
    const secrets = production.output[CLUSTER_API_SECRETS_OUTPUT];
    expect(secrets.sensitive).toBe(true);
    expect(secrets.value.application_credential_id).toMatch(/^\$\{openstack_identity_application_credential_v3\.\w*ClusterApi_Credential\w*\.id\}$/);
    expect(secrets.value.application_credential_secret).toMatch(/^\$\{openstack_identity_application_credential_v3\.\w*ClusterApi_Credential\w*\.secret\}$/);
    // The very user data the pool's Terraform instances boot with.
    const [instance] = byName(production, 'openstack_compute_instance_v2', 'AgentPool-web_Node1');
    expect(secrets.value.agent_user_data).toEqual({ web: instance.user_data });
  });
});

describe('platform stack', () => {
  const platform = scaled['production-platform'];
  const { parse: parseYaml, parseAllDocuments } = require('yaml') as typeof import('yaml');
  const releases = Object.values<any>(platform.resource.helm_release);
  const release = (name: string) => releases.find((r) => r.name === name);
  const values = (name: string) => parseYaml(release(name).values[0]).objects as any[];
  const address = (type: string, fragment: string) => `${type}.${Object.keys(platform.resource[type]).find((n) => n.includes(fragment))}`;
  const secret = (fragment: string) => byName(platform, 'kubernetes_secret_v1', `NodeAutoscaling_${fragment}`)[0];

  test('nothing of it in a platform stack whose pools are all fixed', () => {
    for (const env of ['tools-platform', 'production-platform', 'test-platform']) {
      const names = Object.values<any>(base[env].resource).flatMap((items) => Object.keys(items));
      expect(names.filter((n) => n.includes('NodeAutoscaling'))).toEqual([]);
    }
    expect(Object.keys(scaled['test-platform'].resource.helm_release ?? {}).filter((n) => n.includes('NodeAutoscaling'))).toEqual([]);
  });

  test('the controllers: the vendored core and CAPO releases, after cert-manager, CAPO after core, in restricted namespaces', () => {
    const { CLUSTER_API } = require('../lib/platform/cluster-api') as typeof import('../lib/platform/cluster-api');
    expect(release('cluster-api-core')).toMatchObject({ repository: '../../../charts', chart: 'cluster-api-core', version: '1.13.6', namespace: expect.stringContaining('CoreNamespace') });
    expect(release('cluster-api-core').depends_on).toEqual([address('helm_release', 'CertManager_Release')]);
    expect(release('cluster-api-openstack')).toMatchObject({ chart: 'cluster-api-openstack', version: '0.13.0' });
    expect(release('cluster-api-openstack').depends_on).toEqual([address('helm_release', 'CertManager_Release'), address('helm_release', 'NodeAutoscaling_Core_Release')]);
    const namespaces = byName(platform, 'kubernetes_namespace_v1', 'NodeAutoscaling').map((n) => n.metadata);
    expect(namespaces.map((m) => m.name).sort()).toEqual(['capi-system', 'capo-system', 'cluster-api', 'cluster-autoscaler']);
    for (const m of namespaces) expect(m.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // The vendored files are the releases' own components at the pinned images (check:cluster-api rebuilds them).
    const files = {
      core: readFileSync('charts/cluster-api-core/files/core-components.yaml', 'utf8'),
      capo: readFileSync('charts/cluster-api-openstack/files/infrastructure-components.yaml', 'utf8'),
      orc: readFileSync('charts/cluster-api-openstack/files/orc-images-crd.yaml', 'utf8'),
    };
    const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
    const images = (text: string) => docs(text).filter((d) => d.kind === 'Deployment').flatMap((d) => d.spec.template.spec.containers.map((c: any) => [c.image, c.imagePullPolicy]));
    expect(images(files.core)).toEqual([[CLUSTER_API.core.image, 'IfNotPresent']]);
    expect(images(files.capo)).toEqual([[CLUSTER_API.openstack.image, 'IfNotPresent']]);
    expect(docs(files.orc).map((d) => d.metadata.name)).toEqual(['images.openstack.k-orc.cloud']);
    for (const text of [files.core, files.capo]) {
      expect(docs(text).filter((d) => d.kind === 'Namespace')).toEqual([]);
      expect(text).not.toMatch(/\$\{[A-Za-z_]/);
    }
    // The CAPO CRDs declare the v1beta1 contract only; core CAPI v1.13 reads that label as compatible (README).
    expect(docs(files.capo).filter((d) => d.kind === 'CustomResourceDefinition').map((d) => d.metadata.labels['cluster.x-k8s.io/v1beta1'])).toEqual(Array(6).fill('v1beta1'));
    for (const chart of ['cluster-api-core', 'cluster-api-openstack']) {
      expect(parseYaml(readFileSync(`charts/${chart}/Chart.yaml`, 'utf8')).version).toBe(release(chart).version);
    }
  });

  test("CAPO's clouds.yaml and the bootstrap data are Secrets of the kubernetes provider, never in Helm values", () => {
    const identity = secret('IdentitySecret');
    expect(identity.metadata).toMatchObject({ name: 'capo-cloud-config', namespace: expect.stringContaining('ObjectsNamespace') });
    expect(identity.data['clouds.yaml']).toMatch(/^\$\{jsonencode\(\{"clouds" = \{"openstack" = \{"auth" = \{"auth_url" = "https:\/\/api\.pub1\.infomaniak\.cloud\/identity\/v3", "application_credential_id" = data\.terraform_remote_state\.ClusterState\.outputs\.cluster_api_secrets\.application_credential_id, "application_credential_secret" = data\.terraform_remote_state\.ClusterState\.outputs\.cluster_api_secrets\.application_credential_secret\}, "auth_type" = "v3applicationcredential"/);
    const bootstrap = secret('Bootstrap-web');
    expect(bootstrap).toMatchObject({ type: 'cluster.x-k8s.io/secret', metadata: { name: 'webhost-production-web-bootstrap', labels: { 'cluster.x-k8s.io/cluster-name': 'webhost-production' } } });
    expect(bootstrap.data).toEqual({ format: 'cloud-config', value: '${data.terraform_remote_state.ClusterState.outputs.cluster_api_secrets.agent_user_data.web}' });
    for (const r of releases) expect(r.values.join('\n')).not.toMatch(/cluster_api_secrets|application_credential|agent_user_data/);
  });

  test('CAPI reaches its own cluster as a service account bound to what its controllers do there, no Secrets, no wildcard', () => {
    const kubeconfig = secret('Kubeconfig');
    expect(kubeconfig).toMatchObject({ type: 'cluster.x-k8s.io/secret', metadata: { name: 'webhost-production-kubeconfig', labels: { 'cluster.x-k8s.io/cluster-name': 'webhost-production' } } });
    expect(kubeconfig.data.value).toContain('"server" = join("", ["https://", data.terraform_remote_state.ClusterState.outputs.cluster_api.api_host, ":6443"])');
    expect(kubeconfig.data.value).toContain('"token" = kubernetes_secret_v1.NodeAutoscaling_WorkloadToken');
    const [role] = byName(platform, 'kubernetes_cluster_role_v1', 'NodeAutoscaling_WorkloadClusterRole');
    expect(role.rule).toEqual([
      { api_groups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch', 'update', 'delete'] },
      { api_groups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] },
      { api_groups: [''], resources: ['pods/eviction'], verbs: ['create'] },
      { api_groups: ['apps'], resources: ['daemonsets'], verbs: ['get'] },
      { api_groups: ['storage.k8s.io'], resources: ['volumeattachments'], verbs: ['get', 'list', 'watch'] },
      { non_resource_urls: ['/'], verbs: ['get'] },
    ]);
    const [binding] = byName(platform, 'kubernetes_cluster_role_binding_v1', 'NodeAutoscaling_WorkloadClusterRoleBinding');
    expect(binding.subject).toEqual([{ kind: 'ServiceAccount', name: 'cluster-api-workload', namespace: 'cluster-api' }]);
  });

  test("the ExternalControlPlane's CRD and the manager's access to it come after core Cluster API, before the objects", () => {
    expect(release('cluster-api-external-control-plane').depends_on).toEqual([address('helm_release', 'NodeAutoscaling_Core_Release')]);
    const [crd, role] = values('cluster-api-external-control-plane');
    expect(crd.metadata).toEqual({ name: 'externalcontrolplanes.controlplane.platform.webhost.ch', labels: { 'cluster.x-k8s.io/v1beta2': 'v1alpha1' } });
    // No status subresource: the status is written with the object, as nothing else writes it.
    expect(crd.spec.versions[0]).not.toHaveProperty('subresources');
    expect(role).toMatchObject({ kind: 'ClusterRole', metadata: { labels: { 'cluster.x-k8s.io/aggregate-to-manager': 'true' } } });
    expect(role.rules).toEqual([{ apiGroups: ['controlplane.platform.webhost.ch'], resources: ['externalcontrolplanes'], verbs: ['get', 'list', 'watch', 'patch', 'update'] }]);
  });

  test('the Cluster API objects are a manifests release, after the controllers and the Secrets they name', () => {
    const objects = values('cluster-api-objects');
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ExternalControlPlane cluster-api/webhost-production',
      'Cluster cluster-api/webhost-production',
      'OpenStackCluster cluster-api/webhost-production',
      'OpenStackMachineTemplate cluster-api/webhost-production-web',
      'MachineDeployment cluster-api/webhost-production-web',
    ]);
    const md = objects[4];
    expect(md.spec.template.spec.bootstrap).toEqual({ dataSecretName: 'webhost-production-web-bootstrap' });
    expect(md.metadata.annotations['cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size']).toBe('6');
    expect(objects[2].spec.network).toEqual({ id: '${data.terraform_remote_state.ClusterState.outputs.cluster_api.network_id}' });
    expect(objects[3].spec.template.spec.serverGroup).toEqual({ id: '${data.terraform_remote_state.ClusterState.outputs.cluster_api.server_groups.web}' });
    expect(release('cluster-api-objects').depends_on.sort()).toEqual(
      [
        address('helm_release', 'NodeAutoscaling_Core_Release'),
        address('helm_release', 'NodeAutoscaling_OpenStack_Release'),
        address('helm_release', 'NodeAutoscaling_ControlPlaneCrd_Release'),
        address('kubernetes_secret_v1', 'NodeAutoscaling_IdentitySecret'),
        address('kubernetes_secret_v1', 'NodeAutoscaling_Kubeconfig'),
        address('kubernetes_secret_v1', 'NodeAutoscaling_Bootstrap-web'),
      ].sort(),
    );
    // No YAML aliases: every object stands on its own.
    expect(release('cluster-api-objects').values[0]).not.toMatch(/[&*]a\d/);
  });

  test('the cluster-autoscaler: the clusterapi provider on this cluster, one node at a time, on a server, Cluster API writes only in its namespace', () => {
    const objects = values('cluster-autoscaler');
    expect(release('cluster-autoscaler').depends_on).toEqual([address('helm_release', 'NodeAutoscaling_Objects_Release')]);
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const [container] = deployment.spec.template.spec.containers;
    expect(container.image).toBe('registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.2');
    expect(container.args).toEqual([
      '--cloud-provider=clusterapi',
      '--node-group-auto-discovery=clusterapi:namespace=cluster-api,clusterName=webhost-production',
      '--scale-down-enabled=true',
      '--max-scale-down-parallelism=1',
      '--scale-down-unneeded-time=10m',
      '--expander=least-waste',
      '--max-node-provision-time=15m',
      '--leader-elect-resource-namespace=cluster-autoscaler',
      '--namespace=cluster-autoscaler',
      '--v=2',
    ]);
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ 'node-role.kubernetes.io/control-plane': 'true' });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const clusterRole = objects.find((o) => o.kind === 'ClusterRole');
    const capiRules = clusterRole.rules.filter((r: any) => r.apiGroups.includes('cluster.x-k8s.io'));
    expect(capiRules).toEqual([{ apiGroups: ['cluster.x-k8s.io'], resources: ['machinedeployments', 'machinepools', 'machines', 'machinesets'], verbs: ['get', 'list', 'watch'] }]);
    expect(clusterRole.rules.flatMap((r: any) => r.resources)).not.toContain('secrets');
    const writes = objects.find((o) => o.kind === 'Role' && o.metadata.namespace === 'cluster-api');
    expect(writes.rules.map((r: any) => r.resources)).toEqual([['machinedeployments', 'machines', 'machinesets'], ['machinedeployments/scale', 'machinesets/scale'], ['openstackmachinetemplates']]);
    const own = objects.find((o) => o.kind === 'Role' && o.metadata.namespace === 'cluster-autoscaler');
    expect(own.rules.map((r: any) => r.resources)).toEqual([['leases'], ['configmaps']]);
  });

  test('the cluster-autoscaler refuses a cluster of another Kubernetes minor', () => {
    const { clusterAutoscalerObjects } = require('../lib/platform/cluster-autoscaler') as typeof import('../lib/platform/cluster-autoscaler');
    const props = { namespace: 'cluster-autoscaler', clusterApiNamespace: 'cluster-api', clusterName: 'c' };
    expect(() => clusterAutoscalerObjects({ ...props, kubernetesVersion: 'v1.34.3+rke2r3' })).not.toThrow();
    expect(() => clusterAutoscalerObjects({ ...props, kubernetesVersion: 'v1.35.1+rke2r1' })).toThrow(
      'cluster-autoscaler: kubernetes.version "v1.35.1+rke2r1" is not Kubernetes 1.34, the minor of registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.2; move CLUSTER_AUTOSCALER.image (lib/platform/cluster-autoscaler.ts) to the cluster-autoscaler release of the new minor with the upgrade',
    );
  });
});

describe('provider schemas', () => {
  const { checkAgainstSchemas } = require('../lib/verify/provider-schema') as typeof import('../lib/verify/provider-schema');
  const { sharedPath, testWithShared } = require('./support/shared') as typeof import('./support/shared');
  const files = {
    openstack: 'providers/openstack/schema.json',
    terraform: 'providers/terraform/schema.json',
    tls: sharedPath('schemas', 'tls-4.1.0.json'),
    random: sharedPath('schemas', 'random-3.7.2.json'),
    kubernetes: sharedPath('schemas', 'kubernetes-2.38.0.json'),
    helm: sharedPath('schemas', 'helm-3.1.1.json'),
  };
  testWithShared(Object.values(files).filter((f) => !f.startsWith('providers/')))(
    'every new resource, attribute and block exists in the pinned providers',
    () => {
      const schemas = Object.fromEntries(Object.entries(files).map(([p, f]) => [p, JSON.parse(readFileSync(f, 'utf8'))]));
      expect(checkAgainstSchemas(scaled.production, schemas)).toEqual([]);
      expect(checkAgainstSchemas(scaled['production-platform'], schemas)).toEqual([]);
    },
  );
});
