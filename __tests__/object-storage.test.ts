import { synthPlatform } from './support/synth';

const { json } = synthPlatform();
const containers = (name: string) =>
  Object.values<any>(json[name].resource.openstack_objectstorage_container_v1)
    .map((c) => c.name)
    .sort();

test('tools keeps the monitoring data of all clusters in containers of its own', () => {
  expect(containers('tools')).toEqual(
    ['etcd-snapshots', 'loki-chunks', 'loki-ruler', 'mimir-alertmanager', 'mimir-blocks', 'mimir-ruler'].map((c) => `webhost-tools-${c}`),
  );
  expect(json.tools.output.backup_buckets.value['mimir-blocks']).toBe('webhost-tools-mimir-blocks');
});

test('production and test have only their etcd snapshot container', () => {
  expect(containers('production')).toEqual(['webhost-production-etcd-snapshots']);
  expect(containers('test')).toEqual(['webhost-test-etcd-snapshots']);
});

test('one EC2 credential per use: the etcd snapshots everywhere, the workloads where they have containers', () => {
  expect(Object.keys(json.tools.resource.openstack_identity_ec2_credential_v3)).toHaveLength(2);
  for (const name of ['production', 'test']) {
    expect(Object.keys(json[name].resource.openstack_identity_ec2_credential_v3)).toHaveLength(1);
  }
});

test('the etcd snapshot keys reach the servers only, never an output that other stacks read', () => {
  for (const name of ['tools', 'production', 'test']) {
    const snapshot = Object.keys(json[name].resource.openstack_identity_ec2_credential_v3).find((id) => id.includes('_S3Credential_'))!;
    const outputs = JSON.stringify(json[name].output);
    expect(outputs).not.toContain(snapshot);
    // And no break-glass certificate either.
    expect(outputs).not.toMatch(/Pki_Admin/);
  }
  const workload = Object.keys(json.tools.resource.openstack_identity_ec2_credential_v3).find((id) => id.includes('WorkloadS3Credential'))!;
  expect(json.tools.output.workload_s3_access_key.value).toBe(`\${openstack_identity_ec2_credential_v3.${workload}.access}`);
  expect(json.tools.output.workload_s3_secret_key.sensitive).toBe(true);
});
