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

test('one EC2 credential per cluster gives the S3 keys of all its containers', () => {
  for (const name of ['tools', 'production', 'test']) {
    expect(Object.keys(json[name].resource.openstack_identity_ec2_credential_v3)).toHaveLength(1);
  }
});
