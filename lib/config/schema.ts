import { z } from 'zod';
import { addressPlanProblems, type AddressPlan } from '../net/cidr';
import {
  DEFAULT_DNS_SERVERS,
  DEFAULT_EXTERNAL_NETWORK,
  FLAVOR_PATTERN,
  INFOMANIAK_REGIONS,
  VOLUME_TYPES,
} from './infomaniak';

/** The three clusters of the platform, each its own OpenStack stack. */
export const ENVIRONMENT_NAMES = ['tools', 'production', 'test'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

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
      .min(1, { error: 'a cluster needs at least 1 server; use 1 (test) or 3 (HA)' })
      .max(7, { error: 'more than 7 etcd members slows every write; use 3 or 5' })
      .refine((n) => n % 2 === 1, { error: 'must be odd for etcd quorum; use 1, 3 or 5' }),
    flavor,
    bootVolume: BootVolumeSchema,
  })
  .strict()
  .describe('RKE2 servers: control plane and etcd, in the servers subnet.');

const AgentPoolSchema = z
  .object({
    name: dnsLabel(20),
    count: z
      .number()
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'an agent pool needs at least 1 node; raise count or remove the pool' })
      .max(100, { error: 'must be at most 100 per pool; add another pool' }),
    flavor,
    bootVolume: BootVolumeSchema,
  })
  .strict()
  .describe('RKE2 agents running the workloads, in the agents subnet.');

const NetworkSchema = z
  .object({
    cidr: cidr.describe('The whole cluster network; an RFC 1918 range.'),
    serversSubnetCidr: cidr.describe('Control-plane subnet, inside cidr.'),
    agentsSubnetCidr: cidr.describe('Agents subnet, inside cidr, not overlapping the servers subnet.'),
  })
  .strict();

const KubernetesSchema = z
  .object({
    podCidr: cidr.default('10.42.0.0/16').describe('Pod addresses (RKE2 cluster-cidr).'),
    serviceCidr: cidr.default('10.43.0.0/16').describe('Service addresses (RKE2 service-cidr).'),
  })
  .strict();

const EnvironmentSchema = z
  .object({
    network: NetworkSchema,
    kubernetes: KubernetesSchema.prefault({}),
    servers: ServersSchema,
    agentPools: z
      .array(AgentPoolSchema)
      .min(1, { error: 'needs at least one agent pool; add one under agentPools' }),
  })
  .strict()
  .superRefine((env, ctx) => {
    checkAddressPlan(env, ctx);
    const seen = new Set<string>();
    env.agentPools.forEach((pool, index) => {
      if (seen.has(pool.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['agentPools', index, 'name'],
          message: 'duplicate agent pool name; give each pool its own name',
        });
      }
      seen.add(pool.name);
    });
  });

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
    ctx.addIssue({ code: 'custom', path: ADDRESS_PLAN_PATHS[field], message });
  }
}

const CloudSchema = z
  .object({
    region: z
      .string()
      .refine((r) => r in INFOMANIAK_REGIONS, {
        error: `not an Infomaniak region; use one of ${Object.keys(INFOMANIAK_REGIONS).join(', ')}`,
      })
      .describe('OpenStack region; also selects the default Keystone and S3 endpoints.'),
    authUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
    s3Endpoint: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
    externalNetwork: z.string().min(1).default(DEFAULT_EXTERNAL_NETWORK),
    dnsServers: z.array(ipv4Address).min(1, { error: 'needs at least one resolver' }).default(DEFAULT_DNS_SERVERS),
    imageNameRegex: z
      .string()
      .default('^Ubuntu 24\\.04 LTS')
      .refine(isValidRegex, { error: 'not a valid regular expression; escape special characters' })
      .describe('Node image, looked up by name (most recent match).'),
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

export const PlatformConfigSchema = z
  .object({
    platform: z
      .object({
        name: dnsLabel(16).describe('Prefix of every cloud resource name.'),
      })
      .strict(),
    cloud: CloudSchema,
    environments: z
      .object({
        tools: EnvironmentSchema,
        production: EnvironmentSchema,
        test: EnvironmentSchema,
      })
      .strict(),
  })
  .strict();

/** The validated platform config, defaults applied. */
export type PlatformConfig = z.output<typeof PlatformConfigSchema>;
export type EnvironmentConfig = PlatformConfig['environments'][EnvironmentName];
export type CloudConfig = PlatformConfig['cloud'];
export type AgentPoolConfig = EnvironmentConfig['agentPools'][number];
