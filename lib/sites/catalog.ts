import * as path from 'node:path';
import { parse as parseHost } from 'tldts';
import { z } from 'zod';
import { parseImageReference, isFromAllowedRegistry } from '../aspects/private/image-reference';
import {
  ConfigError,
  guarded,
  readConfigFile,
  readDocument,
  validateDocument,
  type ParsedDocument,
  siteEnvironments,
  type PlatformConfig,
} from '../config';
import { crossFieldCheck, type CrossFieldContext } from '../config/cross-field';
import { hostNameField } from '../config/host-name';
import { DEFAULT_PLATFORM_LAYER_CONFIG, type PlatformLayerConfig } from '../platform/config';
import { shardNumberOf, shardStackName } from './sharding';

/** The embedded example catalog, used when SITES_CATALOG is not set. */
export const DEFAULT_SITES_CATALOG_FILE = path.join(__dirname, '..', '..', 'config', 'sites.yaml');

/** Sites per sites stack (one state) unless the catalog says otherwise. */
export const DEFAULT_SITES_PER_SHARD = 200;

/** An environment that receives sites, by name (the config's `sites` environments). */
export type SiteEnvironment = string;

/**
 * A sites environment as the catalog sees it: a protected one serves each site
 * on its own hosts; any other is a preview, serving `<name>.<its preview domain>`.
 */
export interface SiteEnvironmentInfo {
  readonly name: SiteEnvironment;
  readonly protected: boolean;
}

/** The default config's sites environments: production (protected) and test. */
export const DEFAULT_SITE_ENVIRONMENTS: readonly SiteEnvironmentInfo[] = [
  { name: 'production', protected: true },
  { name: 'test', protected: false },
];

/** Every instance count starts here and never goes below it (two replicas, one may be drained). */
export const MIN_REPLICAS = 2;

/**
 * User and group a site runs as unless its catalog entry names others: no
 * account on the node (Ubuntu's system users are below 1000, people from 1000)
 * and no image's own user, so an escaped process owns nothing there.
 */
export const DEFAULT_RUN_AS_ID = 10001;
/** Highest user or group id a site may run as; 0 (root) is never allowed. */
export const MAX_RUN_AS_ID = 65534;

/** DNS-1123 label, starting with a letter. */
const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
/** A fully qualified host name of at least two labels, lower case, no trailing dot, no wildcard. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

const wholeNumber = { error: 'must be a whole number' };

/**
 * Names on one certificate: each site gets one Let's Encrypt certificate for
 * all its hosts, and Let's Encrypt issues none with more than 100 names.
 */
export const MAX_HOSTS_PER_SITE = 100;
/** Longest image tag (the OCI distribution spec: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}). */
export const MAX_IMAGE_TAG_LENGTH = 128;
/** Longest registry/repository name most registries and clients take (the OCI distribution spec's note). */
export const MAX_IMAGE_NAME_LENGTH = 255;

const ResourcesSchema = z
  .object({
    cpuMillis: z
      .number()
      .int(wholeNumber)
      .min(10, { error: 'must be at least 10 (millicores requested per instance); raise it' })
      .max(4000, { error: 'must be at most 4000 (4 cores per instance); scale out with maxReplicas instead' })
      .describe('CPU requested per instance, in millicores; the autoscaler target is a share of it.'),
    memoryMiB: z
      .number()
      .int(wholeNumber)
      .min(16, { error: 'must be at least 16 MiB; raise it' })
      .max(8192, { error: 'must be at most 8192 MiB per instance; scale out with maxReplicas instead' })
      .describe('Memory requested per instance, in MiB; also its limit unless memoryLimitMiB is set.'),
    cpuLimitMillis: z
      .number()
      .int(wholeNumber)
      .max(8000, { error: 'must be at most 8000 millicores' })
      .optional()
      .describe('CPU limit per instance, in millicores. Default: twice cpuMillis.'),
    memoryLimitMiB: z
      .number()
      .int(wholeNumber)
      .max(16384, { error: 'must be at most 16384 MiB' })
      .optional()
      .describe('Memory limit per instance, in MiB. Default: memoryMiB (no overcommit of memory).'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.cpuLimitMillis !== undefined && r.cpuLimitMillis < r.cpuMillis) {
      ctx.addIssue({ code: 'custom', path: ['cpuLimitMillis'], message: `must be at least cpuMillis (${r.cpuMillis}); raise it or remove it` });
    }
    if (r.memoryLimitMiB !== undefined && r.memoryLimitMiB < r.memoryMiB) {
      ctx.addIssue({ code: 'custom', path: ['memoryLimitMiB'], message: `must be at least memoryMiB (${r.memoryMiB}); raise it or remove it` });
    }
  })
  .transform((r) => ({
    cpuMillis: r.cpuMillis,
    memoryMiB: r.memoryMiB,
    cpuLimitMillis: r.cpuLimitMillis ?? 2 * r.cpuMillis,
    memoryLimitMiB: r.memoryLimitMiB ?? r.memoryMiB,
  }));

const runAsId = (kind: 'user' | 'group') =>
  z
    .number()
    .int(wholeNumber)
    .min(1, {
      error: `must be 1 to ${MAX_RUN_AS_ID}: 0 is root; name the image\u2019s own ${kind} (101 for nginx-unprivileged) or leave it out for ${DEFAULT_RUN_AS_ID}`,
    })
    .max(MAX_RUN_AS_ID, {
      error: `must be 1 to ${MAX_RUN_AS_ID}: larger ids break many images and file systems; name the image\u2019s own ${kind} or leave it out for ${DEFAULT_RUN_AS_ID}`,
    });

const SecurityContextSchema = z
  .object({
    runAsUser: runAsId('user').optional().describe(`User id the site\u2019s processes run as. Default: ${DEFAULT_RUN_AS_ID}.`),
    runAsGroup: runAsId('group')
      .optional()
      .describe(`Group id they run as; it also owns the pod\u2019s volumes (fsGroup). Default: ${DEFAULT_RUN_AS_ID}.`),
  })
  .strict();

const AutoscalingSchema = z
  .object({
    maxReplicas: z
      .number()
      .int(wholeNumber)
      .min(MIN_REPLICAS, { error: `must be at least ${MIN_REPLICAS} (every site runs two instances at least)` })
      .max(50, { error: 'must be at most 50; talk to the platform team about a dedicated pool' })
      .default(4)
      .describe('Most instances the autoscaler may run (it never runs fewer than 2).'),
    cpuTargetPercent: z
      .number()
      .int(wholeNumber)
      .min(10, { error: 'must be between 10 and 95 (percent of the CPU request)' })
      .max(95, { error: 'must be between 10 and 95 (percent of the CPU request)' })
      .default(70)
      .describe('Average CPU use, in percent of cpuMillis, the autoscaler keeps the instances at.'),
  })
  .strict();

const SiteSchema = z
  .object({
    id: z
      .number()
      .int(wholeNumber)
      .min(1, { error: 'must be 1 or more; give a new site the next unused id' })
      .describe('Immutable number of the site: decides its shard. Never reuse or change one; a new site takes the next id.'),
    name: z
      .string()
      .max(40, { error: 'must be at most 40 characters; shorten it' })
      .regex(DNS_LABEL, {
        error: 'must be lower-case letters, digits and dashes, starting with a letter (a DNS label); rename it',
      })
      .describe('Tenant id: namespace site-<name>, tenant label, resource names.'),
    hosts: z
      .array(hostNameField(HOST_NAME, 'not a host name; write it in lower case as www.example.ch (no scheme, port, wildcard or trailing dot)'))
      .min(1, { error: 'needs at least one host name; add the domain the site is served on' })
      .max(MAX_HOSTS_PER_SITE, {
        error: (issue) =>
          `has ${(issue.input as unknown[]).length.toLocaleString('en-US')} hosts; a site takes at most ${MAX_HOSTS_PER_SITE}, ` +
          'the most names Let’s Encrypt puts on one certificate (each site gets one)',
      })
      .describe('Production host names; TLS certificates come from Let’s Encrypt through cert-manager.'),
    image: z
      .string()
      .min(1, { error: 'must name a container image' })
      .describe('Pinned image: registry/repository:tag or @sha256 digest. Every environment runs it unless images (or testImage) names another there.'),
    images: z
      .record(z.string(), z.string().min(1, { error: 'must name a container image, or be left out to run image there too' }))
      .optional()
      .describe('Pinned images by environment, run there instead of image (to try a new version on test or staging first). Same rules as image.'),
    testImage: z
      .string()
      .min(1, { error: 'must name a container image, or be left out to run image on test too' })
      .optional()
      .describe('Short for images: { test: ... }: the image test runs instead of image. Default: image. Same rules as image.'),
    port: z
      .number()
      .int(wholeNumber)
      .min(1024, { error: 'must be 1024 to 65535: the container runs as a non-root user and cannot bind a privileged port' })
      .max(65535, { error: 'must be 1024 to 65535: the container runs as a non-root user and cannot bind a privileged port' })
      .default(8080)
      .describe('Port the container serves HTTP on.'),
    healthPath: z
      .string()
      .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*$/, { error: 'must be an absolute URL path such as /healthz' })
      .default('/')
      .describe('Path the probes request.'),
    resources: ResourcesSchema.describe('Requests and limits of one instance.'),
    securityContext: SecurityContextSchema.optional().describe(
      `User and group the site runs as, for an image that needs its own (files readable only by it). Default: ${DEFAULT_RUN_AS_ID} for both; never root.`,
    ),
    autoscaling: AutoscalingSchema.prefault({}),
    environments: z
      .array(z.string())
      .min(1, { error: 'needs at least one environment; list production and/or test' })
      .optional()
      .describe(
        "Where the site runs: sites environments of the platform config. Default: the protected ones (production only, in the default config); test and other previews host the sites that list them.",
      ),
  })
  .strict();

const CatalogSchema = z
  .object({
    sitesPerShard: z
      .number()
      .int(wholeNumber)
      .min(1, { error: 'must be at least 1' })
      .max(500, { error: 'must be at most 500: bigger states make every plan slow; keep 200' })
      .default(DEFAULT_SITES_PER_SHARD)
      .describe('Sites per sites stack. Fixed once applied: changing it moves sites between states.'),
    testDomain: hostNameField(HOST_NAME, 'not a domain name; write it as test.example.ch')
      .default('test.webhost.ch')
      .describe('On test, a site is served as <name>.<testDomain> (its production hosts stay in production).'),
    previewDomains: z
      .record(z.string(), hostNameField(HOST_NAME, 'not a domain name; write it as staging.example.ch'))
      .default({})
      .describe(
        'Preview domain of each other unprotected sites environment, by name (staging: staging.example.ch): a site there is served as <name>.<domain>. test has testDomain.',
      ),
    highestSiteIdEver: z
      .number()
      .int(wholeNumber)
      .min(0, { error: 'must be 0 or more: the highest id ever given to a site (0 before the first)' })
      .optional()
      .describe(
        'The highest id ever given to a site, removed sites included; only ever raised. Every shard up to it stays ' +
          'synthesized, so removing the last site of a shard leaves an empty stack whose plan destroys its resources.',
      ),
    retiredShards: z
      .array(z.string())
      .default([])
      .describe(
        'Sites stacks (production-sites-03) no longer synthesized: list one only after its sites were removed and the ' +
          'empty stack was applied, so that its state holds nothing.',
      ),
    sites: z.array(SiteSchema).describe('The tenant websites, in any order.'),
  })
  .strict();

/** One tenant website of the catalog, defaults applied (its environments too). */
export type SiteSpec = Omit<z.output<typeof SiteSchema>, 'environments'> & { readonly environments: readonly SiteEnvironment[] };
/** The catalog as the schema gives it, before the rules across fields. */
type ParsedCatalog = z.output<typeof CatalogSchema>;
/** The validated catalog. */
export type SitesCatalog = Omit<z.output<typeof CatalogSchema>, 'highestSiteIdEver' | 'sites' | 'previewDomains'> & {
  readonly sites: readonly SiteSpec[];
  /** Preview domains of unprotected sites environments other than test (which has testDomain). */
  readonly previewDomains?: Readonly<Record<SiteEnvironment, string>>;
  /**
   * The highest id ever given to a site, removed ones included: the shards
   * 1..ceil(highestSiteIdEver / sitesPerShard) of each environment are the
   * stacks that may hold resources, and each is synthesized until retired.
   */
  readonly highestSiteIdEver: number;
};

export interface CatalogOptions {
  /** `guardrails.allowedRegistries` of the platform config: every image must come from one. */
  readonly allowedRegistries: readonly string[];
  /**
   * The host names the platform serves itself, by the platform config field
   * that sets each (`platformLayer.tools.grafanaHost` ...): no site may claim
   * one, nor any host of their registrable domains. {@link catalogOptionsOf}
   * fills it from the platform config.
   * @default - the hosts of the default platform layer (DEFAULT_PLATFORM_LAYER_CONFIG)
   */
  readonly platformHosts?: Readonly<Record<string, string>>;
  /**
   * The platform config's sites environments, in its order: the names a site
   * may list, and which serve sites on their own hosts (protected).
   * @default DEFAULT_SITE_ENVIRONMENTS - production and test
   */
  readonly environments?: readonly SiteEnvironmentInfo[];
}

/** The preview domain of a sites environment: test's is testDomain, another's its previewDomains entry. */
export function previewDomainOf(catalog: Pick<SitesCatalog, 'testDomain' | 'previewDomains'>, environment: SiteEnvironment): string | undefined {
  return catalog.previewDomains?.[environment] ?? (environment === 'test' ? catalog.testDomain : undefined);
}

/**
 * The domain a shard serves its sites under: none in a protected environment
 * (each site on its own hosts), the preview domain in any other. The catalog
 * check refuses sites in a preview environment without one, so a shard with
 * sites there and no domain is a bug, not a config problem.
 */
export function servedPreviewDomain(
  catalog: Pick<SitesCatalog, 'testDomain' | 'previewDomains'>,
  environment: SiteEnvironmentInfo,
  shard: { readonly sites: readonly unknown[] },
): string | undefined {
  if (environment.protected) return undefined;
  const domain = previewDomainOf(catalog, environment.name);
  if (domain === undefined && shard.sites.length > 0) {
    throw new Error(`${environment.name} is a preview environment without a preview domain in the sites catalog, yet has sites`);
  }
  return domain;
}

/** The environments a site without `environments` runs in: the protected ones, or every one where none is. */
export function defaultSiteEnvironments(environments: readonly SiteEnvironmentInfo[]): SiteEnvironment[] {
  const guarded = environments.filter((e) => e.protected).map((e) => e.name);
  return guarded.length > 0 ? guarded : environments.map((e) => e.name);
}

/** The platform hosts of a platform layer, by config field. */
function platformHostsOf(layer: PlatformLayerConfig): Record<string, string> {
  const hosts = Object.entries(layer.tools).filter((entry): entry is [string, string] => entry[0].endsWith('Host'));
  return Object.fromEntries(hosts.map(([key, host]) => [`platformLayer.tools.${key}`, host]));
}

/** What the catalog is checked against, from the platform config: its registries and its own hosts. */
export function catalogOptionsOf(config: PlatformConfig): CatalogOptions {
  return {
    allowedRegistries: config.guardrails.allowedRegistries,
    platformHosts: platformHostsOf(config.platformLayer),
    environments: siteEnvironments(config).map((name) => ({ name, protected: config.environments[name].protected })),
  };
}

/** A sites catalog that cannot be used: every problem, one `file: field: value: fix` line each. */
export class SitesCatalogError extends ConfigError {
  constructor(file: string, problems: readonly string[], options?: ErrorOptions) {
    super(file, problems, options);
    this.message = `Invalid sites catalog ${file}:\n  ${problems.join('\n  ')}`;
    this.name = 'SitesCatalogError';
  }
}

export interface LoadedCatalog {
  readonly file: string;
  readonly catalog: SitesCatalog;
}

/**
 * Reads the sites catalog: the file named by SITES_CATALOG, else the embedded
 * example (config/sites.yaml). Throws a SitesCatalogError (a ConfigError)
 * listing every problem.
 */
export function loadSitesCatalog(
  options: CatalogOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LoadedCatalog {
  const { file, text } = readConfigFile(env, 'SITES_CATALOG', DEFAULT_SITES_CATALOG_FILE, SitesCatalogError);
  return { file, catalog: parseSitesCatalog(text, file, options) };
}

/** Parses and validates catalog text; `file` is only used in messages. */
export function parseSitesCatalog(text: string, file: string, options: CatalogOptions): SitesCatalog {
  return guarded(file, SitesCatalogError, () =>
    validateCatalog(readDocument(text, file, SitesCatalogError, 'config/sites.yaml, the example catalog'), file, options),
  );
}

/**
 * Validates an already parsed catalog (a YAML document's plain value, or one
 * built in code) exactly as the YAML loader does: expressions, secrets and
 * bounds in any string, the schema and the cross-site rules, all at once.
 */
export function validateSitesCatalog(raw: unknown, file: string, options: CatalogOptions): SitesCatalog {
  return guarded(file, SitesCatalogError, () => validateCatalog({ raw, problems: [] }, file, options));
}

/** The schema and the cross-site rules; the rules read only the fields that passed the schema. */
function validateCatalog(document: ParsedDocument, file: string, options: CatalogOptions): SitesCatalog {
  const environments = options.environments ?? DEFAULT_SITE_ENVIRONMENTS;
  const schema = CatalogSchema.check(
    crossFieldCheck((catalog, ctx) => {
      // The shard rules need the sites, the shard size and both shard fields as parsed (absent is fine for optional ones).
      const validOrAbsent = (key: 'highestSiteIdEver' | 'retiredShards') => catalog[key] === undefined || ctx.valid(key);
      if (ctx.valid('sites') && ctx.valid('sitesPerShard') && validOrAbsent('highestSiteIdEver') && validOrAbsent('retiredShards')) {
        for (const { at, message } of shardProblems(catalog, environments)) ctx.addIssue({ code: 'custom', path: [...at], message });
      }
      for (const { at, message } of crossSiteProblems(catalog, options, ctx)) ctx.addIssue({ code: 'custom', path: [...at], message });
    }),
  );
  // The shard rules refuse a catalog without highestSiteIdEver: what passes has it.
  const parsed = validateDocument(document, file, schema, SitesCatalogError);
  const defaults = defaultSiteEnvironments(options.environments ?? DEFAULT_SITE_ENVIRONMENTS);
  return { ...parsed, sites: parsed.sites.map((site) => (site.environments === undefined ? { ...site, environments: defaults } : site)) } as SitesCatalog;
}

interface Problem {
  readonly at: readonly (string | number)[];
  readonly message: string;
}

/** `production-sites-03`: an environment and a shard number, as shardStackName writes them. */
const SHARD_STACK_NAME = /^([a-z][a-z0-9]*)-sites-(\d+)$/;

/** The environments a parsed site runs in: its list, or the default. */
function environmentsOf(site: { environments?: readonly string[] }, environments: readonly SiteEnvironmentInfo[]): readonly string[] {
  return site.environments ?? defaultSiteEnvironments(environments);
}

/**
 * The rules that keep every shard that may hold resources synthesized:
 * highestSiteIdEver is given and not below any site's id (synth cannot read
 * the states, so the catalog has to remember that higher ids existed), and a
 * retired shard is a real shard up to it that holds no site.
 */
function shardProblems(catalog: ParsedCatalog, environments: readonly SiteEnvironmentInfo[]): Problem[] {
  const problems: Problem[] = [];
  const highestId = catalog.sites.reduce((max, site) => Math.max(max, site.id), 0);
  const highestIndex = catalog.sites.findIndex((site) => site.id === highestId);
  const ever = catalog.highestSiteIdEver;
  if (ever === undefined) {
    problems.push({
      at: ['highestSiteIdEver'],
      message:
        `required: the highest id ever given to a site, removed sites included (${highestId} or more here), so that a shard ` +
        `whose sites are all removed is still synthesized and its plan destroys them; add highestSiteIdEver: ${highestId}, ` +
        'or the id of the last site removed if that was higher',
    });
  } else if (ever < highestId) {
    const site = catalog.sites[highestIndex];
    problems.push({
      at: ['highestSiteIdEver'],
      message:
        `lower than the id of sites[${highestIndex}] (${site.name}, id ${highestId}); set it to ${highestId} or more: it is the ` +
        'highest id ever given and is only ever raised (lowering it would drop the stacks of shards above it while their states still hold sites)',
    });
  }
  const highestShard = Math.ceil((ever ?? highestId) / catalog.sitesPerShard);
  const seen = new Map<string, number>();
  catalog.retiredShards.forEach((name, index) => {
    const at = ['retiredShards', index];
    const match = SHARD_STACK_NAME.exec(name);
    const environment = environments.find((e) => e.name === match?.[1])?.name;
    const shard = match ? Number(match[2]) : 0;
    if (environment === undefined || shard < 1 || shardStackName(environment, shard) !== name) {
      problems.push({
        at,
        message: `not the name of a sites stack; write <environment>-sites-NN as synth names it (${environments.map((e) => shardStackName(e.name, 1)).join(', ')})`,
      });
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({ at, message: `already listed at retiredShards[${first}]; list each shard once` });
      return;
    }
    seen.set(name, index);
    if (shard > highestShard) {
      problems.push({
        at,
        message:
          `never existed: ids up to highestSiteIdEver (${ever ?? highestId}) fill shards 01 to ${String(highestShard).padStart(2, '0')} ` +
          `at ${catalog.sitesPerShard} sites per shard; check the name, or remove the entry`,
      });
      return;
    }
    const held = catalog.sites.flatMap((site, i) =>
      environmentsOf(site, environments).includes(environment) && shardNumberOf(site.id, catalog.sitesPerShard) === shard ? [`sites[${i}] (${site.name}, id ${site.id})`] : [],
    );
    if (held.length > 0) {
      const shown = held.length > 3 ? `${held.slice(0, 3).join(', ')} and ${held.length - 3} more` : held.join(', ');
      problems.push({
        at,
        message:
          `still holds ${shown}; retire a shard only once it has no site and its empty plan has been applied: ` +
          'remove its sites (or their environment) first and apply, or remove this entry to synthesize the shard again',
      });
    }
  });
  return problems;
}

/**
 * Rules across entries (unique ids, names, hosts, domains) and against the
 * platform config (registries, the platform's own hosts), on the fields that
 * passed the schema (`ctx.valid`): one bad entry does not hide the others'.
 */
function crossSiteProblems(catalog: ParsedCatalog, options: CatalogOptions, ctx: CrossFieldContext): Problem[] {
  const problems: Problem[] = [];
  if (!Array.isArray(catalog.sites)) return problems;
  const ids = new Map<number, number>();
  const names = new Map<string, number>();
  const hosts = new Map<string, string>();
  const environments = options.environments ?? DEFAULT_SITE_ENVIRONMENTS;
  const previews = previewDomainsOf(catalog, environments, ctx, problems);
  const platform = platformNames(previews, options.platformHosts ?? platformHostsOf(DEFAULT_PLATFORM_LAYER_CONFIG));
  const owners = domainOwners(catalog, platform.domains, ctx);
  // For messages: a site's name where it is a name (it may be a value withheld from the schema).
  const nameOf = (index: number) => (ctx.valid('sites', index, 'name') ? catalog.sites[index].name : 'its name is wrong');
  catalog.sites.forEach((site, index) => {
    const at = (...keys: (string | number)[]) => ['sites', index, ...keys];
    const valid = (...keys: (string | number)[]) => ctx.valid(...at(...keys));
    const sameId = valid('id') ? ids.get(site.id) : undefined;
    if (sameId !== undefined) {
      problems.push({ at: at('id'), message: `already the id of sites[${sameId}]; give this site the next unused id` });
    } else if (valid('id')) ids.set(site.id, index);
    const sameName = valid('name') ? names.get(site.name) : undefined;
    if (sameName !== undefined) {
      problems.push({ at: at('name'), message: `already the name of sites[${sameName}]; give each site its own name` });
    } else if (valid('name')) names.set(site.name, index);
    const listed = valid('hosts') ? site.hosts : [];
    const own: { host: string; field: (string | number)[]; generated?: { environment: string; field: string } }[] = listed.map((host, h) => ({
      host,
      field: at('hosts', h),
    }));
    // Absent is fine (the default); present, only as parsed.
    const environmentsKnown = site.environments === undefined || valid('environments');
    const runsIn = environmentsKnown ? environmentsOf(site, environments) : [];
    runsIn.forEach((name, e) => {
      const environment = environments.find((env) => env.name === name);
      const field = site.environments === undefined ? at('environments') : at('environments', e);
      if (environment === undefined) {
        problems.push({
          at: field,
          message: `not a sites environment of the platform config (${environments.map((env) => env.name).join(', ')}); list one of them`,
        });
        return;
      }
      if (environment.protected) return;
      const preview = previews.get(name);
      if (preview === undefined) {
        // Reported once at its own field when it exists but is invalid.
        if (name === 'test' ? catalog.testDomain === undefined : catalog.previewDomains?.[name] === undefined) {
          problems.push({
            at: field,
            message: `${name} serves each site as <name>.<its preview domain>, and the catalog names none; add previewDomains: { ${name}: ${name}.example.ch } with a domain of the platform's own`,
          });
        }
        return;
      }
      if (valid('name')) own.push({ host: `${site.name}.${preview.domain}`, field: at('name'), generated: { environment: name, field: preview.field } });
    });
    for (const { host, field, generated } of own) {
      const reserved = platform.hosts.get(host);
      if (reserved !== undefined) {
        problems.push({
          at: field,
          message: generated
            ? `its ${generated.environment} host ${host} is reserved for the platform (${reserved} of the platform config); rename the site or change ${generated.field}`
            : `host ${host} is reserved for the platform (${reserved} of the platform config); serve the site on a domain of its own`,
        });
        continue;
      }
      const claim = generated ? undefined : claimProblem(host, previews, platform.domains);
      if (claim !== undefined) {
        problems.push({ at: field, message: claim });
        continue;
      }
      const domain = generated ? undefined : parseHost(host, PSL).domain!;
      const owner = domain === undefined ? undefined : owners.get(domain);
      if (owner !== undefined && owner.index !== index) {
        const ownerSite = catalog.sites[owner.index];
        problems.push({
          at: field,
          message: ownerSite.hosts.includes(host)
            ? `host ${host} is already served by sites[${owner.index}] (${nameOf(owner.index)}); a host belongs to one site`
            : `is in ${domain}, the domain of sites[${owner.index}] (${nameOf(owner.index)}, id ${ownerSite.id}, the oldest site in it); ` +
              "a domain belongs to one site: add the host to that site, or use a domain of this site's own",
        });
        continue;
      }
      const sameHost = hosts.get(host);
      if (sameHost !== undefined) {
        problems.push({ at: field, message: `host ${host} is already served by ${sameHost}; a host belongs to one site` });
      } else hosts.set(host, `sites[${index}] (${nameOf(index)})`);
    }
    if (valid('image')) problems.push(...imageProblems(site.image, options).map((message) => ({ at: at('image'), message })));
    const ownImages: { environment: string; image: string; field: (string | number)[] }[] = [];
    if (site.testImage !== undefined && valid('testImage')) ownImages.push({ environment: 'test', image: site.testImage, field: at('testImage') });
    if (site.images !== undefined && valid('images')) {
      for (const [environment, image] of Object.entries(site.images)) ownImages.push({ environment, image, field: at('images', environment) });
    }
    if (site.testImage !== undefined && site.images?.test !== undefined) {
      problems.push({ at: at('testImage'), message: 'images.test names the test image too; keep one of them (images.test or testImage)' });
    }
    for (const { environment, image, field } of ownImages) {
      problems.push(...imageProblems(image, options).map((message) => ({ at: field, message })));
      // An image no environment runs would look tried there when it is not.
      if (environmentsKnown && !runsIn.includes(environment)) {
        const remove = field[field.length - 1] === 'testImage' ? 'remove testImage' : `remove images.${environment}`;
        problems.push({
          at: field,
          message: `is set but the site does not run on ${environment} (environments: ${runsIn.join(', ')}); add ${environment} to environments, or ${remove}`,
        });
      }
    }
  });
  return problems;
}

/**
 * Which site owns each registrable domain: the one with the lowest id (the
 * oldest: ids are never reused) among the sites listing a host in it, so a new
 * entry cannot take over an existing site's domain wherever it is put in the
 * file. One site per domain, because a site can set cookies for its whole
 * domain and get certificates for any name in it.
 */
function domainOwners(
  catalog: ParsedCatalog,
  platformDomains: ReadonlyMap<string, string>,
  ctx: CrossFieldContext,
): Map<string, { index: number; id: number }> {
  const owners = new Map<string, { index: number; id: number }>();
  catalog.sites.forEach((site, index) => {
    if (!ctx.valid('sites', index, 'id') || !ctx.valid('sites', index, 'hosts')) return;
    for (const host of site.hosts) {
      const domain = parseHost(host, PSL).domain;
      if (domain === null || platformDomains.has(domain)) continue; // refused as a claim of the platform's, or no domain at all
      const owner = owners.get(domain);
      if (owner === undefined || site.id < owner.id) owners.set(domain, { index, id: site.id });
    }
  });
  return owners;
}

/**
 * The public suffix list as tldts ships it, private section included: under
 * `github.io` or `myshopify.com` every name belongs to someone else, exactly as
 * under `co.uk`, so `alice.github.io` is a registrable domain of its own, and
 * `github.io` itself is refused like `co.uk`.
 */
const PSL = { allowPrivateDomains: true } as const;

/** A preview environment's domain, and the catalog field that sets it. */
interface PreviewDomain {
  readonly domain: string;
  readonly field: string;
}

/**
 * The preview domain of each unprotected sites environment that has one
 * (test: testDomain; another: previewDomains.<env>), checked: a domain the
 * platform can own, one per environment, and entries only for environments
 * that are previews. Problems go to `problems`; the valid domains are returned.
 */
function previewDomainsOf(
  catalog: ParsedCatalog,
  environments: readonly SiteEnvironmentInfo[],
  ctx: CrossFieldContext,
  problems: Problem[],
): Map<string, PreviewDomain> {
  const previews = new Map<string, PreviewDomain>();
  const candidates: { environment: string; domain: string; at: (string | number)[]; field: string }[] = [];
  if (ctx.valid('testDomain')) candidates.push({ environment: 'test', domain: catalog.testDomain, at: ['testDomain'], field: 'testDomain' });
  if (ctx.valid('previewDomains')) {
    for (const [environment, domain] of Object.entries(catalog.previewDomains)) {
      const at = ['previewDomains', environment];
      const known = environments.find((e) => e.name === environment);
      if (environment === 'test') {
        problems.push({ at, message: 'test has testDomain; set the test domain there and remove this entry' });
      } else if (known === undefined || known.protected) {
        const why = known === undefined ? 'not a sites environment of the platform config' : `${environment} is protected and serves each site on its own hosts`;
        const previewsThere = environments.filter((e) => !e.protected).map((e) => e.name);
        problems.push({ at, message: `${why}; name an unprotected sites environment (${previewsThere.join(', ') || 'none'}), or remove the entry` });
      } else candidates.push({ environment, domain, at, field: `previewDomains.${environment}` });
    }
  }
  const taken = new Map<string, string>();
  for (const { environment, domain, at, field } of candidates) {
    const suffix = suffixProblem(domain, "use a domain of the platform's own, such as test.example.");
    if (suffix !== undefined) {
      problems.push({ at, message: suffix });
      continue;
    }
    const other = [...taken].find(([d]) => d === domain || d.endsWith(`.${domain}`) || domain.endsWith(`.${d}`));
    if (other !== undefined) {
      problems.push({ at, message: `overlaps ${other[1]} (${other[0]}); each preview environment needs a domain of its own` });
      continue;
    }
    taken.set(domain, field);
    previews.set(environment, { domain, field });
  }
  return previews;
}

/** The platform's reserved hosts (host -> config field) and its registrable domains (domain -> "field is host"). */
function platformNames(previews: ReadonlyMap<string, PreviewDomain>, platformHosts: Readonly<Record<string, string>>) {
  const hosts = new Map(Object.entries(platformHosts).map(([field, host]) => [host, field]));
  const domains = new Map<string, string>();
  const named = [...Object.entries(platformHosts), ...[...previews.values()].map(({ field, domain }) => [field, domain])];
  for (const [field, host] of named) {
    const domain = parseHost(host, PSL).domain;
    if (domain !== null && !domains.has(domain)) domains.set(domain, `${field} is ${host}`);
  }
  return { hosts, domains };
}

/** Why a host is no name anyone can own: a public suffix itself, or under no known suffix. */
function suffixProblem(host: string, fix: string): string | undefined {
  const parsed = parseHost(host, PSL);
  if (!parsed.isIcann && !parsed.isPrivate) {
    return `.${parsed.publicSuffix} is no top-level domain of the public suffix list, so no certificate can be issued; check the spelling`;
  }
  if (parsed.domain === null) {
    return `is a public suffix (${parsed.publicSuffix}), under which anyone registers names and no one owns it; ${fix}${host}`;
  }
  return undefined;
}

/** Why a tenant may not claim a host: a preview domain, a public suffix, or the platform's own domain. */
function claimProblem(host: string, previews: ReadonlyMap<string, PreviewDomain>, platformDomains: ReadonlyMap<string, string>): string | undefined {
  for (const [environment, { domain, field }] of previews) {
    if (host !== domain && !host.endsWith(`.${domain}`)) continue;
    return `is under the ${environment} domain ${domain} (${field}), where the platform names each ${environment} site <name>.${domain} itself; list production hosts only`;
  }
  const suffix = suffixProblem(host, "list the site's own domain, such as example.");
  if (suffix !== undefined) return suffix;
  const domain = parseHost(host, PSL).domain!;
  const platformHost = platformDomains.get(domain);
  if (platformHost !== undefined) {
    return (
      `is in ${domain}, the platform's own domain (${platformHost}): a site there could set cookies for the platform's hosts ` +
      'and hold certificates in its name; serve the site on a domain of its own'
    );
  }
  return undefined;
}

function imageProblems(image: string, options: CatalogOptions): string[] {
  if (/\s/.test(image)) return ['must not contain spaces; write registry/repository:tag'];
  const ref = parseImageReference(image);
  const problems: string[] = [];
  if (ref.tag === undefined && ref.digest === undefined) {
    problems.push('has no tag or digest; pin a version tag or a digest, e.g. docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine');
  } else if (ref.tag === 'latest') {
    problems.push('uses the mutable tag latest; pin a version tag or a digest');
  }
  if (ref.tag !== undefined && ref.tag.length > MAX_IMAGE_TAG_LENGTH) {
    problems.push(`its tag is ${ref.tag.length} characters; a tag has at most ${MAX_IMAGE_TAG_LENGTH} (the OCI distribution spec): pin a shorter tag or a digest`);
  }
  const name = `${ref.registry}/${ref.repository}`;
  if (name.length > MAX_IMAGE_NAME_LENGTH) {
    problems.push(`its registry and repository are ${name.length} characters; at most ${MAX_IMAGE_NAME_LENGTH} (the OCI distribution spec's limit for clients): shorten the repository`);
  }
  if (ref.digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(ref.digest)) {
    problems.push('has a malformed digest; write @sha256: followed by 64 hex digits');
  }
  if (!isFromAllowedRegistry(ref, options.allowedRegistries)) {
    problems.push(
      `comes from ${ref.registry}, not an allowed registry; use one of guardrails.allowedRegistries (${options.allowedRegistries.join(', ')}) or add it there`,
    );
  }
  return problems;
}

