/**
 * Writes what scripts/check-cluster-api-run.sh applies to its local API server:
 *
 *   tsx scripts/check-cluster-api-run.ts <out dir> <webhook CA file> <CAPI webhook URL> <CAPO webhook URL>
 *
 * crds.yaml: the CRDs of the vendored controller manifests (charts/cluster-api-*) and
 * the ExternalControlPlane's; webhooks.yaml and capo-webhooks.yaml: core Cluster API's
 * and CAPO's own admission webhooks, pointed at the local controllers; workload.yaml: the namespace and the identity of CAPI's kubeconfig
 * (WORKLOAD_ACCESS_RULES); objects.yaml: the bootstrap Secret and the Cluster API
 * objects of the default config with production's pool `web` autoscaled 6 to 12.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { externalControlPlaneCrd, externalControlPlaneManagerRole } from '../lib/platform/cluster-api';
import { NODE_AUTOSCALING_NAMESPACES, WORKLOAD_ACCESS, WORKLOAD_ACCESS_RULES } from '../lib/platform/node-autoscaling';
import { sampleClusterApiObjects } from './lib/cluster-api-sample';

const [out, caFile, capiWebhookUrl, capoWebhookUrl] = process.argv.slice(2);
if (!out || !caFile || !capiWebhookUrl || !capoWebhookUrl) {
  throw new Error('usage: tsx scripts/check-cluster-api-run.ts <out dir> <webhook CA file> <CAPI webhook URL> <CAPO webhook URL>');
}
const write = (file: string, docs: object[]) => writeFileSync(path.join(out, file), docs.map((d) => stringify(d)).join('---\n'));
const docsOf = (file: string) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean);

const vendored = [
  'charts/cluster-api-core/files/core-components.yaml',
  'charts/cluster-api-openstack/files/infrastructure-components.yaml',
  'charts/cluster-api-openstack/files/orc-images-crd.yaml',
].flatMap(docsOf);
// The vendored CRDs, and ours (the ExternalControlPlane) as the platform stack delivers it.
write('crds.yaml', [...vendored.filter((d) => d.kind === 'CustomResourceDefinition'), externalControlPlaneCrd(), externalControlPlaneManagerRole()]);
const caBundle = readFileSync(caFile).toString('base64');
const webhooksOf = (file: string, url: string) =>
  docsOf(file)
    .filter((d) => /^(Mutating|Validating)WebhookConfiguration$/.test(d.kind))
    .map((d) => {
      delete d.metadata.annotations; // cert-manager's CA injection: the CA is given here
      for (const w of d.webhooks) w.clientConfig = { url: `${url}${w.clientConfig.service.path}`, caBundle };
      return d;
    });
write('webhooks.yaml', webhooksOf('charts/cluster-api-core/files/core-components.yaml', capiWebhookUrl));
write('capo-webhooks.yaml', webhooksOf('charts/cluster-api-openstack/files/infrastructure-components.yaml', capoWebhookUrl));

const ns = NODE_AUTOSCALING_NAMESPACES.objects;
write('workload.yaml', [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: WORKLOAD_ACCESS, namespace: ns } },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: WORKLOAD_ACCESS },
    rules: WORKLOAD_ACCESS_RULES.map((r) => (r.nonResourceUrls ? { nonResourceURLs: r.nonResourceUrls, verbs: r.verbs } : { apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs })),
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: WORKLOAD_ACCESS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: WORKLOAD_ACCESS },
    subjects: [{ kind: 'ServiceAccount', name: WORKLOAD_ACCESS, namespace: ns }],
  },
]);

write('objects.yaml', sampleClusterApiObjects('127.0.0.1'));
