/**
 * The TypeScript half of scripts/check-capo-cloud.sh (CAPO against the test cloud):
 *
 *   tsx scripts/check-capo-cloud.ts stack <out dir>
 *     synthesizes the test cluster stack of the sample config (scripts/lib/cluster-api-sample.ts:
 *     the pool `web` autoscaled, labelled and tainted) into <out dir>/stacks/test;
 *   tsx scripts/check-capo-cloud.ts objects <out dir> <tofu outputs JSON> <auth URL> <region>
 *     writes <out dir>/objects.yaml: what the platform stack renders from that cluster stack's
 *     outputs (CAPO's clouds.yaml Secret, the pool's bootstrap Secret, the Cluster API objects);
 *   tsx scripts/check-capo-cloud.ts rbac <out dir>
 *     writes <out dir>/rbac.yaml: the controllers' own namespaces, service accounts and roles
 *     from the vendored releases (charts/cluster-api-*), and our ExternalControlPlane role,
 *     with ClusterRole aggregation done as kube-controller-manager does it (none runs here);
 *   tsx scripts/check-capo-cloud.ts compare <server facts JSON> <CAPO's server id> <a Terraform agent's id> <tofu outputs JSON>
 *     checks that the server CAPO made is the twin of the pool's Terraform agent and uses what
 *     the cluster stack made (scripts/cloud/server_facts.py writes the facts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { parseAllDocuments, stringify } from 'yaml';
import { externalControlPlaneManagerRole, type K8sObject } from '../lib/platform/cluster-api';
import { clusterAutoscalerObjects } from '../lib/platform/cluster-autoscaler';
import { CLUSTER_API_OUTPUT, CLUSTER_API_SECRETS_OUTPUT } from '../lib/platform/cluster-api-cloud';
import { CAPO_IDENTITY_SECRET, capoCloudsYaml, NODE_AUTOSCALING_NAMESPACES } from '../lib/platform/node-autoscaling';
import { ClusterStack } from '../stacks/cluster-stack';
import { sampleClusterApiObjects, sampleConfig } from './lib/cluster-api-sample';

const ENVIRONMENT = 'test';
const POOL = 'web';
const config = sampleConfig(ENVIRONMENT);
const clusterName = `${config.platform.name}-${ENVIRONMENT}`;

type Outputs = Record<string, { value: Record<string, unknown> }>;
const outputsOf = (file: string) => {
  const o = JSON.parse(readFileSync(file, 'utf8')) as Outputs;
  const cloud = o[CLUSTER_API_OUTPUT]?.value as { network_id: string; agents_subnet_id: string; agents_security_group_id: string; image_id: string; api_host: string; server_groups: Record<string, string> };
  const secrets = o[CLUSTER_API_SECRETS_OUTPUT]?.value as { application_credential_id: string; application_credential_secret: string; agent_user_data: Record<string, string> };
  if (!cloud || !secrets) throw new Error(`${file}: no ${CLUSTER_API_OUTPUT} or ${CLUSTER_API_SECRETS_OUTPUT} output`);
  return { cloud, secrets };
};

const [mode, ...args] = process.argv.slice(2);
if (mode === 'stack') {
  const [out] = args;
  const app = new App({ stackTraces: false, outdir: out });
  new ClusterStack(app, ENVIRONMENT, {
    platformName: config.platform.name,
    state: config.state,
    environment: ENVIRONMENT,
    cloud: config.cloud,
    cluster: config.environments[ENVIRONMENT],
  });
  app.synth();
  console.log(path.join(out, 'stacks', ENVIRONMENT));
} else if (mode === 'objects') {
  const [out, outputsFile, authUrl, region] = args;
  const { cloud, secrets } = outputsOf(outputsFile);
  const ns = NODE_AUTOSCALING_NAMESPACES.objects;
  // As NodeAutoscaling's IdentitySecret (a kubernetes_secret_v1: `data` is the plain text).
  const identity = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: CAPO_IDENTITY_SECRET, namespace: ns, labels: { 'cluster.x-k8s.io/cluster-name': clusterName, 'clusterctl.cluster.x-k8s.io/move': 'true' } },
    type: 'Opaque',
    stringData: {
      'clouds.yaml': JSON.stringify(
        capoCloudsYaml({
          authUrl,
          region,
          applicationCredentialId: secrets.application_credential_id,
          applicationCredentialSecret: secrets.application_credential_secret,
        }),
      ),
    },
  };
  const objects = sampleClusterApiObjects(cloud.api_host, {
    environment: ENVIRONMENT,
    clusterName,
    cloud: {
      networkId: cloud.network_id,
      agentsSubnetId: cloud.agents_subnet_id,
      agentsSecurityGroupId: cloud.agents_security_group_id,
      imageId: cloud.image_id,
      serverGroupId: cloud.server_groups[POOL],
      userData: secrets.agent_user_data[POOL],
    },
  });
  writeFileSync(path.join(out, 'objects.yaml'), [identity, ...objects].map((d) => stringify(d)).join('---\n'));
  // The cluster-autoscaler as the platform stack deploys it (no kubelet here: its pod never runs),
  // for scripts/scale-to-floor.sh to stop.
  const autoscaler = clusterAutoscalerObjects({
    namespace: NODE_AUTOSCALING_NAMESPACES.autoscaler,
    clusterApiNamespace: ns,
    clusterName,
    kubernetesVersion: config.environments[ENVIRONMENT].kubernetes.version,
  });
  const autoscalerNs = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_AUTOSCALING_NAMESPACES.autoscaler } };
  writeFileSync(path.join(out, 'autoscaler.yaml'), [autoscalerNs, ...autoscaler].map((d) => stringify(d)).join('---\n'));
  console.log(`${clusterName} ${clusterName}-${POOL}`);
} else if (mode === 'rbac') {
  const [out] = args;
  const docsOf = (file: string) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as K8sObject).filter(Boolean);
  const rbac = [
    ...docsOf('charts/cluster-api-core/files/core-components.yaml'),
    ...docsOf('charts/cluster-api-openstack/files/infrastructure-components.yaml'),
    externalControlPlaneManagerRole(),
  ].filter((d) => /^(ServiceAccount|ClusterRole|ClusterRoleBinding|Role|RoleBinding)$/.test(d.kind));
  type Role = K8sObject & { rules?: unknown[]; aggregationRule?: { clusterRoleSelectors: { matchLabels: Record<string, string> }[] } };
  const roles = rbac.filter((d) => d.kind === 'ClusterRole') as Role[];
  for (const role of roles.filter((r) => r.aggregationRule)) {
    const selected = (r: Role) =>
      role.aggregationRule!.clusterRoleSelectors.some((sel) => Object.entries(sel.matchLabels).every(([k, v]) => (r.metadata.labels as Record<string, string> | undefined)?.[k] === v));
    role.rules = roles.filter((r) => r !== role && selected(r)).flatMap((r) => r.rules ?? []);
    delete role.aggregationRule;
  }
  const namespaces = [...new Set(rbac.map((d) => d.metadata.namespace).filter(Boolean))].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  writeFileSync(path.join(out, 'rbac.yaml'), [...namespaces, ...rbac].map((d) => stringify(d)).join('---\n'));
} else if (mode === 'compare') {
  const [factsFile, capoId, terraformId, outputsFile] = args;
  const facts = JSON.parse(readFileSync(factsFile, 'utf8'));
  const { cloud, secrets } = outputsOf(outputsFile);
  const capo = facts[capoId];
  const tf = facts[terraformId];
  if (!capo || !tf) throw new Error(`${factsFile}: no facts for ${capo ? terraformId : capoId}`);
  const pool = config.environments[ENVIRONMENT].agentPools.find((p) => p.name === POOL)!;
  const problems: string[] = [];
  const check = (what: string, got: unknown, want: unknown) => {
    const g = JSON.stringify(got);
    const w = JSON.stringify(want);
    if (g === w) console.log(`ok    ${what}: ${g.length > 100 ? `${g.slice(0, 97)}...` : g}`);
    else problems.push(`${what}: got ${g}, want ${w}`);
  };
  const boot = (s: typeof capo) => s.volumes.find((v: { bootable: string }) => v.bootable === 'true');
  const withoutIds = (s: typeof capo) => ({
    flavor: s.flavor,
    config_drive: s.config_drive,
    metadata: s.metadata,
    tags: s.tags,
    boot_volume: boot(s) && { size_gib: boot(s).size_gib, type: boot(s).type, image_id: boot(s).image_id },
    ports: s.ports.map((p: { network_id: string; subnet_ids: string[]; security_group_ids: string[] }) => ({ network_id: p.network_id, subnet_ids: p.subnet_ids, security_group_ids: p.security_group_ids })),
    server_groups: s.server_groups,
  });
  check('CAPO server status', capo.status, 'ACTIVE');
  check('flavor (the pool\'s)', capo.flavor, pool.flavor);
  check('boot volume (size GiB, type, image: the cluster stack\'s image id)', withoutIds(capo).boot_volume, {
    size_gib: pool.bootVolume.sizeGiB,
    type: pool.bootVolume.type,
    image_id: cloud.image_id,
  });
  check('no image of its own (boots from the volume)', capo.image_id, null);
  check('one port, on the agents subnet, in the agents security group only', withoutIds(capo).ports, [
    { network_id: cloud.network_id, subnet_ids: [cloud.agents_subnet_id], security_group_ids: [cloud.agents_security_group_id] },
  ]);
  check("member of the pool's server group", capo.server_groups, [cloud.server_groups[POOL]]);
  check('config drive', capo.config_drive, true);
  check('user data: the cluster stack\'s agent_user_data of the pool', Buffer.from(capo.user_data ?? '', 'base64').toString('utf8') === secrets.agent_user_data[POOL], true);
  check("user data: byte for byte that of the pool's Terraform agent", capo.user_data === tf.user_data && Boolean(tf.user_data), true);
  // The twin: everything but names and ids as the pool's Terraform agent has it.
  check(`the Terraform agent ${tf.name}'s flavor, volume, port, group, drive, metadata and tags`, withoutIds(capo), withoutIds(tf));
  if (problems.length) {
    for (const p of problems) console.error(`FAIL  ${p}`);
    process.exit(1);
  }
} else {
  throw new Error('usage: tsx scripts/check-capo-cloud.ts stack|objects|compare ...');
}
