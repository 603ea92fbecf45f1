import { z } from 'zod';
import { addressPlanProblems, describeReach, parseIpBlock, reachOf, SANE_PREFIX_LENGTH, type AddressPlan, type IpBlock } from '../net/cidr';
import { checkEnvironmentsApart, checkFlavorsListed, endpointUrl } from './checks';
import { cronScheduleProblem } from './cron';
import { crossFieldCheck, entriesOf, type CrossFieldContext } from './cross-field';
import {
  DEFAULT_DNS_SERVERS,
  DEFAULT_EXTERNAL_NETWORK,
  FLAVOR_PATTERN,
  INFOMANIAK_REGIONS,
  VOLUME_TYPES,
} from './infomaniak';

import { PlatformLayerConfigSchema, tenantOf } from '../platform/config';
import { INFOMANIAK_DEFAULT_QUOTAS, quotaProblems, type ProjectQuotas } from './quotas';
import { CILIUM_NODE_POD_CIDR_PREFIX } from '../rke2/kubelet';
import { labelKeyProblem, taintProblem } from '../rke2/node-metadata';
import {
  defaultProtectedOf,
  defaultRoleOf,
  ENVIRONMENT_NAME_PATTERN,
  ENVIRONMENT_ROLES,
  type EnvironmentName,
  type EnvironmentRole,
} from './environments';

export * from './environments';

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

const dnsLabel = (maxLength: number) =>
  z
    .string()
    .max(maxLength, { error: `must be at most ${maxLength} characters; shorten it` })
    .regex(DNS_LABEL, {
      error: 'must be lower-case letters, digits and dashes, starting with a letter (a DNS label); rename it',
    });

// Address blocks are plain strings here; checkAddressPlan reports malformed
// ones together with the cross-field rules, once each.
const cidr = z.string();

const ipv4Address = z.string().regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, {
  error: 'not an IPv4 address; write it as a.b.c.d',
});

const flavor = z.string().regex(FLAVOR_PATTERN, {
  error: 'not an Infomaniak flavor name; use a{vCPU}-ram{GB}-disk{GB}[-perf{n}], for example a4-ram16-disk0',
});

// Kubernetes label keys and values, and RKE2 node-taint syntax: a first look for the
// plain message, then the rules the user data builder applies (lib/rke2/node-metadata.ts).
const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/i;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const TAINT = /^([^=:\s]+)(=([^=:\s]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/;

const BootVolumeSchema = z
  .object({
    sizeGiB: z
      .number()
      .int({ error: 'must be a whole number of GiB' })
      .min(20, { error: 'must be at least 20 GiB for the OS, RKE2 and container images; raise it' })
      .max(2000, { error: 'must be at most 2000 GiB; use a data volume for more' }),
    type: z.enum(VOLUME_TYPES, { error: `must be one of ${VOLUME_TYPES.join(', ')}` }),
  })
  .strict()
  .describe('Cinder volume the node boots from (disk0 flavors have no local disk).');

const ServersSchema = z
  .object({
    count: z
      .number()
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'a cluster needs at least 1 server; use 1 (test) or 3 (HA)', abort: true })
      .max(7, { error: 'more than 7 etcd members slows every write; use 3 or 5' })
      .refine((n) => n % 2 === 1, { error: 'must be odd for etcd quorum; use 1, 3 or 5' }),
    flavor,
    bootVolume: BootVolumeSchema,
    bootstrapped: z
      .boolean()
      .default(false)
      .describe(
        'Set true once the cluster has formed: server 1 then joins the others if it is ever replaced, instead of starting a new cluster. Changes nothing on running servers.',
      ),
  })
  .strict()
  .describe('RKE2 servers: control plane and etcd, in the servers subnet.');

/** The most nodes one agent pool may have, fixed or at its autoscaling maximum. */
export const MAX_NODES_PER_POOL = 100;

const poolSize = (field: string) =>
  z
    .number()
    .int({ error: 'must be a whole number' })
    .min(1, { error: `an agent pool needs at least 1 node; raise ${field} or remove the pool` })
    .max(MAX_NODES_PER_POOL, { error: `must be at most ${MAX_NODES_PER_POOL} per pool; add another pool` });

const PoolAutoscalingSchema = z
  .object({
    minNodes: poolSize('minNodes').describe(
      'Nodes the pool never goes below; OpenTofu creates them (the floor stands even if the autoscaler is down).',
    ),
    maxNodes: poolSize('maxNodes').describe('Nodes the cluster-autoscaler may grow the pool to on pending pods.'),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.maxNodes < a.minNodes) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxNodes'],
        message: `must be at least minNodes (${a.minNodes}); raise maxNodes or lower minNodes`,
      });
    } else if (a.maxNodes === a.minNodes) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxNodes'],
        message: `equals minNodes (${a.minNodes}): the pool could never grow; raise maxNodes, or drop autoscaling and set count: ${a.minNodes}`,
      });
    }
  })
  .describe('Nodes follow the load between minNodes and maxNodes (cluster-autoscaler); absent: a fixed pool of count nodes.');

const AgentPoolSchema = z
  .object({
    name: dnsLabel(20),
    count: poolSize('count')
      .optional()
      .describe('Nodes of a fixed pool. With autoscaling, leave it out: the pool has minNodes to maxNodes.'),
    autoscaling: PoolAutoscalingSchema.optional(),
    flavor,
    bootVolume: BootVolumeSchema,
    labels: z
      .record(
        z
          .string()
          .regex(labelKey, { error: 'not a Kubernetes label key; use [prefix/]name', abort: true })
          .superRefine((key, ctx) => {
            const problem = labelKeyProblem(key);
            if (!problem) return;
            const restricted = problem.startsWith('the kubelet');
            ctx.addIssue({ code: 'custom', input: key, message: restricted ? problem : `not a Kubernetes label key: ${problem}` });
          }),
        z.string().max(63, { error: 'must be at most 63 characters (a Kubernetes label value)' }).regex(labelValue, { error: 'not a Kubernetes label value; letters, digits, - _ . (63 at most)' }),
      )
      .default({})
      .describe('Node labels of the pool (RKE2 node-label).'),
    taints: z
      .array(
        z
          .string()
          .regex(TAINT, { error: 'not a taint; write key[=value]:NoSchedule|PreferNoSchedule|NoExecute', abort: true })
          .superRefine((taint, ctx) => {
            const problem = taintProblem(taint);
            if (problem) ctx.addIssue({ code: 'custom', input: taint, message: `not a taint: ${problem}` });
          }),
      )
      .default([])
      .describe('Node taints of the pool (RKE2 node-taint).'),
  })
  .strict()
  .superRefine((pool, ctx) => {
    if (pool.autoscaling === undefined && pool.count === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['count'],
        message: 'required field is missing; add it (number), or give the pool autoscaling: { minNodes, maxNodes }',
      });
    } else if (pool.autoscaling !== undefined && pool.count !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['count'],
        message: `an autoscaled pool has no fixed count (it runs autoscaling.minNodes to maxNodes); remove count`,
      });
    }
  })
  // `count` is the nodes OpenTofu creates: a fixed pool's count, or an autoscaled pool's floor.
  .transform(({ count, autoscaling, ...pool }) => ({
    ...pool,
    count: count ?? autoscaling?.minNodes ?? 0,
    ...(autoscaling ? { autoscaling } : {}),
  }))
  .describe('RKE2 agents running the workloads, in the agents subnet.');

const NetworkSchema = z
  .object({
    cidr: cidr.describe('The whole cluster network; an RFC 1918 range.'),
    serversSubnetCidr: cidr.describe('Control-plane subnet, inside cidr.'),
    agentsSubnetCidr: cidr.describe('Agents subnet, inside cidr, not overlapping the servers subnet.'),
  })
  .strict();

/** RKE2 release installed on every node, e.g. v1.34.3+rke2r3. */
export const RKE2_VERSION_PATTERN = /^v1\.\d+\.\d+\+rke2r\d+$/;
export const DEFAULT_RKE2_VERSION = 'v1.34.3+rke2r3';

const KubernetesSchema = z
  .object({
    version: z
      .string()
      .regex(RKE2_VERSION_PATTERN, {
        error: `not an RKE2 release; pin one exactly, for example ${DEFAULT_RKE2_VERSION}`,
      })
      .default(DEFAULT_RKE2_VERSION)
      .describe('RKE2 release, pinned; an upgrade is a change of this field.'),
    releaseChecksumsSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { error: 'must be the 64 lower-case hex digits sha256sum prints for the release\'s sha256sum-amd64.txt' })
      .optional()
      .describe(
        "SHA-256 of the pinned release's sha256sum-amd64.txt: the nodes then refuse any other checksum file, so the tarball is pinned too. Change it with version.",
      ),
    podCidr: cidr.default('10.42.0.0/16').describe('Pod addresses (RKE2 cluster-cidr).'),
    serviceCidr: cidr.default('10.43.0.0/16').describe('Service addresses (RKE2 service-cidr).'),
  })
  .strict();

const nodePort = (fallback: number) =>
  z
    .number()
    .int({ error: 'must be a whole number' })
    .min(30000, { error: 'must be a Kubernetes NodePort, 30000 to 32767' })
    .max(32767, { error: 'must be a Kubernetes NodePort, 30000 to 32767' })
    .default(fallback);

const IngressSchema = z
  .object({
    httpNodePort: nodePort(30080).describe('NodePort of the ingress controller for HTTP; the ingress load balancer sends :80 here.'),
    httpsNodePort: nodePort(30443).describe('NodePort of the ingress controller for HTTPS; the ingress load balancer sends :443 here.'),
  })
  .strict()
  .refine((i) => i.httpNodePort !== i.httpsNodePort, {
    error: 'httpNodePort and httpsNodePort must differ (they default to 30080 and 30443); pick two ports',
    path: ['httpsNodePort'],
  });

const AccessSchema = z
  .object({
    apiAllowedCidrs: z
      .array(cidr)
      .default([])
      .describe('Who may reach the Kubernetes API (6443) through the API load balancer: your office and CI runners.'),
  })
  .strict();

/**
 * Fields the config no longer has, by path (`*` is any one key), with why and
 * what to do: an old file that still sets one gets this instead of
 * "unknown field", so nobody believes a misspelling switched nothing on.
 */
export const REMOVED_FIELDS: readonly { readonly path: readonly string[]; readonly why: string }[] = [
  {
    path: ['environments', '*', 'access', 'sshAllowedCidrs'],
    why:
      'removed: it opened port 22, but no SSH key can be configured and no node has a public address, so it let no one in; ' +
      'RKE2 needs no login (the kubeconfigs come from the state: npm run break-glass); delete the field',
  },
  {
    path: ['environments', '*', 'access', 'allowWorldSsh'],
    why: 'removed with access.sshAllowedCidrs: the platform opens no SSH at all, so there is nothing to open to the world; delete the field',
  },
];

const snapshotCount = (what: string) =>
  z
    .number()
    .int({ error: 'must be a whole number' })
    .min(2, { error: `keep at least 2 snapshots ${what}` })
    .max(500, { error: 'must be at most 500 snapshots' });

const RestoreSchema = z
  .object({
    snapshot: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, { error: 'must be a snapshot file name from the backup bucket: letters, digits, . _ -' })
      .describe('File name of the snapshot in the backup bucket (under <name>/), e.g. etcd-snapshot-webhost-production-server-1-1764288000.'),
    generation: z
      .number()
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be 1 or more; raise it by one to run a restore again' })
      .default(1)
      .describe('Raise by one to restore the same snapshot again: every change of restore replaces all servers in one apply.'),
  })
  .strict()
  .describe(
    'Disaster recovery, or the only way to replace the single server of a one-server cluster without losing etcd: setting or changing it replaces every server in one apply; with servers.bootstrapped false the new server 1 restores the snapshot and the others join it with empty datastores. Remove it once the cluster is back: that replaces nothing.',
  );

const BackupsSchema = z
  .object({
    etcdSnapshotSchedule: z
      .string()
      .superRefine((schedule, ctx) => {
        const problem = cronScheduleProblem(schedule);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('0 */6 * * *')
      .describe('When RKE2 snapshots etcd to the backup bucket (cron, UTC).'),
    etcdSnapshotRetention: snapshotCount('in object storage')
      .default(28)
      .describe('Snapshots of each server kept in the backup bucket (RKE2 etcd-s3-retention); older ones are pruned.'),
    localSnapshotRetention: snapshotCount('on each server')
      .default(5)
      .describe("Snapshots kept on each server's disk (RKE2 etcd-snapshot-retention); each is as large as the etcd database."),
    forceDestroy: z
      .boolean()
      .default(false)
      .describe('Let tofu destroy a non-empty backup container; never in production.'),
    restore: RestoreSchema.optional(),
  })
  .strict();

/** containerd's name of a registry: a host with an optional port; `*` (mirrors only) stands for every registry. */
const REGISTRY_HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/;

const RegistryMirrorSchema = z
  .object({
    endpoint: z
      .array(z.url({ protocol: /^https$/, error: 'must be an https:// URL, e.g. https://harbor.tools.webhost.ch' }))
      .min(1, { error: 'needs at least one https:// endpoint' })
      .describe('Mirror URLs, tried in order; the upstream registry is the last resort.'),
    rewrite: z
      .record(
        z.string().refine(isValidRegex, { error: 'not a valid regular expression' }),
        z.string().min(1, { error: 'must not be empty' }),
      )
      .optional()
      .describe("Path rewrites of containerd, e.g. { '^(.*)$': 'dockerhub-proxy/$1' } for a Harbor proxy-cache project."),
  })
  .strict();

const RegistriesSchema = z
  .object({
    mirrors: z
      .record(
        z.string().refine((h) => h === '*' || REGISTRY_HOST.test(h), { error: 'not a registry host; write it as docker.io, or * for every registry' }),
        RegistryMirrorSchema,
      )
      .refine((m) => Object.keys(m).length > 0, { error: 'list at least one mirror, or leave registries out' })
      .describe('Mirrors by upstream registry (docker.io, quay.io, ...), written to /etc/rancher/rke2/registries.yaml.'),
    configs: z
      .record(
        z.string().regex(REGISTRY_HOST, { error: 'not a registry host; write it as harbor.tools.webhost.ch' }),
        z
          .object({
            auth: z
              .object({
                username: z
                  .string()
                  .regex(/^[^\s:]+$/, { error: 'must be a user name without spaces or colons' })
                  .describe('Pull-only user: a Harbor robot account, a GitLab deploy token user.'),
                passwordVariable: z
                  .string()
                  .regex(/^[a-z][a-z0-9_]{0,63}$/, {
                    error: 'must be an OpenTofu variable name of lower-case letters, digits and underscores, e.g. registry_mirror_password',
                  })
                  .refine((v) => !v.startsWith('state_encryption_passphrase'), { error: 'is the state passphrase; give the registry password a variable of its own' })
                  .describe('Name of the sensitive variable holding the password (TF_VAR_<name> at plan and apply); never the password itself.'),
              })
              .strict(),
          })
          .strict(),
      )
      .default({})
      .describe('Credentials by registry host; the password is never in the config.'),
  })
  .strict()
  .describe('Container registry mirrors of every node, e.g. a Harbor proxy cache or a GitLab dependency proxy in front of docker.io.');

const infomaniakRegion = z.string().refine((r) => r in INFOMANIAK_REGIONS, {
  error: `not an Infomaniak region; use one of ${Object.keys(INFOMANIAK_REGIONS).join(', ')}`,
});

const EnvironmentSchema = z
  .object({
    role: z
      .enum(ENVIRONMENT_ROLES, { error: `must be one of ${ENVIRONMENT_ROLES.join(', ')}` })
      .optional()
      .describe(
        'What the cluster runs: tools (Grafana, Mimir and Loki for all environments; at most one) or sites (receives tenant sites). ' +
          'Default: tools for an environment named tools, sites for any other.',
      ),
    protected: z
      .boolean()
      .optional()
      .describe(
        "Production rules: backups never force-destroyed, applies only by hand in the pipeline, sites on their own hosts. Default: true for production only.",
      ),
    region: infomaniakRegion
      .optional()
      .describe("Region of this cluster (dc3-a or dc4-a), with that region's Keystone and S3 endpoints. Default: cloud.region."),
    network: NetworkSchema,
    kubernetes: KubernetesSchema.prefault({}),
    access: AccessSchema.prefault({}),
    ingress: IngressSchema.prefault({}),
    backups: BackupsSchema.prefault({}),
    registries: RegistriesSchema.optional(),
    objectStorage: z
      .object({
        containers: z
          .array(dnsLabel(40))
          .default([])
          .describe('More object storage containers of this cluster (besides etcd-snapshots), e.g. for Mimir and Loki on tools.'),
      })
      .strict()
      .prefault({}),
    servers: ServersSchema,
    agentPools: z
      .array(AgentPoolSchema)
      .min(1, { error: 'needs at least one agent pool; add one under agentPools' }),
  })
  .strict()
  .check(crossFieldCheck((env, ctx) => {
    const plan = [['network', 'cidr'], ['network', 'serversSubnetCidr'], ['network', 'agentsSubnetCidr'], ['kubernetes', 'podCidr'], ['kubernetes', 'serviceCidr']];
    if (plan.every((field) => ctx.valid(...field))) checkAddressPlan(env, ctx);
    if (ctx.valid('access') && ctx.valid('network', 'cidr')) checkAccess(env.access, env.network.cidr, ctx);
    const containers = new Set<string>(['etcd-snapshots']);
    (Array.isArray(env.objectStorage?.containers) ? env.objectStorage.containers : []).forEach((name, index) => {
      if (!ctx.valid('objectStorage', 'containers', index)) return;
      if (containers.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['objectStorage', 'containers', index],
          message: 'listed twice (etcd-snapshots always exists); list each container once',
        });
      }
      containers.add(name);
    });
    // Cilium's cluster-pool IPAM gives each node a /24 of the pod range (RKE2's default): every node at the maximum needs one.
    // Read only fields that passed their own checks (a bad count or range is reported by its own field).
    const poolsValid = ctx.valid('servers', 'count') && ctx.valid('agentPools');
    const podPrefix = ctx.valid('kubernetes', 'podCidr') ? Number(env.kubernetes.podCidr.split('/')[1]) : NaN;
    if (poolsValid && Number.isInteger(podPrefix) && podPrefix <= CILIUM_NODE_POD_CIDR_PREFIX) {
      const ranges = 2 ** (CILIUM_NODE_POD_CIDR_PREFIX - podPrefix);
      const nodes = env.servers.count + env.agentPools.reduce((n, p) => n + (p.autoscaling?.maxNodes ?? p.count), 0);
      if (nodes > ranges) {
        ctx.addIssue({
          code: 'custom',
          path: ['kubernetes', 'podCidr'],
          message:
            `holds ${ranges} node ranges of /${CILIUM_NODE_POD_CIDR_PREFIX} (Cilium's pod range per node), but the cluster may have ` +
            `${nodes} nodes (servers, counts and maxNodes); use a larger pod range or fewer nodes`,
        });
      }
    }
    const seen = new Set<string>();
    (Array.isArray(env.agentPools) ? env.agentPools : []).forEach((pool, index) => {
      if (!ctx.valid('agentPools', index, 'name')) return;
      if (seen.has(pool.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['agentPools', index, 'name'],
          message: 'duplicate agent pool name; give each pool its own name',
        });
      }
      seen.add(pool.name);
    });
  }));

/** What each access list opens, and the way out of a list that admits the internet. */
const ACCESS_LISTS = {
  apiAllowedCidrs: {
    opens: 'the Kubernetes API',
    fix: 'list your office and CI runner networks (the API has no opt-in: it is never public)',
  },
} as const;

/**
 * Access lists: well-formed IPv4 blocks that together admit no more than one
 * organisation's network (see SANE_PREFIX_LENGTH): not the whole internet,
 * however it is split up, and no block or union larger than a /8; there is no
 * opt-in: the API is never public.
 * IPv6 blocks are parsed and refused: the cluster has no IPv6 address.
 */
function checkAccess(access: z.output<typeof AccessSchema>, networkCidr: string, ctx: z.RefinementCtx): void {
  const network = parseIpBlock(networkCidr);
  for (const field of ['apiAllowedCidrs'] as const) {
    const { opens, fix } = ACCESS_LISTS[field];
    const issue = (message: string, index?: number) =>
      ctx.addIssue({ code: 'custom', path: index === undefined ? ['access', field] : ['access', field, index], message });
    const blocks: { block: IpBlock; index: number }[] = [];
    access[field].forEach((text, index) => {
      const parsed = parseIpBlock(text);
      if (typeof parsed === 'string') issue(parsed, index);
      else if (parsed.version === 6) {
        issue(
          'an IPv6 block, but the cluster is IPv4 only (IPv4 subnets and floating IPs): it would admit no one, ' +
            "and Octavia refuses an IPv6 block on an IPv4 listener; list the network's IPv4 blocks",
          index,
        );
      } else blocks.push({ block: parsed, index });
    });
    const [reach] = reachOf(blocks.map((b) => b.block));
    if (!reach?.tooBroad) {
      // The API listener admits the cluster network too (nodes join through it): judge what it really admits.
      const listener = field === 'apiAllowedCidrs' && typeof network !== 'string' && blocks.length > 0;
      const [withNetwork] = listener ? reachOf([...blocks.map((b) => b.block), network]) : [];
      if (withNetwork?.tooBroad) {
        issue(
          `together with the cluster network ${networkCidr}, which the API listener admits as well, the blocks admit ` +
            `${describeReach(withNetwork)}, larger than any organisation's network, to ${opens}; ${fix}`,
        );
      }
      continue;
    }
    const broad = blocks.filter(({ block }) => block.prefixLength < SANE_PREFIX_LENGTH[4]);
    if (broad.length === 1 && broad[0].block.prefixLength === 0) {
      issue(`opens ${opens} to the whole internet; ${fix}`, broad[0].index);
    } else if (!reach.whole && broad.length > 0) {
      for (const { block, index } of broad) {
        const [own] = reachOf([block]);
        issue(`a /${block.prefixLength} admits ${describeReach(own)}, larger than any organisation's network; ${fix}`, index);
      }
    } else {
      const what = reach.whole ? describeReach(reach) : `${describeReach(reach)}, larger than any organisation's network,`;
      issue(`together the blocks admit ${what} to ${opens}; ${fix}`);
    }
  }
}

const ADDRESS_PLAN_PATHS: Record<keyof AddressPlan, string[]> = {
  networkCidr: ['network', 'cidr'],
  serversSubnetCidr: ['network', 'serversSubnetCidr'],
  agentsSubnetCidr: ['network', 'agentsSubnetCidr'],
  podCidr: ['kubernetes', 'podCidr'],
  serviceCidr: ['kubernetes', 'serviceCidr'],
};

/** Address blocks: well-formed, and sound together (see addressPlanProblems). */
function checkAddressPlan(
  env: { network: z.output<typeof NetworkSchema>; kubernetes: z.output<typeof KubernetesSchema> },
  ctx: z.RefinementCtx,
): void {
  const problems = addressPlanProblems({
    networkCidr: env.network.cidr,
    serversSubnetCidr: env.network.serversSubnetCidr,
    agentsSubnetCidr: env.network.agentsSubnetCidr,
    podCidr: env.kubernetes.podCidr,
    serviceCidr: env.kubernetes.serviceCidr,
  });
  for (const { field, message } of problems) {
    // A copy: zod prefixes an issue's path in place (a record of environments does), which would change the shared one.
    ctx.addIssue({ code: 'custom', path: [...ADDRESS_PLAN_PATHS[field]], message });
  }
}

const CloudSchema = z
  .object({
    region: infomaniakRegion.describe(
      "OpenStack region of the state bucket and of every environment that names none; also selects the default Keystone and S3 endpoints.",
    ),
    authUrl: endpointUrl('the OpenStack provider reads them from the OS_* variables').optional(),
    s3Endpoint: endpointUrl('the S3 keys are EC2 credentials, the state backend reads them from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY').optional(),
    externalNetwork: z.string().min(1).default(DEFAULT_EXTERNAL_NETWORK),
    dnsServers: z.array(ipv4Address).min(1, { error: 'needs at least one resolver' }).default(DEFAULT_DNS_SERVERS),
    imageNameRegex: z
      .string()
      .default('^Ubuntu 24\\.04 LTS')
      .refine(isValidRegex, { error: 'not a valid regular expression; escape special characters' })
      .describe('Node image, looked up by name (most recent match).'),
    quotas: z
      .object(
        Object.fromEntries(
          Object.entries(INFOMANIAK_DEFAULT_QUOTAS).map(([key, fallback]) => [
            key,
            z.number().int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).default(fallback),
          ]),
        ) as { [K in keyof ProjectQuotas]: z.ZodDefault<z.ZodNumber> },
      )
      .strict()
      .prefault({})
      .describe("The project's quotas (Infomaniak's defaults unless raised): every node at its largest must fit."),
    unlistedFlavors: z
      .array(flavor)
      .default([])
      .describe(
        'Flavors your project has that are not in the price list (lib/cost/prices.ts), such as a new or a private one: the explicit opt-in for using them; the cost estimate reports them as not priced.',
      ),
  })
  .strict()
  .transform((cloud) => ({
    ...cloud,
    authUrl: cloud.authUrl ?? INFOMANIAK_REGIONS[cloud.region].authUrl,
    s3Endpoint: cloud.s3Endpoint ?? INFOMANIAK_REGIONS[cloud.region].s3Endpoint,
  }));

function isValidRegex(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Container registries the platform may pull from by default: the upstream
 * homes of the images the charts and sites use. Narrow it to a mirror of your own.
 */
export const DEFAULT_ALLOWED_REGISTRIES = ['docker.io', 'quay.io', 'ghcr.io', 'registry.k8s.io'];

const GuardrailsSchema = z
  .object({
    allowedRegions: z
      .array(z.string().min(1))
      .min(1, { error: 'needs at least one region' })
      .default(Object.keys(INFOMANIAK_REGIONS))
      .describe('OpenStack and S3 regions resources may live in (sovereignty).'),
    allowedEndpointDomains: z
      .array(z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, { error: 'not a domain name; write it as example.ch' }))
      .min(1, { error: 'needs at least one domain' })
      .default(['infomaniak.cloud'])
      .describe('Every OpenStack and S3 endpoint must be a host in one of these domains.'),
    allowedDnsResolvers: z
      .array(ipv4Address)
      .min(1, { error: 'needs at least one resolver' })
      .default(DEFAULT_DNS_SERVERS)
      .describe('Resolvers the nodes may be given (cloud.dnsServers must be among them).'),
    allowedRegistries: z
      .array(z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, { error: 'not a registry host[/path]; write it as registry.example.ch' }))
      .min(1, { error: 'needs at least one registry' })
      .default(DEFAULT_ALLOWED_REGISTRIES)
      .describe('Registries (host, optionally with a path prefix) every container image must come from.'),
  })
  .strict();

const keyName = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, {
  error: 'must be a lower-case name of letters, digits and underscores, for example key2',
});

const StateSchema = z
  .object({
    backend: z
      .enum(['local', 's3'], { error: 'must be local or s3' })
      .default('local')
      .describe('Where each stack keeps its state: local files (state/<stack>.tfstate) or Infomaniak object storage.'),
    s3: z
      .object({
        bucket: z
          .string()
          .regex(/^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$/, {
            error: 'not a bucket name; use 3 to 63 lower-case letters, digits and dashes',
          })
          .describe('Object storage container holding the states; create it once by hand (see README).'),
        keyPrefix: z
          .string()
          .regex(/^[a-z0-9]([a-z0-9/-]*[a-z0-9])?$/, { error: 'must be lower-case letters, digits, dashes and slashes' })
          .default('platform')
          .describe('Key of a stack state: <keyPrefix>/<stack>.tfstate.'),
        lockFile: z
          .boolean()
          .default(true)
          .describe(
            "Lock each state with OpenTofu's lock file (<key>.tflock, a conditional write). false only where the object storage refuses conditional writes (Swift before 2.36 answers 501): then nothing stops two applies of one stack at once.",
          ),
      })
      .strict()
      .optional(),
    encryption: z
      .object({
        key: keyName
          .default('key1')
          .describe('Name of the current key; states and plans record which key encrypted them. Change it only to rotate.'),
        previousKey: keyName
          .optional()
          .describe(
            'During a key rotation only: the key being replaced (its passphrase in TF_VAR_state_encryption_passphrase_previous), read as a fallback.',
          ),
      })
      .strict()
      .refine((e) => e.previousKey !== e.key, {
        error: 'must differ from key: give the new key a new name (key1 -> key2) and put the old name here',
        path: ['previousKey'],
      })
      .prefault({}),
  })
  .strict()
  .superRefine((state, ctx) => {
    if (state.backend === 's3' && !state.s3) {
      ctx.addIssue({
        code: 'custom',
        path: ['s3'],
        message: 'the s3 backend needs its settings; add state.s3.bucket (and optionally keyPrefix)',
      });
    }
  });

export const PlatformConfigSchema = z
  .object({
    platform: z
      .object({
        name: dnsLabel(16).describe('Prefix of every cloud resource name.'),
      })
      .strict(),
    cloud: CloudSchema,
    environments: z
      .record(
        z.string().regex(ENVIRONMENT_NAME_PATTERN, {
          error:
            'not an environment name; use 1 to 12 lower-case letters and digits, starting with a letter and without dashes ' +
            '(it starts the stack names: production, staging, dr2)',
        }),
        EnvironmentSchema,
      )
      .refine((envs) => Object.keys(envs).length > 0, { error: 'needs at least one environment; add one, e.g. production' })
      .describe('The clusters, by name: each its own stacks, in this order.'),
    guardrails: GuardrailsSchema.prefault({}),
    state: StateSchema.prefault({}),
    platformLayer: PlatformLayerConfigSchema.prefault({}).describe(
      'The platform stacks: ACME email, tools host names, tenants, retention, ingress replicas.',
    ),
  })
  .strict()
  .check(crossFieldCheck((config, ctx) => {
    // Each check reads only fields that passed their own: a bad region or URL is reported once, by its own check.
    checkSovereignty(config, ctx);
    checkEnvironmentsApart(config, ctx);
    checkFlavorsListed(config, ctx);
    // Read only when every environment and the quotas passed their own checks: a bad count or flavor is reported once, by its field.
    // Environments whose pools passed their own checks count; the others' problems are reported by their fields.
    const counted = Object.fromEntries(
      Object.entries(config.environments ?? {}).filter(([name]) => ctx.valid('environments', name, 'servers') && ctx.valid('environments', name, 'agentPools')),
    ) as typeof config.environments;
    // Quotas hold per region (each is its own OpenStack): the environments of each region count together.
    if (ctx.valid('cloud', 'quotas')) {
      const byRegion = new Map<string, typeof counted>();
      for (const [name, env] of Object.entries(counted)) {
        const region = (ctx.valid('environments', name, 'region') ? env.region : undefined) ?? config.cloud.region;
        byRegion.set(region, { ...byRegion.get(region), [name]: env });
      }
      for (const [region, environments] of byRegion) {
        const where = byRegion.size > 1 ? region : undefined;
        for (const { quota, message } of quotaProblems({ quotas: config.cloud.quotas, environments, region: where })) {
          ctx.addIssue({ code: 'custom', path: ['cloud', 'quotas', quota], message });
        }
      }
    }
    checkRoles(config, ctx);
    checkTenants(config, ctx);
  }))
  .transform((config) => ({ ...config, environments: resolveEnvironments(config.environments, config.cloud) }));

/** platformLayer.tenants names environments of the config, and no two environments share a tenant. */
function checkTenants(
  config: { environments: Record<string, unknown>; platformLayer: { tenants: Record<string, string> } },
  ctx: CrossFieldContext,
): void {
  if (!ctx.valid('platformLayer', 'tenants')) return;
  const names = entriesOf(config.environments).map(([name]) => name);
  if (names.length === 0) return;
  for (const env of Object.keys(config.platformLayer.tenants)) {
    if (names.includes(env)) continue;
    ctx.addIssue({
      code: 'custom',
      path: ['platformLayer', 'tenants', env],
      message: `not an environment of this config (${names.join(', ')}); name one of them, or remove the entry`,
    });
  }
  const seen = new Map<string, string>();
  for (const env of names) {
    const id = tenantOf(config.platformLayer, env);
    const other = seen.get(id);
    if (other !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['platformLayer', 'tenants', env],
        message: `same tenant id as ${other} (${id}); each cluster needs its own tenant`,
      });
    }
    seen.set(id, env);
  }
}

/**
 * Roles and protection across environments: at most one tools environment
 * (it is every other cluster's telemetry target), and no protected
 * environment's backups force-destroyed.
 */
function checkRoles(config: { environments: Record<string, z.output<typeof EnvironmentSchema>> }, ctx: CrossFieldContext): void {
  let tools: string | undefined;
  // Each environment on its own: a problem in one hides nothing of the others.
  for (const [name, env] of entriesOf(config.environments)) {
    if (env === null || typeof env !== 'object') continue;
    if (ctx.valid('environments', name, 'role') || env.role === undefined) {
      if ((env.role ?? defaultRoleOf(name)) === 'tools') {
        if (tools !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['environments', name, ...(env.role === undefined ? [] : ['role'])],
            message: `a second tools environment (environments.${tools} is one); there is at most one: set role: sites here, or remove it`,
          });
        } else tools = name;
      }
    }
    const guarded = ctx.valid('environments', name, 'protected') ? env.protected : env.protected === undefined ? defaultProtectedOf(name) : false;
    if (guarded && ctx.valid('environments', name, 'backups', 'forceDestroy') && env.backups.forceDestroy) {
      ctx.addIssue({
        code: 'custom',
        path: ['environments', name, 'backups', 'forceDestroy'],
        message: `${name} is protected, and a protected environment's backups are never force-destroyed; set it to false (empty the container by hand if you must)`,
      });
    }
  }
}

/** An environment with its defaults applied: role, protection, region and the region's endpoints. */
function resolveEnvironments(
  environments: Record<string, z.output<typeof EnvironmentSchema>>,
  cloud: z.output<typeof CloudSchema>,
): Record<string, z.output<typeof EnvironmentSchema> & ResolvedEnvironmentFields> {
  return Object.fromEntries(
    Object.entries(environments).map(([name, env]) => [name, { ...env, ...resolvedFields(name, env, cloud) }]),
  );
}

/** The fields every environment has once the config is loaded, whether the file set them or not. */
export interface ResolvedEnvironmentFields {
  readonly role: EnvironmentRole;
  readonly protected: boolean;
  readonly region: string;
  /** Keystone of the region: cloud.authUrl in cloud.region, else the region's Infomaniak endpoint. */
  readonly authUrl: string;
  /** S3 endpoint of the region (the backups bucket), as authUrl. */
  readonly s3Endpoint: string;
}

function resolvedFields(
  name: string,
  env: z.output<typeof EnvironmentSchema>,
  cloud: { region: string; authUrl: string; s3Endpoint: string },
): ResolvedEnvironmentFields {
  const region = env.region ?? cloud.region;
  const home = region === cloud.region;
  return {
    role: env.role ?? defaultRoleOf(name),
    protected: env.protected ?? defaultProtectedOf(name),
    region,
    authUrl: home ? cloud.authUrl : INFOMANIAK_REGIONS[region].authUrl,
    s3Endpoint: home ? cloud.s3Endpoint : INFOMANIAK_REGIONS[region].s3Endpoint,
  };
}

/**
 * The cloud section stays within the guardrails: region, endpoints and
 * resolvers allowed (the synth-time sovereignty guardrail checks the result
 * again; failing here names the config field instead of a construct).
 */
function checkSovereignty(
  config: {
    cloud: z.output<typeof CloudSchema>;
    guardrails: z.output<typeof GuardrailsSchema>;
    environments: Record<string, z.output<typeof EnvironmentSchema>>;
  },
  ctx: CrossFieldContext,
): void {
  const { cloud, guardrails } = config;
  // Judged only against a list that passed its own checks (it may hold anything the file had).
  const regionAllowed = (region: string) => !ctx.valid('guardrails', 'allowedRegions') || guardrails.allowedRegions.includes(region);
  const regionProblem = () => `not among guardrails.allowedRegions (${guardrails.allowedRegions.join(', ')}); pick one of them or add it there`;
  if (ctx.valid('cloud', 'region') && !regionAllowed(cloud.region)) {
    ctx.addIssue({ code: 'custom', path: ['cloud', 'region'], message: regionProblem() });
  }
  for (const [name, env] of entriesOf(config.environments)) {
    if (env?.region === undefined || !ctx.valid('environments', name, 'region')) continue;
    if (!regionAllowed(env.region)) ctx.addIssue({ code: 'custom', path: ['environments', name, 'region'], message: regionProblem() });
    else if (ctx.valid('guardrails', 'allowedEndpointDomains') && ctx.valid('cloud', 'region') && env.region !== cloud.region) {
      // Outside cloud.region an environment talks to its region's Infomaniak endpoints: they must be allowed too.
      for (const url of Object.values(INFOMANIAK_REGIONS[env.region])) {
        const host = new URL(url).hostname;
        if (guardrails.allowedEndpointDomains.some((d) => host === d || host.endsWith(`.${d}`))) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['environments', name, 'region'],
          message: `its endpoint ${host} is outside guardrails.allowedEndpointDomains (${guardrails.allowedEndpointDomains.join(', ')}); add its domain there or use cloud.region`,
        });
        break;
      }
    }
  }
  for (const field of ['authUrl', 's3Endpoint'] as const) {
    // Before the cloud section's defaults are applied (it has problems elsewhere), the region's endpoint is the default.
    const fallback = ctx.valid('cloud', 'region') ? INFOMANIAK_REGIONS[cloud.region]?.[field] : undefined;
    const url = ctx.valid('cloud', field) ? cloud[field] : cloud[field] === undefined ? fallback : undefined;
    if (url === undefined || !ctx.valid('guardrails', 'allowedEndpointDomains')) continue;
    const host = new URL(url).hostname.toLowerCase();
    if (!guardrails.allowedEndpointDomains.some((d) => host === d || host.endsWith(`.${d}`))) {
      ctx.addIssue({
        code: 'custom',
        path: ['cloud', field],
        message: `host ${host} is outside guardrails.allowedEndpointDomains (${guardrails.allowedEndpointDomains.join(', ')}); use an endpoint there`,
      });
    }
  }
  if (!ctx.valid('guardrails', 'allowedDnsResolvers') || !Array.isArray(cloud.dnsServers)) return;
  cloud.dnsServers.forEach((server, index) => {
    if (ctx.valid('cloud', 'dnsServers', index) && !guardrails.allowedDnsResolvers.includes(server)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cloud', 'dnsServers', index],
        message: `not among guardrails.allowedDnsResolvers (${guardrails.allowedDnsResolvers.join(', ')}); use one of them or add it there`,
      });
    }
  });
}

/** The validated platform config, defaults applied. */
export type PlatformConfig = z.output<typeof PlatformConfigSchema>;
export type EnvironmentConfig = PlatformConfig['environments'][EnvironmentName];
/** The cloud an environment's stacks talk to: the project's cloud section with the environment's region and endpoints. */
export type EnvironmentCloud = CloudConfig & Pick<ResolvedEnvironmentFields, 'region' | 'authUrl' | 's3Endpoint'>;

/** The cloud section as an environment's stacks see it: its own region and that region's endpoints. */
export function cloudOf(config: Pick<PlatformConfig, 'cloud'>, env: ResolvedEnvironmentFields): EnvironmentCloud {
  return { ...config.cloud, region: env.region, authUrl: env.authUrl, s3Endpoint: env.s3Endpoint };
}
export type CloudConfig = PlatformConfig['cloud'];
export type AgentPoolConfig = EnvironmentConfig['agentPools'][number];
export type GuardrailsConfig = PlatformConfig['guardrails'];
export type StateConfig = PlatformConfig['state'];
