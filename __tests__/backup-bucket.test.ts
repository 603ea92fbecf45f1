import { TerraformOutput, Testing } from 'cdktf';
import { BackupBucket, type BackupBucketProps } from '../lib/openstack/backup-bucket';

const props: BackupBucketProps = {
  namePrefix: 'webhost-production',
  s3Endpoint: 'https://s3.pub1.infomaniak.cloud',
  region: 'dc3-a',
};

function synth(overrides: Partial<BackupBucketProps> = {}) {
  let bucket!: BackupBucket;
  const json = JSON.parse(
    Testing.synthScope((scope) => {
      bucket = new BackupBucket(scope, 'Backups', { ...props, ...overrides });
    }),
  );
  return { json, bucket };
}

describe('BackupBucket', () => {
  test('creates the etcd snapshot container, kept on destroy by default', () => {
    const { json, bucket } = synth();
    expect(Object.values(json.resource.openstack_objectstorage_container_v1)).toEqual([
      { name: 'webhost-production-etcd-snapshots', region: 'dc3-a', force_destroy: false },
    ]);
    expect(bucket.bucketNames).toEqual({ 'etcd-snapshots': 'webhost-production-etcd-snapshots' });
    expect(bucket.s3EndpointHost).toBe('s3.pub1.infomaniak.cloud');
  });

  test('gives the etcd snapshots S3 keys of their own, and the workloads others', () => {
    const { json, bucket } = synth({ containers: ['etcd-snapshots', 'mimir-blocks', 'loki-chunks'] });
    const credentials = Object.entries<any>(json.resource.openstack_identity_ec2_credential_v3);
    expect(credentials.map(([, c]) => c)).toEqual([{}, {}]);
    expect(Object.values<any>(json.resource.openstack_objectstorage_container_v1).map((c) => c.name).sort()).toEqual([
      'webhost-production-etcd-snapshots',
      'webhost-production-loki-chunks',
      'webhost-production-mimir-blocks',
    ]);
    const out = JSON.parse(
      Testing.synthScope((scope) => {
        const b = new BackupBucket(scope, 'Backups', { ...props, containers: ['etcd-snapshots', 'mimir-blocks'] });
        new TerraformOutput(scope, 'snapshots', { value: [b.snapshotKeys.accessKey, b.snapshotKeys.secretKey], sensitive: true });
        new TerraformOutput(scope, 'workloads', { value: [b.workloadKeys!.accessKey, b.workloadKeys!.secretKey], sensitive: true });
      }),
    );
    const ref = (name: string) => Object.keys(out.resource.openstack_identity_ec2_credential_v3).find((id) => id.includes(name))!;
    const [snapshots, workloads] = [ref('_S3Credential_'), ref('WorkloadS3Credential')];
    expect(snapshots).not.toBe(workloads);
    expect(out.output.snapshots.value).toEqual([
      `\${openstack_identity_ec2_credential_v3.${snapshots}.access}`,
      `\${openstack_identity_ec2_credential_v3.${snapshots}.secret}`,
    ]);
    expect(out.output.workloads.value).toEqual([
      `\${openstack_identity_ec2_credential_v3.${workloads}.access}`,
      `\${openstack_identity_ec2_credential_v3.${workloads}.secret}`,
    ]);
    expect(bucket.snapshotKeys.accessKey).not.toEqual(bucket.snapshotKeys.secretKey);
  });

  test('creates no workload credential where only the snapshots are stored', () => {
    const { json, bucket } = synth({});
    expect(Object.keys(json.resource.openstack_identity_ec2_credential_v3)).toHaveLength(1);
    expect(bucket.workloadKeys).toBeUndefined();
  });

  test('force-destroys only when asked', () => {
    const { json } = synth({ forceDestroy: true });
    expect(Object.values<any>(json.resource.openstack_objectstorage_container_v1)[0].force_destroy).toBe(true);
  });

  test.each<[string, Partial<BackupBucketProps>, string]>([
    ['no container', { containers: [] }, 'containers []: needs at least one container; leave it unset for etcd-snapshots'],
    ['a bad container name', { containers: ['Etcd_Snapshots'] }, 'containers "Etcd_Snapshots": must be lower-case letters, digits and dashes (an S3 bucket name)'],
    ['a duplicate container', { containers: ['a', 'a'] }, 'containers "a": listed twice; list each container once'],
    ['a plain-http endpoint', { s3Endpoint: 'http://s3.pub1.infomaniak.cloud' }, 's3Endpoint "http://s3.pub1.infomaniak.cloud": must be an https:// URL, for example https://s3.pub1.infomaniak.cloud'],
  ])('rejects %s', (_, overrides, message) => {
    expect(() => synth(overrides)).toThrow(`Backups: invalid backup bucket:\n  ${message}`);
  });
});
