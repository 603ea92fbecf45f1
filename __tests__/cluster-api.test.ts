import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, parsePlatformConfig } from '../lib/config';
import { AUTOSCALER_ANNOTATIONS, bootstrapSecrets, clusterApiObjects, type AutoscaledPoolInput } from '../lib/platform/cluster-api';
import { CAPO_IDENTITY_SECRET, capoCloudsYaml } from '../lib/platform/node-autoscaling';

/**
 * The Cluster API objects of an autoscaled pool (not deployed yet; validated
 * against the pinned CRDs by npm run check:cluster-api): CAPO gets the cluster
 * stack's resources as existing, and the machines are the Terraform agents' twins.
 */
const raw = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
delete raw.environments.production.agentPools[0].count;
raw.environments.production.agentPools[0].autoscaling = { minNodes: 6, maxNodes: 12 };
raw.environments.production.agentPools[0].labels = { 'webhost.ch/tier': 'web' };
raw.environments.production.agentPools[0].taints = ['dedicated=web:NoSchedule'];
const pool = parsePlatformConfig(stringify(raw), 'platform.yaml').environments.production.agentPools[0] as AutoscaledPoolInput['pool'];

const input = {
  namespace: 'capi-system',
  clusterName: 'webhost-production',
  apiHost: '10.20.0.5',
  podCidr: '10.42.0.0/16',
  serviceCidr: '10.43.0.0/16',
  networkId: 'net-id',
  agentsSubnetId: 'agents-subnet-id',
  agentsSecurityGroupId: 'agents-sg-id',
  imageId: 'image-id',
  identitySecretName: 'capo-cloud-config',
  tags: ['webhost'],
  maxPods: 110,
};
const pools = [{ pool, serverGroupId: 'web-server-group-id', userData: '#cloud-config\nthe agent user data\n' }];
const objects = [...bootstrapSecrets(input, pools), ...clusterApiObjects(input, pools)];
const byKind = (kind: string) => objects.find((o) => o.kind === kind) as any;

test('CAPO creates nothing of the cluster stack: existing network and subnet, no security groups, load balancer, floating IP or bastion', () => {
  const spec = byKind('OpenStackCluster').spec;
  expect(spec).toEqual({
    identityRef: { name: 'capo-cloud-config', cloudName: 'openstack' },
    network: { id: 'net-id' },
    subnets: [{ id: 'agents-subnet-id' }],
    disableExternalNetwork: true,
    disableAPIServerFloatingIP: true,
    apiServerLoadBalancer: { enabled: false },
    controlPlaneEndpoint: { host: '10.20.0.5', port: 6443 },
    tags: ['webhost'],
  });
  expect(byKind('Cluster').spec.infrastructureRef).toEqual({ apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'OpenStackCluster', name: 'webhost-production' });
});

test('the control plane is one Cluster API does not manage: an ExternalControlPlane, initialized and externally managed', () => {
  expect(byKind('Cluster').spec.controlPlaneRef).toEqual({ apiGroup: 'controlplane.platform.webhost.ch', kind: 'ExternalControlPlane', name: 'webhost-production' });
  expect(byKind('ExternalControlPlane')).toMatchObject({
    apiVersion: 'controlplane.platform.webhost.ch/v1alpha1',
    metadata: { name: 'webhost-production', namespace: 'capi-system' },
    spec: { controlPlaneEndpoint: { host: '10.20.0.5', port: 6443 } },
    status: { initialization: { controlPlaneInitialized: true }, externalManagedControlPlane: true },
  });
  // No version: CAPI's MachineSet preflight checks compare versions only when the control plane states one.
  expect(byKind('ExternalControlPlane').spec).not.toHaveProperty('version');
});

test("a machine is the pool's Terraform agent: flavor, image, boot volume, security group, server group, config drive, user data", () => {
  const machine = byKind('OpenStackMachineTemplate').spec.template.spec;
  expect(machine).toMatchObject({
    flavor: 'a8-ram32-disk0',
    image: { id: 'image-id' },
    rootVolume: { sizeGiB: 100, type: 'CEPH_1_perf1' },
    ports: [{ network: { id: 'net-id' }, fixedIPs: [{ subnet: { id: 'agents-subnet-id' } }], securityGroups: [{ id: 'agents-sg-id' }] }],
    serverGroup: { id: 'web-server-group-id' },
    configDrive: true,
    serverMetadata: [
      { key: 'role', value: 'agent' },
      { key: 'pool', value: 'web' },
    ],
  });
  const secret = byKind('Secret');
  expect(secret).toMatchObject({ type: 'cluster.x-k8s.io/secret', stringData: { format: 'cloud-config', value: '#cloud-config\nthe agent user data\n' } });
  expect(byKind('MachineDeployment').spec.template.spec.bootstrap).toEqual({ dataSecretName: secret.metadata.name });
});

test('the MachineDeployment is the growth only, 0 to maxNodes - minNodes, and says what a node gives for a scale-up from zero', () => {
  const md = byKind('MachineDeployment');
  expect(md.metadata.annotations).toEqual({
    [AUTOSCALER_ANNOTATIONS.minSize]: '0',
    [AUTOSCALER_ANNOTATIONS.maxSize]: '6',
    'capacity.cluster-autoscaler.kubernetes.io/cpu': '8',
    'capacity.cluster-autoscaler.kubernetes.io/memory': '32Gi',
    'capacity.cluster-autoscaler.kubernetes.io/ephemeral-disk': '100Gi',
    'capacity.cluster-autoscaler.kubernetes.io/maxPods': '110',
    'capacity.cluster-autoscaler.kubernetes.io/labels': 'webhost.ch/tier=web',
    'capacity.cluster-autoscaler.kubernetes.io/taints': 'dedicated=web:NoSchedule',
  });
  // The autoscaler owns the replicas; no drain timeout, so a PDB is never overridden.
  expect(md.spec).not.toHaveProperty('replicas');
  expect(md.spec.template.spec).not.toHaveProperty('deletion');
});

test("every identityRef names the clouds.yaml entry CAPO's Secret holds, and no region: CAPO's provider IDs are then openstack:///<id>, the cloud controller manager's", () => {
  // CAPO v0.13.0 sets `openstack://<identityRef.region>/<server id>`; the CCM (not regional,
  // OS_CCM_REGIONAL unset) `openstack:///<server id>`. CAPI finds a Machine's Node by that string.
  const clouds = Object.keys(capoCloudsYaml({ authUrl: 'https://keystone/v3', region: 'dc3-a', applicationCredentialId: 'id', applicationCredentialSecret: 's' }).clouds);
  const refs = [byKind('OpenStackCluster').spec.identityRef, byKind('OpenStackMachineTemplate').spec.template.spec.identityRef];
  for (const ref of refs) expect(ref).toEqual({ name: CAPO_IDENTITY_SECRET, cloudName: clouds[0] });
  expect(clouds).toEqual(['openstack']);
});
