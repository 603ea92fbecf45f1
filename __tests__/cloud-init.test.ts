import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { TerraformVariable, Testing } from 'cdktf';
import { parse, parseAllDocuments } from 'yaml';
import { ComputeInstanceV2 } from '../.gen/providers/openstack/compute-instance-v2';
import { IdentityApplicationCredentialV3 } from '../.gen/providers/openstack/identity-application-credential-v3';
import {
  cinderCsiManifest,
  METADATA_GUARD_RULES_PATH,
  metadataGuardRules,
  openstackCloudConfigSecret,
  openstackCloudControllerManifest,
  RKE2_BOOT_SCRIPT_PATH,
  RKE2_CA_FILES,
  rke2CloudConfig,
  type Rke2CaFiles,
  type Rke2NodeInput,
} from '../lib/rke2/cloud-init';
import { CINDER_CSI_CHART, OPENSTACK_CCM_CHART } from '../lib/rke2/manifests';
import { evaluateTemplate } from './support/terraform-expr';

// ---------------------------------------------------------------- sample input (plain values, no tokens)

const pem = (label: string) => `-----BEGIN ${label}-----\nMIIBsample${label.replace(/\W/g, '')}\n-----END ${label}-----\n`;
const pair = (name: string) => ({ certPem: pem(`CERTIFICATE ${name}`), keyPem: pem(`EC PRIVATE KEY ${name}`) });
const CA_FILES: Rke2CaFiles = {
  serverCa: pair('server'),
  clientCa: pair('client'),
  requestHeaderCa: pair('request-header'),
  etcdServerCa: pair('etcd-server'),
  etcdPeerCa: pair('etcd-peer'),
  serviceAccountKey: pem('EC PRIVATE KEY service'),
};
const AUTH = {
  authUrl: 'https://api.pub1.infomaniak.cloud/identity/v3',
  region: 'dc3-a',
  applicationCredentialId: '0123456789abcdef0123456789abcdef',
  applicationCredentialSecret: 'sAmPle_secret-Url-Safe_0123456789',
};
const COMMON = {
  version: 'v1.34.3+rke2r3',
  token: 'K10sample::server:join-token',
  cni: 'cilium',
  cloudProviderName: 'external',
  clusterCidr: '10.42.0.0/16',
  serviceCidr: '10.43.0.0/16',
} as const;
const SERVER: Rke2NodeInput = {
  ...COMMON,
  role: 'server',
  agentTokenPassword: 'agent-secret',
  serverUrl: 'https://10.30.0.10:9345',
  tlsSan: ['10.30.0.10', '195.15.240.10'],
  disable: ['rke2-ingress-nginx'],
  nodeTaints: ['node-role.kubernetes.io/control-plane=true:NoSchedule'],
  etcdSnapshots: {
    schedule: '0 */6 * * *',
    retention: 28,
    localRetention: 5,
    s3: {
      endpoint: 's3.pub1.infomaniak.cloud',
      region: 'dc3-a',
      bucket: 'webhost-test-etcd-snapshots',
      folder: 'webhost-test',
      accessKey: 'AKIASAMPLE',
      secretKey: 'sample/secret+key',
    },
  },
  manifests: [
    { name: 'openstack-cloud-config', content: openstackCloudConfigSecret(AUTH) },
    { name: 'openstack-cloud-controller-manager', content: openstackCloudControllerManifest() },
    { name: 'openstack-cinder-csi', content: cinderCsiManifest() },
  ],
};
const BOOTSTRAP: Rke2NodeInput = { ...SERVER, serverUrl: undefined, caFiles: CA_FILES };
const AGENT: Rke2NodeInput = {
  ...COMMON,
  token: 'K10sample::node:agent-secret',
  role: 'agent',
  serverUrl: 'https://10.30.0.10:9345',
  nodeLabels: { 'node.kubernetes.io/pool': 'web', 'webhost.ch/tier': 'standard' },
  nodeTaints: ['dedicated=web:NoSchedule'],
};

// ---------------------------------------------------------------- helpers

interface WriteFile {
  path: string;
  owner: string;
  permissions: string;
  encoding?: string;
  content: string;
}

function render(input: Rke2NodeInput) {
  const text = rke2CloudConfig(input);
  const doc = parse(text) as { write_files: WriteFile[]; runcmd: Array<string | string[]> };
  const files = Object.fromEntries(doc.write_files.map((f) => [f.path, f]));
  const content = (path: string) => {
    const file = files[path];
    return file.encoding === 'b64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content;
  };
  const config = parse(content('/etc/rancher/rke2/config.yaml')) as Record<string, unknown>;
  const script = content(RKE2_BOOT_SCRIPT_PATH);
  // The boot script's commands, in order: what runs on the node (comments, blank
  // lines and the script's own plumbing before the first step left out).
  const lines = script.split('\n');
  const commands = lines.slice(lines.findIndex((l) => l.startsWith('step '))).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  return { text, doc, files, content, config, script, commands };
}

const MANIFESTS = '/var/lib/rancher/rke2/server/manifests';
const TLS = '/var/lib/rancher/rke2/server/tls';

// ---------------------------------------------------------------- documents

describe('rke2CloudConfig: bootstrap server', () => {
  const { text, doc, files, content, config, script, commands } = render(BOOTSTRAP);

  test('is a #cloud-config document: nftables, write_files and runcmd only', () => {
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    expect(Object.keys(doc)).toEqual(['package_update', 'packages', 'write_files', 'runcmd']);
    expect((doc as any).packages).toEqual(['nftables']);
  });

  test('writes RKE2 config.yaml (root, 0600) without a server URL', () => {
    expect(files['/etc/rancher/rke2/config.yaml']).toMatchObject({ owner: 'root:root', permissions: '0600' });
    expect(config).toEqual({
      token: 'K10sample::server:join-token',
      // Agents join with their own token: the server token never leaves the servers.
      'agent-token': 'agent-secret',
      'tls-san': ['10.30.0.10', '195.15.240.10'],
      cni: 'cilium',
      'cluster-cidr': '10.42.0.0/16',
      'service-cidr': '10.43.0.0/16',
      'cloud-provider-name': 'external',
      'node-taint': ['node-role.kubernetes.io/control-plane=true:NoSchedule'],
      disable: ['rke2-ingress-nginx'],
      'etcd-snapshot-schedule-cron': '0 */6 * * *',
      // Pruned apart: 5 on each server's disk, 28 of each server in the bucket.
      'etcd-snapshot-retention': 5,
      'etcd-s3': true,
      'etcd-s3-retention': 28,
      'etcd-s3-bucket-lookup-type': 'path',
      'etcd-s3-endpoint': 's3.pub1.infomaniak.cloud',
      'etcd-s3-region': 'dc3-a',
      'etcd-s3-bucket': 'webhost-test-etcd-snapshots',
      'etcd-s3-folder': 'webhost-test',
      'etcd-s3-access-key': 'AKIASAMPLE',
      'etcd-s3-secret-key': 'sample/secret+key',
      'write-kubeconfig-mode': '0600',
      'secrets-encryption': true,
      profile: 'cis',
    });
  });

  test('writes the five CAs and the service-account key where RKE2 reads them, keys 0600', () => {
    expect(RKE2_CA_FILES.map((f) => [f.certPath, f.keyPath])).toEqual([
      [`${TLS}/server-ca.crt`, `${TLS}/server-ca.key`],
      [`${TLS}/client-ca.crt`, `${TLS}/client-ca.key`],
      [`${TLS}/request-header-ca.crt`, `${TLS}/request-header-ca.key`],
      [`${TLS}/etcd/server-ca.crt`, `${TLS}/etcd/server-ca.key`],
      [`${TLS}/etcd/peer-ca.crt`, `${TLS}/etcd/peer-ca.key`],
    ]);
    for (const spec of RKE2_CA_FILES) {
      expect(files[spec.certPath].permissions).toBe('0644');
      expect(files[spec.keyPath].permissions).toBe('0600');
      expect(content(spec.certPath)).toBe(CA_FILES[spec.field].certPem);
      expect(content(spec.keyPath)).toBe(CA_FILES[spec.field].keyPem);
    }
    expect(files[`${TLS}/service.key`].permissions).toBe('0600');
    expect(content(`${TLS}/service.key`)).toBe(CA_FILES.serviceAccountKey);
    expect(Object.keys(files).filter((p) => p.startsWith(TLS))).toHaveLength(11);
  });

  test('writes the manifests 0600 under the RKE2 manifests directory', () => {
    for (const name of ['openstack-cloud-config', 'openstack-cloud-controller-manager', 'openstack-cinder-csi']) {
      expect(files[`${MANIFESTS}/${name}.yaml`]).toMatchObject({ owner: 'root:root', permissions: '0600' });
    }
  });

  test('runs one boot script that stops at the first failure', () => {
    // runcmd runs its items without -e: one item, a script with set -eu, so a
    // failed step never reaches the service start.
    expect(doc.runcmd).toEqual([[RKE2_BOOT_SCRIPT_PATH]]);
    expect(files[RKE2_BOOT_SCRIPT_PATH]).toMatchObject({ owner: 'root:root', permissions: '0700' });
    expect(files[RKE2_BOOT_SCRIPT_PATH].encoding).toBeUndefined(); // readable in the user data
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('\nset -eu\n');
  });

  test('prepares the host for the CIS profile before installing and starting the pinned RKE2 server', () => {
    expect(content('/etc/sysctl.d/60-rke2-cis.conf')).toBe(
      'vm.panic_on_oom = 0\nvm.overcommit_memory = 1\nkernel.panic = 10\nkernel.panic_on_oops = 1\n',
    );
    const release = 'https://github.com/rancher/rke2/releases/download/v1.34.3%2Brke2r3';
    expect(commands).toEqual([
      'step metadata-guard',
      'systemctl daemon-reload',
      'systemctl enable --now rke2-metadata-guard.service',
      'step cis-host',
      'sysctl --system',
      expect.stringMatching(/useradd -r -U .*etcd$/),
      'step download',
      expect.stringContaining('uname -m'),
      'DL=$STATE/download',
      'mkdir -p "$DL"',
      `curl -fsSL --retry 10 --retry-delay 5 --retry-all-errors -o "$DL/sha256sum-amd64.txt" '${release}/sha256sum-amd64.txt'`,
      `curl -fsSL --retry 10 --retry-delay 5 --retry-all-errors -o "$DL/rke2.linux-amd64.tar.gz" '${release}/rke2.linux-amd64.tar.gz'`,
      'step verify',
      expect.stringMatching(/^SUM=\$\(grep -E '\^\[0-9a-f\]\{64\}  rke2\\.linux-amd64\\.tar\\.gz\$' /),
      expect.stringContaining('wc -l'),
      '(cd "$DL" && echo "$SUM" | sha256sum -c -)',
      'step install',
      'mkdir -p "$ROOT/usr/local"',
      'tar -xzf "$DL/rke2.linux-amd64.tar.gz" -C "$ROOT/usr/local"',
      expect.stringContaining('[ -x "$RKE2" ]'),
      'rm -rf "$DL"',
      'systemctl daemon-reload',
      'step start',
      'systemctl enable --now rke2-server.service',
      'touch "$STATE/done"',
      'log "done"',
    ]);
    // No install script from the internet runs on the node.
    expect(text).not.toContain('get.rke2.io');
  });

  test('with a pinned checksum file, refuses any other before trusting its tarball checksum', () => {
    const pin = 'a'.repeat(64);
    const pinned = render({ ...BOOTSTRAP, releaseChecksumsSha256: pin });
    const verify = pinned.commands.slice(pinned.commands.indexOf('step verify'));
    expect(verify[1]).toBe(`echo "${pin}  $DL/sha256sum-amd64.txt" | sha256sum -c -`);
    expect(verify[2]).toMatch(/^SUM=/);
  });
});

describe('rke2CloudConfig: joining server', () => {
  const { files, config, commands } = render(SERVER);

  test('joins through the supervisor URL and carries no CA file', () => {
    expect(config.server).toBe('https://10.30.0.10:9345');
    expect(Object.keys(files).filter((p) => p.startsWith(TLS))).toEqual([]);
    expect(commands).toContain('systemctl enable --now rke2-server.service');
    expect(commands).not.toContain('step restore');
  });

  test('differs from the bootstrap server only by the server URL and the CA files', () => {
    const bootstrap = render(BOOTSTRAP);
    const { server, ...rest } = config;
    expect(server).toBeDefined();
    expect(rest).toEqual(bootstrap.config);
    const withoutTls = (paths: string[]) => paths.filter((p) => !p.startsWith(TLS));
    expect(Object.keys(files)).toEqual(withoutTls(Object.keys(bootstrap.files)));
  });
});

describe('rke2CloudConfig: agent', () => {
  const { files, config, commands, text } = render(AGENT);

  test('writes only agent settings to config.yaml', () => {
    expect(config).toEqual({
      token: 'K10sample::node:agent-secret',
      server: 'https://10.30.0.10:9345',
      'cloud-provider-name': 'external',
      'node-label': ['node.kubernetes.io/pool=web', 'webhost.ch/tier=standard'],
      'node-taint': ['dedicated=web:NoSchedule'],
      profile: 'cis',
    });
  });

  test('writes config.yaml, the CIS kernel parameters and the metadata guard, nothing of a server', () => {
    expect(Object.keys(files)).toEqual([
      '/etc/rancher/rke2/config.yaml',
      '/etc/sysctl.d/60-rke2-cis.conf',
      METADATA_GUARD_RULES_PATH,
      '/etc/systemd/system/rke2-metadata-guard.service',
      '/etc/systemd/system/rke2-agent.service.d/10-metadata-guard.conf',
      RKE2_BOOT_SCRIPT_PATH,
    ]);
    expect(files['/etc/rancher/rke2/config.yaml'].permissions).toBe('0600');
  });

  test('installs the pinned RKE2 agent and starts it, without an etcd user', () => {
    expect(commands.filter((c) => c.startsWith('step '))).toEqual([
      'step metadata-guard',
      'step cis-host',
      'step download',
      'step verify',
      'step install',
      'step start',
    ]);
    expect(commands.join('\n')).not.toContain('etcd');
    expect(commands).toContain('systemctl enable --now rke2-agent.service');
    expect(commands.join('\n')).toContain('/v1.34.3%2Brke2r3/rke2.linux-amd64.tar.gz');
  });

  test('holds nothing node-specific (no node name, flavor or index)', () => {
    expect(text).not.toMatch(/node-name|hostname|flavor/);
    expect(rke2CloudConfig({ ...AGENT })).toBe(text);
  });

  test('without the CIS profile, writes no kernel parameters and sets no profile', () => {
    const plain = render({ ...AGENT, cisProfile: false, blockMetadataService: false });
    expect(plain.config.profile).toBeUndefined();
    expect(Object.keys(plain.files)).toEqual(['/etc/rancher/rke2/config.yaml', RKE2_BOOT_SCRIPT_PATH]);
    expect(plain.commands.filter((c) => c.startsWith('step '))).toEqual(['step download', 'step verify', 'step install', 'step start']);
  });
});

describe('rke2CloudConfig: the metadata guard', () => {
  const { doc, files, content } = render(AGENT);

  test('drops every packet to the metadata service, sent by the node or forwarded for pods', () => {
    expect(content(METADATA_GUARD_RULES_PATH)).toBe(metadataGuardRules());
    const rules = metadataGuardRules();
    for (const hook of ['output', 'forward']) {
      // Its own table, before the filter tables (priority 0) whose accepts cannot undo a drop.
      expect(rules).toContain(`chain ${hook} {\n    type filter hook ${hook} priority -10; policy accept;\n    ip daddr 169.254.169.254 counter drop\n    ip6 daddr fe80::a9fe:a9fe counter drop\n  }`);
    }
    // Reloading replaces the table instead of adding a second copy.
    expect(rules.startsWith('table inet rke2_metadata_guard\ndelete table inet rke2_metadata_guard\n')).toBe(true);
  });

  test('loads the rules at every boot, and RKE2 cannot start without them', () => {
    expect(content('/etc/systemd/system/rke2-metadata-guard.service')).toContain(`ExecStart=/usr/sbin/nft -f ${METADATA_GUARD_RULES_PATH}`);
    expect(content('/etc/systemd/system/rke2-metadata-guard.service')).toContain('WantedBy=multi-user.target');
    expect(content('/etc/systemd/system/rke2-agent.service.d/10-metadata-guard.conf')).toBe(
      '[Unit]\nRequires=rke2-metadata-guard.service\nAfter=rke2-metadata-guard.service\n',
    );
    expect(files[METADATA_GUARD_RULES_PATH].permissions).toBe('0644');
    expect((doc as any).packages).toEqual(['nftables']);
  });

  test('the nft ruleset parses, where nft is installed', () => {
    const nft = spawnSync('nft', ['--check', '-f', '-'], { input: metadataGuardRules(), encoding: 'utf8' });
    if (nft.error) {
      console.warn('nft is not installed: the metadata guard rules were not parsed by nft');
      return;
    }
    expect(nft.stderr).toBe('');
    expect(nft.status).toBe(0);
  });
});

describe('rke2CloudConfig: tokens by role', () => {
  test('refuses an agent joining with the server token', () => {
    expect(() => rke2CloudConfig({ ...AGENT, token: 'K10sample::server:join-token' })).toThrow(
      'token: (server token): an agent must join with the agent token (K10<hash>::node:<secret>), never the server token',
    );
  });

  test('refuses a server without the agent token password', () => {
    expect(() => rke2CloudConfig({ ...SERVER, agentTokenPassword: undefined })).toThrow(
      'agentTokenPassword: (missing): servers need it, else agents join with the server token',
    );
  });

  test('refuses the agent token password on an agent', () => {
    expect(() => rke2CloudConfig({ ...AGENT, agentTokenPassword: 'x' })).toThrow('agentTokenPassword: set on an agent');
  });
});

describe('rke2CloudConfig: literal content', () => {
  test('writes a literal manifest as is, or base64 when it holds a Terraform template sequence', () => {
    const { files, content } = render({
      ...SERVER,
      manifests: [
        { name: 'plain', content: 'kind: ConfigMap\n' },
        { name: 'templated', content: 'value: "${NOT_TERRAFORM}" and %{ if }\n' },
      ],
    });
    expect(files[`${MANIFESTS}/plain.yaml`]).toMatchObject({ content: 'kind: ConfigMap\n' });
    expect(files[`${MANIFESTS}/plain.yaml`].encoding).toBeUndefined();
    expect(files[`${MANIFESTS}/templated.yaml`].encoding).toBe('b64');
    expect(content(`${MANIFESTS}/templated.yaml`)).toBe('value: "${NOT_TERRAFORM}" and %{ if }\n');
  });
});

// ---------------------------------------------------------------- manifests

describe('openstackCloudControllerManifest', () => {
  const text = openstackCloudControllerManifest({ clusterName: 'webhost-test' });
  const chart = parse(text);
  const values = parse(chart.spec.valuesContent);

  test('is a bootstrap HelmChart of the pinned chart in kube-system', () => {
    expect(chart).toMatchObject({
      apiVersion: 'helm.cattle.io/v1',
      kind: 'HelmChart',
      metadata: { name: 'openstack-cloud-controller-manager', namespace: 'kube-system' },
      spec: {
        repo: 'https://kubernetes.github.io/cloud-provider-openstack',
        chart: 'openstack-cloud-controller-manager',
        version: OPENSTACK_CCM_CHART.version,
        targetNamespace: 'kube-system',
        bootstrap: true,
      },
    });
    expect(OPENSTACK_CCM_CHART.version).toMatch(/^2\.34\.\d+$/);
  });

  test('holds no credential: the chart mounts the cloud-config Secret, and creates no load balancer', () => {
    // HelmChart values are stored readable (not encrypted at rest, copied into every etcd snapshot).
    expect(values.secret).toEqual({ enabled: true, create: false, name: 'cloud-config' });
    expect(values.cloudConfig).toBeUndefined();
    expect(text).not.toMatch(/application-credential|auth-url/);
    expect(values.enabledControllers).toEqual(['cloud-node', 'cloud-node-lifecycle']);
    expect(values.cluster).toEqual({ name: 'webhost-test' });
  });

  test('runs on RKE2 control-plane nodes, before they are initialized, with the node resolvers', () => {
    expect(values.nodeSelector).toEqual({ 'node-role.kubernetes.io/control-plane': 'true' });
    expect(values.tolerations).toEqual(
      expect.arrayContaining([
        { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' },
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      ]),
    );
    expect(values.dnsPolicy).toBe('Default');
  });
});

describe('openstackCloudConfigSecret', () => {
  const secret = parse(openstackCloudConfigSecret(AUTH));
  const ini = Buffer.from(secret.data['cloud.conf'], 'base64').toString('utf8');

  test('is the kube-system Secret both charts read (encrypted at rest, unlike HelmChart values)', () => {
    expect(secret).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'cloud-config', namespace: 'kube-system' } });
    expect(Object.keys(secret.data)).toEqual(['cloud.conf']);
  });

  test('authenticates with the application credential, reads the config drive only, creates no load balancer', () => {
    expect(ini).toBe(
      [
        '[Global]',
        `auth-url = "${AUTH.authUrl}"`,
        'region = "dc3-a"',
        `application-credential-id = "${AUTH.applicationCredentialId}"`,
        `application-credential-secret = "${AUTH.applicationCredentialSecret}"`,
        '',
        '[Metadata]',
        // The nodes block the metadata service.
        'search-order = configDrive',
        '',
        '[LoadBalancer]',
        'enabled = false',
        '',
      ].join('\n'),
    );
  });
});

describe('cinderCsiManifest', () => {
  const [chart, storageClass] = parseAllDocuments(cinderCsiManifest()).map((d) => d.toJS());
  const values = parse(chart.spec.valuesContent);

  test('installs the pinned chart reading the CCM cloud config secret, without credentials of its own', () => {
    expect(chart.spec).toMatchObject({ chart: 'openstack-cinder-csi', version: CINDER_CSI_CHART.version });
    expect(CINDER_CSI_CHART.version).toMatch(/^2\.34\.\d+$/);
    expect(values.secret).toEqual({ enabled: true, create: false, name: 'cloud-config', filename: 'cloud.conf' });
    expect(cinderCsiManifest()).not.toMatch(/application-credential/);
  });

  test('adds a default, expandable StorageClass on CEPH_1_perf1', () => {
    expect(values.storageClass).toEqual({ enabled: false });
    expect(storageClass).toMatchObject({
      kind: 'StorageClass',
      metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'cinder.csi.openstack.org',
      parameters: { type: 'CEPH_1_perf1' },
      allowVolumeExpansion: true,
      volumeBindingMode: 'WaitForFirstConsumer',
    });
  });
});

// ---------------------------------------------------------------- validation

describe('rke2CloudConfig: restoring etcd on a new bootstrap server', () => {
  const snapshot = 'etcd-snapshot-webhost-production-server-1-1764288000';
  const { commands } = render({ ...BOOTSTRAP, restoreSnapshot: snapshot });

  test('resets the cluster from the snapshot after installing RKE2 and before starting it', () => {
    const at = (c: string) => commands.indexOf(c);
    expect(at('step restore')).toBeGreaterThan(at('step install'));
    expect(at('step start')).toBeGreaterThan(at('step restore'));
    expect(commands.slice(at('step restore'), at('step start'))).toEqual([
      'step restore',
      `if ! "$RKE2" server --cluster-reset --cluster-reset-restore-path='${snapshot}'; then`,
      '  log "restore failed: stopping every RKE2 process it started"',
      '  "$ROOT/usr/local/bin/rke2-killall.sh" || true',
      '  exit 1',
      'fi',
    ]);
  });

  test.each<[string, Partial<Rke2NodeInput>, RegExp]>([
    ['on a joining server', { ...SERVER, restoreSnapshot: snapshot }, /restoreSnapshot: ".*": only the bootstrap server \(no serverUrl\) restores a snapshot/],
    ['without the backup bucket', { ...BOOTSTRAP, etcdSnapshots: undefined, restoreSnapshot: snapshot }, /restoreSnapshot: ".*": needs etcdSnapshots/],
    ['with a path in the name', { ...BOOTSTRAP, restoreSnapshot: '../etc/passwd' }, /restoreSnapshot: "..\/etc\/passwd": must be a snapshot file name/],
  ])('is refused %s', (_, input, message) => {
    expect(() => rke2CloudConfig(input as Rke2NodeInput)).toThrow(message);
  });
});

describe('rke2CloudConfig: validation', () => {
  test.each<[string, Partial<Rke2NodeInput> & { role?: 'server' | 'agent' }, RegExp]>([
    ['an unpinned version', { version: 'latest' }, /version: "latest": must be a pinned RKE2 release/],
    ['a version without the rke2 suffix', { version: 'v1.34.3' }, /version: "v1.34.3"/],
    ['an agent without serverUrl', { ...AGENT, serverUrl: undefined }, /serverUrl: undefined: an agent needs/],
    ['a server URL on the API port', { serverUrl: 'https://10.30.0.10:6443' }, /serverUrl: .*9345/],
    ['caFiles on an agent', { ...AGENT, caFiles: CA_FILES }, /caFiles: set on an agent/],
    ['etcdSnapshots on an agent', { ...AGENT, etcdSnapshots: SERVER.etcdSnapshots }, /etcdSnapshots: set on an agent/],
    ['manifests on an agent', { ...AGENT, manifests: [{ name: 'x', content: 'a: 1\n' }] }, /manifests: set on an agent/],
    ['a taint without effect', { nodeTaints: ['dedicated=web'] }, /nodeTaints\[0\]: "dedicated=web": must be key\[=value\]:Effect/],
    ['a taint with a bad effect', { nodeTaints: ['dedicated=web:NoEntry'] }, /effect must be one of NoSchedule/],
    ['a taint with a bad key', { nodeTaints: ['bad key:NoSchedule'] }, /key "bad key"/],
    ['a bad label key', { ...AGENT, nodeLabels: { 'bad key!': 'x' } }, /nodeLabels.bad key!: "bad key!": name part/],
    ['a label under kubernetes.io', { ...AGENT, nodeLabels: { 'node-role.kubernetes.io/web': 'true' } }, /NodeRestriction/],
    ['a bad label value', { ...AGENT, nodeLabels: { tier: 'a b' } }, /nodeLabels.tier: "a b": label value/],
    ['a bad cluster CIDR', { clusterCidr: '10.42.0.0' }, /clusterCidr: "10.42.0.0": must be an IPv4 CIDR/],
    ['an S3 endpoint with scheme', { etcdSnapshots: { ...SERVER.etcdSnapshots!, s3: { ...SERVER.etcdSnapshots!.s3, endpoint: 'https://s3.example' } } }, /endpoint.*without scheme/],
    ['a 6-field cron', { etcdSnapshots: { ...SERVER.etcdSnapshots!, schedule: '0 0 */6 * * *' } }, /5-field cron/],
    ['a zero retention', { etcdSnapshots: { ...SERVER.etcdSnapshots!, retention: 0 } }, /retention: 0/],
    ['a zero local retention', { etcdSnapshots: { ...SERVER.etcdSnapshots!, localRetention: 0 } }, /etcdSnapshots.localRetention: 0: must be a whole number/],
    ['a checksum pin that is no sha256', { releaseChecksumsSha256: 'ABC' }, /releaseChecksumsSha256: "ABC": must be 64 lower-case hex digits/],
    ['a registry password as a literal', { registries: { mirrors: { 'docker.io': { endpoint: ['https://harbor.example.ch'] } }, configs: { 'harbor.example.ch': { username: 'robot', password: 'hunter2' } } } }, /registries.configs.harbor.example.ch.password: \(literal\): must come from a sensitive variable/],
    ['a plain-http mirror', { registries: { mirrors: { 'docker.io': { endpoint: ['http://harbor.example.ch'] } } } }, /registries.mirrors.docker.io.endpoint\[0\]: "http:\/\/harbor.example.ch": must be an https:\/\/ URL/],
    ['a mirror with no endpoint', { registries: { mirrors: { 'docker.io': { endpoint: [] } } } }, /registries.mirrors.docker.io.endpoint: \[\]: needs at least one/],
    ['a bad manifest name', { manifests: [{ name: 'CCM.yaml', content: 'a: 1\n' }] }, /manifests\[0\].name: "CCM.yaml"/],
    ['a duplicate manifest name', { manifests: [{ name: 'a', content: 'a: 1\n' }, { name: 'a', content: 'b: 1\n' }] }, /is used twice/],
    ['a bad disable entry', { disable: ['ingress'] }, /disable\[0\]: "ingress"/],
  ])('refuses %s', (_, overrides, message) => {
    expect(() => rke2CloudConfig({ ...SERVER, ...overrides } as Rke2NodeInput)).toThrow(message);
  });

  test('reports every problem at once', () => {
    expect(() => rke2CloudConfig({ ...AGENT, version: 'x', serverUrl: undefined, caFiles: CA_FILES })).toThrow(
      /invalid RKE2 agent cloud-init input:\n {2}version.*\n {2}serverUrl.*\n {2}caFiles/,
    );
  });
});

// ---------------------------------------------------------------- tokens

/** The user data as OpenTofu renders it at apply time, references replaced by samples. */
function evaluate(userData: string, samples: Record<string, string>): string {
  return evaluateTemplate(userData, (ref) => {
    if (!(ref in samples)) throw new Error(`no sample value for ${ref}`);
    return samples[ref];
  });
}

describe('rke2CloudConfig: Terraform tokens', () => {
  const synthesized = JSON.parse(
    Testing.synthScope((scope) => {
      const variable = (id: string) => new TerraformVariable(scope, id, { type: 'string', sensitive: true }).stringValue;
      const credential = new IdentityApplicationCredentialV3(scope, 'Credential', { name: 'ccm' });
      const tokenPair = (id: string) => ({ certPem: variable(`${id}_crt`), keyPem: variable(`${id}_key`) });
      const input: Rke2NodeInput = {
        ...BOOTSTRAP,
        token: variable('join_token'),
        tlsSan: [variable('vip'), '195.15.240.10'],
        caFiles: {
          serverCa: tokenPair('server'),
          clientCa: tokenPair('client'),
          requestHeaderCa: tokenPair('request_header'),
          etcdServerCa: tokenPair('etcd_server'),
          etcdPeerCa: tokenPair('etcd_peer'),
          serviceAccountKey: variable('service_key'),
        },
        manifests: [
          {
            name: 'openstack-cloud-config',
            content: openstackCloudConfigSecret({
              ...AUTH,
              applicationCredentialId: credential.id,
              applicationCredentialSecret: credential.secret,
            }),
          },
        ],
      };
      new ComputeInstanceV2(scope, 'Server', { name: 'server', userData: rke2CloudConfig(input) });
    }),
  );
  const userData: string = Object.values<any>(synthesized.resource.openstack_compute_instance_v2)[0].user_data;
  const credential = Object.keys(synthesized.resource.openstack_identity_application_credential_v3)[0];
  const tricky = 'a"b\\c: #d ${e} %{f}\n  g\'h';
  const samples: Record<string, string> = {
    'var.join_token': tricky,
    'var.vip': '10.30.0.10',
    'var.service_key': pem('EC PRIVATE KEY service'),
    [`openstack_identity_application_credential_v3.${credential}.id`]: 'abc123',
    [`openstack_identity_application_credential_v3.${credential}.secret`]: tricky,
  };
  for (const id of ['server', 'client', 'request_header', 'etcd_server', 'etcd_peer']) {
    samples[`var.${id}_crt`] = pem(`CERTIFICATE ${id}`);
    samples[`var.${id}_key`] = pem(`EC PRIVATE KEY ${id}`);
  }

  test('writes token-valued files as b64 computed by base64encode, keeping the interpolation', () => {
    const doc = parse(userData);
    const byPath = Object.fromEntries(doc.write_files.map((f: WriteFile) => [f.path, f]));
    expect(byPath[`${TLS}/server-ca.key`]).toEqual({
      path: `${TLS}/server-ca.key`,
      owner: 'root:root',
      permissions: '0600',
      encoding: 'b64',
      content: '${base64encode(var.server_key)}',
    });
    expect(byPath['/etc/rancher/rke2/config.yaml'].encoding).toBe('b64');
    expect(byPath['/etc/rancher/rke2/config.yaml'].content).toMatch(/^\$\{base64encode\(join\("", \[.*jsonencode\(var\.join_token\).*\]\)\)\}$/);
    expect(byPath[`${MANIFESTS}/openstack-cloud-config.yaml`].content).toContain(
      `jsonencode(openstack_identity_application_credential_v3.${credential}.secret)`,
    );
    // The only interpolations are the base64encode calls.
    expect(userData.match(/\$\{/g)).toHaveLength(userData.match(/\$\{base64encode\(/g)!.length);
  });

  test('stays valid YAML whatever the interpolations resolve to', () => {
    expect(() => parse(userData.replace(/\$\{[^}]*\}/g, 'c2FtcGxl'))).not.toThrow();
  });

  test('resolves to the right files, values quoted, even with quotes, colons and newlines in them', () => {
    const resolved = render_(evaluate(userData, samples));
    expect(resolved.config.token).toBe(tricky);
    expect(resolved.config['tls-san']).toEqual(['10.30.0.10', '195.15.240.10']);
    expect(resolved.content(`${TLS}/etcd/peer-ca.crt`)).toBe(pem('CERTIFICATE etcd_peer'));
    const secret = parse(resolved.content(`${MANIFESTS}/openstack-cloud-config.yaml`));
    const ini = Buffer.from(secret.data['cloud.conf'], 'base64').toString('utf8');
    expect(ini).toContain('application-credential-id = "abc123"\n');
    // JSON string syntax, which gcfg reads back to the same value.
    expect(ini).toContain(`application-credential-secret = ${JSON.stringify(tricky)}\n`);
  });

  function render_(text: string) {
    const doc = parse(text) as { write_files: WriteFile[] };
    const files = Object.fromEntries(doc.write_files.map((f) => [f.path, f]));
    const content = (path: string) =>
      files[path].encoding === 'b64' ? Buffer.from(files[path].content, 'base64').toString('utf8') : files[path].content;
    return { content, config: parse(content('/etc/rancher/rke2/config.yaml')) };
  }
});

// ---------------------------------------------------------------- the real cloud-init schema

const cloudInit = spawnSync('cloud-init', ['--version'], { encoding: 'utf8' });
const hasCloudInit = cloudInit.status === 0;
if (!hasCloudInit && !process.env.CI) {
  console.warn(
    'cloud-init is not installed: skipping the `cloud-init schema` checks (apt-get install -y cloud-init; CI installs it and fails without it)',
  );
}

describe('cloud-init schema', () => {
  (hasCloudInit || process.env.CI ? test : test.skip).each([
    ['bootstrap server', BOOTSTRAP],
    ['joining server', SERVER],
    ['agent', AGENT],
  ])('accepts the %s document', (name, input) => {
    if (!hasCloudInit) throw new Error('cloud-init is required in CI (`cloud-init --version` failed)');
    const dir = mkdtempSync(join(tmpdir(), 'cloud-init-'));
    try {
      const file = join(dir, `${String(name).replace(/ /g, '-')}.yaml`);
      writeFileSync(file, rke2CloudConfig(input as Rke2NodeInput));
      const result = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
      // Deprecation notices are printed but do not fail the check; schema errors exit non-zero.
      expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({
        status: 0,
        output: expect.stringContaining('Valid cloud-config'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
