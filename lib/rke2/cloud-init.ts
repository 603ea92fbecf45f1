import { Token } from 'cdktf';
import { TOKEN_MARKER } from '../cdktf/token-marker';
import { parseCidr } from '../net/cidr';
import { labelKeyProblem, labelValueProblem, taintProblem } from './node-metadata';
import { terraformBase64, toYaml, yamlSafe } from './terraform-text';

/**
 * A typed builder for the `#cloud-config` user data of RKE2 nodes.
 *
 * The document is built as an object and rendered with the `yaml` package, never
 * glued from string templates. Values may be Terraform tokens (`${TfToken[...]}`
 * strings that cdktf resolves into interpolations): the builder keeps them intact and
 * never lets a resolved value land raw in YAML text:
 *
 * - a file whose content holds a token is written with `encoding: b64` and content
 *   `base64encode(...)`, computed by Terraform, so a multi-line PEM never touches the
 *   YAML structure of the user data;
 * - inside that content (RKE2's config.yaml, a HelmChart), every token scalar is
 *   wrapped in `jsonencode(...)`: a JSON string is a valid YAML double-quoted scalar,
 *   so the resolved value is quoted and escaped by Terraform whatever it contains.
 *
 * The user data depends on the node's role and cluster-wide values only: no flavor,
 * pool size, node index or node name, so that resizing a pool is an in-place update
 * and adding agents changes nothing else. The one exception is the bootstrap server,
 * which has no `serverUrl`.
 */

/** A certificate and its private key, PEM encoded (literal text or tokens). */
export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * Cluster CAs created before the first start of the bootstrap server (RKE2 "custom CA
 * certificates"): RKE2 uses them instead of generating its own, so the cluster stack
 * can compute an admin kubeconfig without SSH.
 */
export interface Rke2CaFiles {
  /** Signs the serving certificates (kube-apiserver, supervisor, kubelets). */
  readonly serverCa: KeyPair;
  /** Signs client certificates (admin, kubelets, components). */
  readonly clientCa: KeyPair;
  /** Signs the front-proxy (aggregation layer) client certificate. */
  readonly requestHeaderCa: KeyPair;
  /** Signs etcd's serving and client certificates. */
  readonly etcdServerCa: KeyPair;
  /** Signs etcd's peer certificates. */
  readonly etcdPeerCa: KeyPair;
  /** Private key that signs service-account tokens (PEM). */
  readonly serviceAccountKey: string;
}

/** RKE2's TLS directory on servers. */
export const RKE2_TLS_DIR = '/var/lib/rancher/rke2/server/tls';

/** One CA of {@link Rke2CaFiles} and where RKE2 expects its files. */
export interface Rke2CaFileSpec {
  readonly field: Exclude<keyof Rke2CaFiles, 'serviceAccountKey'>;
  readonly certPath: string;
  readonly keyPath: string;
}

/**
 * The CA files RKE2 reads from {@link RKE2_TLS_DIR} when they exist at first start
 * (docs.rke2.io/security/certificates#using-custom-ca-certificates), in the order the
 * PKI code should create them.
 */
export const RKE2_CA_FILES: readonly Rke2CaFileSpec[] = [
  { field: 'serverCa', certPath: `${RKE2_TLS_DIR}/server-ca.crt`, keyPath: `${RKE2_TLS_DIR}/server-ca.key` },
  { field: 'clientCa', certPath: `${RKE2_TLS_DIR}/client-ca.crt`, keyPath: `${RKE2_TLS_DIR}/client-ca.key` },
  {
    field: 'requestHeaderCa',
    certPath: `${RKE2_TLS_DIR}/request-header-ca.crt`,
    keyPath: `${RKE2_TLS_DIR}/request-header-ca.key`,
  },
  {
    field: 'etcdServerCa',
    certPath: `${RKE2_TLS_DIR}/etcd/server-ca.crt`,
    keyPath: `${RKE2_TLS_DIR}/etcd/server-ca.key`,
  },
  { field: 'etcdPeerCa', certPath: `${RKE2_TLS_DIR}/etcd/peer-ca.crt`, keyPath: `${RKE2_TLS_DIR}/etcd/peer-ca.key` },
];

/** Where RKE2 reads the service-account signing key. */
export const RKE2_SERVICE_ACCOUNT_KEY_PATH = `${RKE2_TLS_DIR}/service.key`;
/** RKE2's configuration file. */
export const RKE2_CONFIG_PATH = '/etc/rancher/rke2/config.yaml';
/** Directory whose manifests RKE2 servers apply (and keep applied). */
export const RKE2_MANIFESTS_DIR = '/var/lib/rancher/rke2/server/manifests';
/** Kernel parameters file written for the CIS profile. */
export const RKE2_CIS_SYSCTL_PATH = '/etc/sysctl.d/60-rke2-cis.conf';

/**
 * Kernel parameters the kubelet checks when `protect-kernel-defaults` is on (the CIS
 * profile turns it on); the same values as RKE2's own `rke2-cis-sysctl.conf`.
 */
export const RKE2_CIS_SYSCTLS: Readonly<Record<string, string>> = {
  'vm.panic_on_oom': '0',
  'vm.overcommit_memory': '1',
  'kernel.panic': '10',
  'kernel.panic_on_oops': '1',
};

/** The cloud metadata service's addresses (OpenStack serves both). */
export const METADATA_SERVICE_ADDRESSES = { ipv4: '169.254.169.254', ipv6: 'fe80::a9fe:a9fe' } as const;
/** nftables rules that keep the node and its pods from the metadata service. */
export const METADATA_GUARD_RULES_PATH = '/etc/rke2-metadata-guard.nft';
/** The systemd unit that loads them at every boot, before RKE2 starts. */
export const METADATA_GUARD_UNIT = 'rke2-metadata-guard.service';
const NFT_TABLE = 'inet rke2_metadata_guard';

/**
 * The nftables ruleset of the metadata guard: a table of its own, hooked
 * before the filter tables iptables-nft, kube-proxy and Cilium manage
 * (priority -10 < 0). A drop in any base chain is final, so no accept rule of
 * theirs reopens the address: not for node processes and host-network pods
 * (output), not for pod traffic the node routes (forward). Reloading replaces
 * the table whole.
 */
export function metadataGuardRules(): string {
  const { ipv4, ipv6 } = METADATA_SERVICE_ADDRESSES;
  const chain = (hook: string) =>
    [
      `  chain ${hook} {`,
      `    type filter hook ${hook} priority -10; policy accept;`,
      `    ip daddr ${ipv4} counter drop`,
      `    ip6 daddr ${ipv6} counter drop`,
      '  }',
    ].join('\n');
  return [`table ${NFT_TABLE}`, `delete table ${NFT_TABLE}`, `table ${NFT_TABLE} {`, chain('output'), chain('forward'), '}', ''].join('\n');
}

function metadataGuardUnit(): string {
  return [
    '[Unit]',
    'Description=Keep the node and its pods from the cloud metadata service (the user data holds cluster secrets)',
    'DefaultDependencies=no',
    'Before=network-pre.target',
    'Wants=network-pre.target',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=/usr/sbin/nft -f ${METADATA_GUARD_RULES_PATH}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** A drop-in that keeps RKE2 from starting unless the guard's rules are loaded. */
function rke2NeedsGuard(): string {
  return ['[Unit]', `Requires=${METADATA_GUARD_UNIT}`, `After=${METADATA_GUARD_UNIT}`, ''].join('\n');
}

/**
 * Scheduled etcd snapshots, kept locally on each server and uploaded to
 * S3-compatible object storage. RKE2 prunes the two places separately
 * (`etcd-snapshot-retention` locally, `etcd-s3-retention` in the bucket), and
 * each server prunes only its own snapshots (their names carry the node name).
 */
export interface Rke2EtcdSnapshots {
  /** Cron expression (5 fields), e.g. `0 *\/6 * * *`. */
  readonly schedule: string;
  /** Snapshots of each server kept in object storage (RKE2 `etcd-s3-retention`). */
  readonly retention: number;
  /**
   * Snapshots kept on each server's disk (RKE2 `etcd-snapshot-retention`).
   * @default Rke2EtcdSnapshots retention (RKE2's own default is 5)
   */
  readonly localRetention?: number;
  readonly s3: {
    /** S3 endpoint host, without scheme, e.g. `s3.pub1.infomaniak.cloud`. */
    readonly endpoint: string;
    readonly region: string;
    readonly bucket: string;
    /** Folder (key prefix) inside the bucket, e.g. `production`. */
    readonly folder: string;
    /** EC2-style access key (token: from the credential resource). */
    readonly accessKey: string;
    /** EC2-style secret key (token; sensitive). */
    readonly secretKey: string;
  };
}

/**
 * Container registry mirrors (RKE2's `/etc/rancher/rke2/registries.yaml`,
 * docs.rke2.io/install/private_registry): containerd pulls from the mirror's
 * endpoints first and falls back to the upstream registry.
 */
export interface Rke2Registries {
  /** By upstream registry (`docker.io`, `quay.io`, `*`). */
  readonly mirrors: Readonly<Record<string, Rke2RegistryMirror>>;
  /**
   * Credentials and TLS by registry host (a mirror's host, or an upstream).
   * @default - anonymous pulls
   */
  readonly configs?: Readonly<Record<string, Rke2RegistryConfig>>;
}

export interface Rke2RegistryMirror {
  /** Mirror URLs (`https://harbor.example.ch`), tried in order. */
  readonly endpoint: readonly string[];
  /**
   * containerd's path rewrites (regular expression to replacement), e.g.
   * `{ '^(.*)$': 'dockerhub-proxy/$1' }` for a Harbor proxy-cache project.
   * @default - none
   */
  readonly rewrite?: Readonly<Record<string, string>>;
}

export interface Rke2RegistryConfig {
  /** Basic-auth user, e.g. a Harbor robot account or a GitLab deploy token user. */
  readonly username: string;
  /** Its password (a token: a sensitive variable; never a literal). */
  readonly password: string;
}

/** A Kubernetes manifest a server writes to {@link RKE2_MANIFESTS_DIR}. */
export interface Rke2Manifest {
  /** File name without `.yaml`: lower-case letters, digits and dashes. */
  readonly name: string;
  /** YAML text (one or more documents); may hold tokens. */
  readonly content: string;
}

/** What an RKE2 node needs to install RKE2 and join (or bootstrap) its cluster. */
export interface Rke2NodeInput {
  readonly role: 'server' | 'agent';
  /** Pinned RKE2 release, e.g. `v1.34.3+rke2r3` (INSTALL_RKE2_VERSION). */
  readonly version: string;
  /**
   * Join token (a token; sensitive): on servers the server token
   * (`K10<hash>::server:<secret>`), on agents the agent token
   * (`K10<hash>::node:<secret>`), never the server token.
   */
  readonly token: string;
  /**
   * Servers only, required there: the password agents join with (RKE2
   * `agent-token`, the `node` user). Without it RKE2 lets agents join with the
   * server token, which also joins servers and hands out the CAs.
   */
  readonly agentTokenPassword?: string;
  /**
   * Supervisor URL of the cluster, `https://<API load balancer private VIP>:9345`.
   * @default - none: this node is the bootstrap server and initializes etcd
   */
  readonly serverUrl?: string;
  /**
   * Extra names and addresses in the API serving certificate (servers only): the API
   * load balancer's VIP and public IP.
   * @default - none
   */
  readonly tlsSan?: string[];
  readonly cni: 'cilium';
  /** The OpenStack cloud controller manager runs as an RKE2 manifest. */
  readonly cloudProviderName: 'external';
  /** Pod network (servers only), e.g. `10.42.0.0/16`. */
  readonly clusterCidr: string;
  /** Service network (servers only), e.g. `10.43.0.0/16`. */
  readonly serviceCidr: string;
  /**
   * Labels the kubelet registers the node with. Keys under kubernetes.io and k8s.io are
   * refused by the NodeRestriction admission plugin, except `node.kubernetes.io/` and
   * `kubelet.kubernetes.io/` (and a few well-known keys).
   * @default - none
   */
  readonly nodeLabels?: Record<string, string>;
  /**
   * Taints the node registers with, `key[=value]:Effect`.
   * @default - none
   */
  readonly nodeTaints?: string[];
  /**
   * The kubelet's `max-pods` (`kubelet-arg`), for nodes whose capacity is
   * counted on (autoscaled pools; see MAX_PODS_PER_NODE).
   * @default - not written: the kubelet's default (110)
   */
  readonly maxPods?: number;
  /**
   * RKE2 packaged components not to deploy (servers only), e.g. `rke2-ingress-nginx`.
   * @default - none
   */
  readonly disable?: string[];
  /**
   * Scheduled etcd snapshots to S3 (servers only).
   * @default - RKE2's local snapshots only
   */
  readonly etcdSnapshots?: Rke2EtcdSnapshots;
  /**
   * Pre-created cluster CAs (servers only; required on the bootstrap server for the
   * cluster stack to compute a kubeconfig).
   * @default - RKE2 generates its own CAs
   */
  readonly caFiles?: Rke2CaFiles;
  /**
   * Manifests RKE2 applies (servers only), written with mode 0600 since they may hold
   * credentials. See `openstackCloudControllerManifest` and `cinderCsiManifest`.
   * @default - none
   */
  readonly manifests?: Rke2Manifest[];
  /**
   * Start RKE2 with `profile: cis`: host checks, PodSecurity `restricted` by default
   * (kube-system and a few system namespaces exempt), default-deny ingress
   * NetworkPolicies in kube-system, kube-public and default. The builder prepares the
   * host (kernel parameters, etcd user) before RKE2's first start.
   * @default true
   */
  readonly cisProfile?: boolean;
  /**
   * Drop every packet to the cloud metadata service (169.254.169.254 and
   * fe80::a9fe:a9fe) from the node and from everything it forwards, from the
   * first boot on, with an nftables table of its own whose drop no other
   * table's accept can undo; RKE2 does not start unless the rules are loaded.
   * The user data (CA keys, tokens, credentials) must then come from the
   * config drive, where only root can read it: boot the node with one.
   * @default true
   */
  readonly blockMetadataService?: boolean;
  /**
   * Bootstrap server only: before its first start, restore etcd from this snapshot
   * (a file name in the backup bucket, e.g. `etcd-snapshot-webhost-production-server-1-1764288000`)
   * with `rke2 server --cluster-reset --cluster-reset-restore-path`, reading the S3
   * settings and token from its config. The boot script runs once per instance, so
   * the reset happens on that VM's first boot only; a failed restore stops the boot
   * before RKE2 is started (see {@link rke2BootScript}).
   * @default - a new, empty cluster
   */
  readonly restoreSnapshot?: string;
  /**
   * SHA-256 of the release's `sha256sum-amd64.txt`: when set, the boot refuses
   * any other checksum file, so the tarball's checksum is pinned too.
   * @default - the checksum file is trusted as GitHub serves it (over TLS)
   */
  readonly releaseChecksumsSha256?: string;
  /**
   * Registry mirrors and their credentials, written to
   * `/etc/rancher/rke2/registries.yaml` (0600) on every node.
   * @default - none: images come from their upstream registries
   */
  readonly registries?: Rke2Registries;
}

const VERSION_PATTERN = /^v1\.\d+\.\d+\+rke2r\d+$/;
const MANIFEST_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST_NAME = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:\d{1,5})?$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const literal = (value: string) => !Token.isUnresolved(value);


/**
 * Every problem of `input`, as `field: value: what is wrong` lines (empty when valid).
 * Values that are still tokens are not checked.
 */
export function rke2NodeInputProblems(input: Rke2NodeInput): string[] {
  const problems: string[] = [];
  const bad = (field: string, value: unknown, message: string) =>
    problems.push(`${field}: ${JSON.stringify(value)}: ${message}`);
  const server = input.role === 'server';

  if (input.role !== 'server' && input.role !== 'agent') bad('role', input.role, "must be 'server' or 'agent'");
  if (literal(input.version) && !VERSION_PATTERN.test(input.version)) {
    bad('version', input.version, 'must be a pinned RKE2 release like v1.34.3+rke2r3');
  }
  if (literal(input.token) && input.token.length === 0) bad('token', '', 'must not be empty');
  if (!server && literal(input.token) && /::server:/.test(input.token)) {
    problems.push('token: (server token): an agent must join with the agent token (K10<hash>::node:<secret>), never the server token');
  }
  if (server && input.agentTokenPassword === undefined) {
    problems.push('agentTokenPassword: (missing): servers need it, else agents join with the server token; pass the PKI agent token password');
  }
  if (input.serverUrl === undefined) {
    if (!server) bad('serverUrl', undefined, 'an agent needs the supervisor URL https://<api VIP>:9345');
  } else if (literal(input.serverUrl) && !/^https:\/\/[^/\s:]+:9345$/.test(input.serverUrl)) {
    bad('serverUrl', input.serverUrl, 'must be https://<host>:9345 (the RKE2 supervisor port)');
  }
  if (input.restoreSnapshot !== undefined) {
    if (!server || input.serverUrl !== undefined) {
      bad('restoreSnapshot', input.restoreSnapshot, 'only the bootstrap server (no serverUrl) restores a snapshot');
    } else if (!input.etcdSnapshots) {
      bad('restoreSnapshot', input.restoreSnapshot, 'needs etcdSnapshots: the snapshot is fetched from the backup bucket');
    }
    if (literal(input.restoreSnapshot) && !/^[A-Za-z0-9._-]+$/.test(input.restoreSnapshot)) {
      bad('restoreSnapshot', input.restoreSnapshot, 'must be a snapshot file name: letters, digits, . _ -');
    }
  }
  if (input.cni !== 'cilium') bad('cni', input.cni, "only 'cilium' is supported");
  if (input.cloudProviderName !== 'external') {
    bad('cloudProviderName', input.cloudProviderName, "must be 'external' (OpenStack CCM)");
  }
  for (const field of ['clusterCidr', 'serviceCidr'] as const) {
    const value = input[field];
    if (literal(value) && typeof parseCidr(value) === 'string') bad(field, value, 'must be an IPv4 CIDR');
  }
  for (const [key, value] of Object.entries(input.nodeLabels ?? {})) {
    const problem = labelKeyProblem(key);
    if (problem) bad(`nodeLabels.${key}`, key, problem);
    const valueProblem = literal(value) ? labelValueProblem(value) : undefined;
    if (valueProblem) bad(`nodeLabels.${key}`, value, valueProblem);
  }
  if (input.maxPods !== undefined && !(Number.isInteger(input.maxPods) && input.maxPods >= 1 && input.maxPods <= 250)) {
    bad('maxPods', input.maxPods, 'must be a whole number from 1 to 250 (a /24 of pod addresses per node)');
  }
  (input.nodeTaints ?? []).forEach((taint, i) => {
    const problem = literal(taint) ? taintProblem(taint) : undefined;
    if (problem) bad(`nodeTaints[${i}]`, taint, problem);
  });

  const serverOnly = {
    agentTokenPassword: input.agentTokenPassword,
    tlsSan: input.tlsSan,
    disable: input.disable,
    etcdSnapshots: input.etcdSnapshots,
    caFiles: input.caFiles,
    manifests: input.manifests,
  };
  if (!server) {
    for (const [field, value] of Object.entries(serverOnly)) {
      if (value !== undefined) problems.push(`${field}: set on an agent: only servers take ${field}; remove it`);
    }
  }
  (input.disable ?? []).forEach((component, i) => {
    if (!/^rke2-[a-z0-9-]+$/.test(component)) bad(`disable[${i}]`, component, 'must name an RKE2 packaged component, e.g. rke2-ingress-nginx');
  });
  const snapshots = input.etcdSnapshots;
  if (snapshots) {
    if (literal(snapshots.schedule) && snapshots.schedule.trim().split(/\s+/).length !== 5) {
      bad('etcdSnapshots.schedule', snapshots.schedule, 'must be a 5-field cron expression, e.g. "0 */6 * * *"');
    }
    if (!Number.isInteger(snapshots.retention) || snapshots.retention < 1) {
      bad('etcdSnapshots.retention', snapshots.retention, 'must be a whole number of snapshots, at least 1');
    }
    const local = snapshots.localRetention;
    if (local !== undefined && (!Number.isInteger(local) || local < 1)) {
      bad('etcdSnapshots.localRetention', local, 'must be a whole number of snapshots, at least 1');
    }
    const { endpoint, bucket, folder } = snapshots.s3;
    if (literal(endpoint) && !HOST_NAME.test(endpoint)) {
      bad('etcdSnapshots.s3.endpoint', endpoint, 'must be a host name without scheme or path, e.g. s3.pub1.infomaniak.cloud');
    }
    if (literal(bucket) && !S3_BUCKET.test(bucket)) bad('etcdSnapshots.s3.bucket', bucket, 'must be a valid S3 bucket name');
    if (literal(folder) && (folder.startsWith('/') || folder.endsWith('/'))) {
      bad('etcdSnapshots.s3.folder', folder, 'must not start or end with /');
    }
  }
  if (input.releaseChecksumsSha256 !== undefined && !SHA256_HEX.test(input.releaseChecksumsSha256)) {
    bad('releaseChecksumsSha256', input.releaseChecksumsSha256, 'must be 64 lower-case hex digits (sha256sum of sha256sum-amd64.txt)');
  }
  problems.push(...registriesProblems(input.registries));
  const names = new Set<string>();
  (input.manifests ?? []).forEach((manifest, i) => {
    if (!MANIFEST_NAME.test(manifest.name)) {
      bad(`manifests[${i}].name`, manifest.name, 'must be lower-case letters, digits and dashes (the .yaml is added)');
    }
    if (names.has(manifest.name)) bad(`manifests[${i}].name`, manifest.name, 'is used twice');
    names.add(manifest.name);
  });
  return problems;
}

/** Registry host as containerd names it: `docker.io`, `harbor.example.ch:8443`, or `*`. */
const REGISTRY_HOST = /^(\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?)$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function registriesProblems(registries: Rke2Registries | undefined): string[] {
  if (!registries) return [];
  const problems: string[] = [];
  const bad = (field: string, value: unknown, message: string) =>
    problems.push(`${field}: ${JSON.stringify(value)}: ${message}`);
  const mirrors = Object.entries(registries.mirrors);
  if (mirrors.length === 0) problems.push('registries.mirrors: {}: list at least one mirror, or leave registries out');
  for (const [registry, mirror] of mirrors) {
    const at = `registries.mirrors.${registry}`;
    if (!REGISTRY_HOST.test(registry)) bad(at, registry, 'must be a registry host such as docker.io, or *');
    if (mirror.endpoint.length === 0) bad(`${at}.endpoint`, [], 'needs at least one https:// endpoint');
    mirror.endpoint.forEach((url, i) => {
      if (!literal(url)) return;
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        parsed = undefined;
      }
      if (!parsed || parsed.protocol !== 'https:' || parsed.search || parsed.hash || parsed.username) {
        bad(`${at}.endpoint[${i}]`, url, 'must be an https:// URL without query or credentials');
      }
    });
    for (const [pattern, replacement] of Object.entries(mirror.rewrite ?? {})) {
      try {
        new RegExp(pattern);
      } catch {
        bad(`${at}.rewrite`, pattern, 'is not a valid regular expression');
      }
      if (replacement.length === 0) bad(`${at}.rewrite.${pattern}`, replacement, 'must not be empty');
    }
  }
  for (const [host, config] of Object.entries(registries.configs ?? {})) {
    const at = `registries.configs.${host}`;
    if (host === '*' || !REGISTRY_HOST.test(host)) bad(at, host, 'must be a registry host such as harbor.example.ch');
    if (literal(config.username) && !/^[^\s:]+$/.test(config.username)) {
      bad(`${at}.username`, config.username, 'must be a user name without spaces or colons');
    }
    if (literal(config.password)) {
      problems.push(`${at}.password: (literal): must come from a sensitive variable (a token), never a literal in code or config`);
    }
  }
  return problems;
}

/** One entry of cloud-init's write_files. */
interface WriteFile {
  path: string;
  owner: string;
  permissions: string;
  encoding?: 'b64';
  content: string;
}

/**
 * A write_files entry whose content may hold tokens or Terraform template sequences.
 * - tokens: `encoding: b64`, content `base64encode(...)` computed by Terraform;
 * - literal text with `${` or `%{` (which Terraform would read as a template): base64
 *   computed here;
 * - other literal text: written as is (the `yaml` package renders it as a block scalar).
 */
function writeFile(path: string, permissions: string, content: string): WriteFile {
  const file = { path, owner: 'root:root', permissions };
  if (!literal(content)) return { ...file, encoding: 'b64', content: terraformBase64(content) };
  if (/[$%]\{/.test(content)) return { ...file, encoding: 'b64', content: Buffer.from(content, 'utf8').toString('base64') };
  return { ...file, content };
}


/** RKE2's config.yaml for `input`, as an object (token scalars wrapped by `yamlSafe`). */
function rke2Config(input: Rke2NodeInput): Record<string, unknown> {
  const server = input.role === 'server';
  const cis = input.cisProfile ?? true;
  const config: Record<string, unknown> = { token: yamlSafe(input.token) };
  if (server && input.agentTokenPassword !== undefined) config['agent-token'] = yamlSafe(input.agentTokenPassword);
  if (input.serverUrl !== undefined) config.server = yamlSafe(input.serverUrl);
  if (server && input.tlsSan?.length) config['tls-san'] = input.tlsSan.map(yamlSafe);
  if (server) {
    config.cni = input.cni;
    config['cluster-cidr'] = yamlSafe(input.clusterCidr);
    config['service-cidr'] = yamlSafe(input.serviceCidr);
  }
  // `external` also keeps RKE2's stub cloud controller from running (the OpenStack CCM
  // takes its place); the kubelet runs with --cloud-provider=external on every node.
  config['cloud-provider-name'] = input.cloudProviderName;
  const labels = Object.entries(input.nodeLabels ?? {});
  if (labels.length) config['node-label'] = labels.map(([key, value]) => yamlSafe(`${key}=${value}`));
  if (input.nodeTaints?.length) config['node-taint'] = input.nodeTaints.map(yamlSafe);
  if (input.maxPods !== undefined) config['kubelet-arg'] = [`max-pods=${input.maxPods}`];
  if (server) {
    if (input.disable?.length) config.disable = [...input.disable];
    const snapshots = input.etcdSnapshots;
    if (snapshots) {
      config['etcd-snapshot-schedule-cron'] = yamlSafe(snapshots.schedule);
      // Local and object-storage copies are pruned separately: without
      // etcd-s3-retention the bucket would keep RKE2's default of 5.
      config['etcd-snapshot-retention'] = snapshots.localRetention ?? snapshots.retention;
      config['etcd-s3'] = true;
      config['etcd-s3-retention'] = snapshots.retention;
      // Infomaniak's S3 serves path-style URLs; the default 'auto' guesses from the endpoint.
      config['etcd-s3-bucket-lookup-type'] = 'path';
      config['etcd-s3-endpoint'] = yamlSafe(snapshots.s3.endpoint);
      config['etcd-s3-region'] = yamlSafe(snapshots.s3.region);
      config['etcd-s3-bucket'] = yamlSafe(snapshots.s3.bucket);
      config['etcd-s3-folder'] = yamlSafe(snapshots.s3.folder);
      config['etcd-s3-access-key'] = yamlSafe(snapshots.s3.accessKey);
      config['etcd-s3-secret-key'] = yamlSafe(snapshots.s3.secretKey);
    }
    // Hardening: the admin kubeconfig is root-only, Secrets are encrypted at rest
    // (RKE2's default, stated so that it cannot silently change).
    config['write-kubeconfig-mode'] = '0600';
    config['secrets-encryption'] = true;
  }
  if (cis) config.profile = 'cis';
  return config;
}

/** The boot script every node runs once, from runcmd. */
export const RKE2_BOOT_SCRIPT_PATH = '/usr/local/sbin/rke2-boot';
/** Where the boot script records its progress: `done`, or `failed` with the step that failed. */
export const RKE2_BOOT_STATE_DIR = '/var/lib/rke2-boot';
/** The boot script's own log (the steps' output is in /var/log/cloud-init-output.log). */
export const RKE2_BOOT_LOG = '/var/log/rke2-boot.log';
/** RKE2's registry configuration. */
export const RKE2_REGISTRIES_PATH = '/etc/rancher/rke2/registries.yaml';
/** Where the release artifacts come from: the release's GitHub assets. */
export const RKE2_RELEASES_URL = 'https://github.com/rancher/rke2/releases/download';
/** The release artifacts the boot downloads (amd64: every Infomaniak flavor is x86_64). */
export const RKE2_TARBALL = 'rke2.linux-amd64.tar.gz';
export const RKE2_CHECKSUMS = 'sha256sum-amd64.txt';

/** A single-quoted shell word (the values are checked beforehand; this is belt and braces). */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The boot of an RKE2 node as one POSIX shell script, run by runcmd.
 *
 * runcmd runs its items in one `sh` script without `-e`: a failing item does
 * not stop the next, so a failed install or restore would still reach
 * `systemctl enable --now`. This script runs with `set -eu`: the first failing
 * command ends it, nothing after it runs and RKE2 is never started. On failure
 * it writes the failed step to `/var/lib/rke2-boot/failed`, logs it to
 * `/var/log/rke2-boot.log` and the console (`openstack console log show`), and
 * exits non-zero, so that cloud-init reports an error (`cloud-init status`).
 *
 * Steps: the metadata guard; the CIS host preparation; the pinned release
 * downloaded from its GitHub assets, the checksum file checked against its
 * pinned SHA-256 (when given) and the tarball against the checksum file, then
 * unpacked into /usr/local (what RKE2's install.sh does for a tarball install,
 * without running an unpinned script); on a restoring bootstrap server the
 * restore (`rke2 server --cluster-reset --cluster-reset-restore-path`), which
 * stops on any error, leaving nothing running (`rke2-killall.sh`); then the
 * service start.
 *
 * `RKE2_BOOT_ROOT` prefixes every path the script writes (empty on a node);
 * the tests run the rendered script in a sandbox directory with it.
 */
export function rke2BootScript(input: Rke2NodeInput): string {
  const server = input.role === 'server';
  const service = server ? 'rke2-server.service' : 'rke2-agent.service';
  const releaseUrl = `${RKE2_RELEASES_URL}/${encodeURIComponent(input.version)}`;
  const lines: string[] = [
    '#!/bin/sh',
    `# The first boot of an RKE2 ${input.role}, written by the platform's cloud-init builder.`,
    '# It stops at the first failing command: RKE2 is then never started, the',
    `# failed step is in ${RKE2_BOOT_STATE_DIR}/failed and ${RKE2_BOOT_LOG}, and the exit is non-zero.`,
    'set -eu',
    'ROOT=$(printenv RKE2_BOOT_ROOT || true)',
    `STATE=$ROOT${RKE2_BOOT_STATE_DIR}`,
    `LOG=$ROOT${RKE2_BOOT_LOG}`,
    'RKE2=$ROOT/usr/local/bin/rke2',
    'STEP=start',
    'mkdir -p "$STATE" "$(dirname "$LOG")"',
    'rm -f "$STATE/failed"',
    'log() { echo "rke2-boot: $*"; echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*" >>"$LOG"; }',
    'step() { STEP=$1; log "step $1"; }',
    'finish() {',
    '  rc=$?',
    '  if [ "$rc" -ne 0 ]; then',
    '    echo "$STEP" >"$STATE/failed"',
    `    log "FAILED at step $STEP (exit $rc): nothing after it ran and ${service} was not started"`,
    '  fi',
    '}',
    'trap finish EXIT',
    'if [ -e "$STATE/done" ]; then log "already booted"; exit 0; fi',
    '',
  ];
  if (input.blockMetadataService ?? true) {
    lines.push(
      '# First, before anything that could be exposed starts on this node.',
      'step metadata-guard',
      'systemctl daemon-reload',
      `systemctl enable --now ${METADATA_GUARD_UNIT}`,
      '',
    );
  }
  if (input.cisProfile ?? true) {
    // The CIS profile makes RKE2 exit at start unless these hold (docs.rke2.io hardening
    // guide): kernel parameters applied, and on servers an `etcd` system user and group.
    lines.push('step cis-host', 'sysctl --system');
    if (server) lines.push('id -u etcd >/dev/null 2>&1 || useradd -r -U -c "etcd user" -s /sbin/nologin -M etcd');
    lines.push('');
  }
  const pin = input.releaseChecksumsSha256;
  lines.push(
    `# RKE2 ${input.version} from its release assets; curl fails on HTTP errors and retries.`,
    'step download',
    '[ "$(uname -m)" = x86_64 ] || { log "not an x86_64 machine: the amd64 release does not run here"; exit 1; }',
    'DL=$STATE/download',
    'mkdir -p "$DL"',
    `curl -fsSL --retry 10 --retry-delay 5 --retry-all-errors -o "$DL/${RKE2_CHECKSUMS}" ${shellQuote(`${releaseUrl}/${RKE2_CHECKSUMS}`)}`,
    `curl -fsSL --retry 10 --retry-delay 5 --retry-all-errors -o "$DL/${RKE2_TARBALL}" ${shellQuote(`${releaseUrl}/${RKE2_TARBALL}`)}`,
    '',
    'step verify',
    ...(pin
      ? [
          '# The checksum file is the one pinned in the config (releaseChecksumsSha256).',
          `echo "${pin}  $DL/${RKE2_CHECKSUMS}" | sha256sum -c -`,
        ]
      : ['# No pin configured: the checksum file is trusted as the release serves it (HTTPS).']),
    `SUM=$(grep -E '^[0-9a-f]{64}  ${RKE2_TARBALL.replace(/\./g, '\\.')}$' "$DL/${RKE2_CHECKSUMS}") || { log "${RKE2_CHECKSUMS} lists no ${RKE2_TARBALL}"; exit 1; }`,
    '[ "$(echo "$SUM" | wc -l)" -eq 1 ] || { log "' + RKE2_CHECKSUMS + ' lists ' + RKE2_TARBALL + ' more than once"; exit 1; }',
    '(cd "$DL" && echo "$SUM" | sha256sum -c -)',
    '',
    'step install',
    'mkdir -p "$ROOT/usr/local"',
    `tar -xzf "$DL/${RKE2_TARBALL}" -C "$ROOT/usr/local"`,
    '[ -x "$RKE2" ] || { log "the tarball holds no bin/rke2"; exit 1; }',
    'rm -rf "$DL"',
    '# The tarball brings the units (/usr/local/lib/systemd/system): reload so that they and our drop-ins count.',
    'systemctl daemon-reload',
    '',
  );
  if (input.restoreSnapshot !== undefined) {
    lines.push(
      `# Restore etcd from ${input.restoreSnapshot} in the bucket named in config.yaml (etcd-s3-*),`,
      '# then exit (RKE2 exits 0 once etcd runs restored). On any error, stop what it started.',
      'step restore',
      `if ! "$RKE2" server --cluster-reset --cluster-reset-restore-path=${shellQuote(input.restoreSnapshot)}; then`,
      '  log "restore failed: stopping every RKE2 process it started"',
      '  "$ROOT/usr/local/bin/rke2-killall.sh" || true',
      '  exit 1',
      'fi',
      '',
    );
  }
  lines.push(
    'step start',
    `systemctl enable --now ${service}`,
    'touch "$STATE/done"',
    'log "done"',
    '',
  );
  return lines.join('\n');
}

/** RKE2's registries.yaml for `registries`, as an object (passwords wrapped by `yamlSafe`). */
function registriesYaml(registries: Rke2Registries): Record<string, unknown> {
  const mirrors = Object.fromEntries(
    Object.entries(registries.mirrors).map(([registry, mirror]) => [
      registry,
      { endpoint: [...mirror.endpoint], ...(mirror.rewrite ? { rewrite: { ...mirror.rewrite } } : {}) },
    ]),
  );
  const configs = Object.entries(registries.configs ?? {});
  return {
    mirrors,
    ...(configs.length
      ? {
          configs: Object.fromEntries(
            configs.map(([host, c]) => [host, { auth: { username: yamlSafe(c.username), password: yamlSafe(c.password) } }]),
          ),
        }
      : {}),
  };
}

/**
 * The `#cloud-config` user data of an RKE2 node: writes RKE2's config.yaml (0600), the
 * CIS kernel parameters, the CA files and manifests of servers, then installs the pinned
 * RKE2 release with the official script and starts rke2-server or rke2-agent.
 *
 * Throws, listing every problem, when `input` is invalid.
 */
export function rke2CloudConfig(input: Rke2NodeInput): string {
  const problems = rke2NodeInputProblems(input);
  if (problems.length > 0) {
    throw new Error(`invalid RKE2 ${input.role} cloud-init input:\n  ${problems.join('\n  ')}`);
  }
  const files: WriteFile[] = [writeFile(RKE2_CONFIG_PATH, '0600', toYaml(rke2Config(input)))];
  if (input.cisProfile ?? true) {
    const sysctls = Object.entries(RKE2_CIS_SYSCTLS).map(([key, value]) => `${key} = ${value}\n`);
    files.push(writeFile(RKE2_CIS_SYSCTL_PATH, '0644', sysctls.join('')));
  }
  if (input.blockMetadataService ?? true) {
    const service = input.role === 'server' ? 'rke2-server.service' : 'rke2-agent.service';
    files.push(writeFile(METADATA_GUARD_RULES_PATH, '0644', metadataGuardRules()));
    files.push(writeFile(`/etc/systemd/system/${METADATA_GUARD_UNIT}`, '0644', metadataGuardUnit()));
    files.push(writeFile(`/etc/systemd/system/${service}.d/10-metadata-guard.conf`, '0644', rke2NeedsGuard()));
  }
  if (input.caFiles) {
    for (const spec of RKE2_CA_FILES) {
      const pair = input.caFiles[spec.field];
      files.push(writeFile(spec.certPath, '0644', pair.certPem));
      files.push(writeFile(spec.keyPath, '0600', pair.keyPem));
    }
    files.push(writeFile(RKE2_SERVICE_ACCOUNT_KEY_PATH, '0600', input.caFiles.serviceAccountKey));
  }
  for (const manifest of input.manifests ?? []) {
    files.push(writeFile(`${RKE2_MANIFESTS_DIR}/${manifest.name}.yaml`, '0600', manifest.content));
  }
  if (input.registries) files.push(writeFile(RKE2_REGISTRIES_PATH, '0600', toYaml(registriesYaml(input.registries))));
  files.push(writeFile(RKE2_BOOT_SCRIPT_PATH, '0700', rke2BootScript(input)));
  const guard = input.blockMetadataService ?? true;
  // nftables ships with Ubuntu's server images; installing it makes sure (a no-op where present).
  const packages = guard ? { package_update: true, packages: ['nftables'] } : {};
  const document = `#cloud-config\n${toYaml({ ...packages, write_files: files, runcmd: [[RKE2_BOOT_SCRIPT_PATH]] })}`;
  // Outside tokens, Terraform must see no template sequence: it would interpolate it.
  const outsideTokens = document.replace(TOKEN_MARKER, '');
  if (/[$%]\{/.test(outsideTokens)) {
    throw new Error('cloud-init: internal error: literal ${ or %{ left in the user data');
  }
  return document;
}

// The servers' OpenStack manifests live in manifests.ts; re-exported for callers of
// this builder.
export {
  cinderCsiManifest,
  openstackCloudConfigSecret,
  openstackCloudControllerManifest,
  platformDeployerBindingManifest,
  CINDER_CSI_CHART,
  OPENSTACK_CCM_CHART,
  type CinderCsiProps,
  type OpenStackCloudAuth,
  type OpenStackCloudControllerProps,
} from './manifests';
