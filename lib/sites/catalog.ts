import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { parseImageReference, isFromAllowedRegistry } from '../aspects/private/image-reference';
import { ConfigError, describeIssue, formatPath, formatValue, readConfigFile, valueAt } from '../config';

/** The embedded example catalog, used when SITES_CATALOG is not set. */
export const DEFAULT_SITES_CATALOG_FILE = path.join(__dirname, '..', '..', 'config', 'sites.yaml');

/** Sites per sites stack (one state) unless the catalog says otherwise. */
export const DEFAULT_SITES_PER_SHARD = 200;

/** Environments a site can be deployed to. */
export const SITE_ENVIRONMENTS = ['production', 'test'] as const;
export type SiteEnvironment = (typeof SITE_ENVIRONMENTS)[number];

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
      .array(
        z.string().regex(HOST_NAME, {
          error: 'not a host name; write it in lower case as www.example.ch (no scheme, port, wildcard or trailing dot)',
        }),
      )
      .min(1, { error: 'needs at least one host name; add the domain the site is served on' })
      .describe('Production host names; TLS certificates come from Let’s Encrypt through cert-manager.'),
    image: z.string().min(1, { error: 'must name a container image' }).describe('Pinned image: registry/repository:tag or @sha256 digest.'),
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
      .array(z.enum(SITE_ENVIRONMENTS, { error: `must be one of ${SITE_ENVIRONMENTS.join(', ')}` }))
      .min(1, { error: 'needs at least one environment; list production and/or test' })
      .default(['production'])
      .describe('Where the site runs. Default: production only; test hosts the sites that list it.'),
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
    testDomain: z
      .string()
      .regex(HOST_NAME, { error: 'not a domain name; write it as test.example.ch' })
      .default('test.webhost.ch')
      .describe('On test, a site is served as <name>.<testDomain> (its production hosts stay in production).'),
    sites: z.array(SiteSchema).describe('The tenant websites, in any order.'),
  })
  .strict();

/** One tenant website of the catalog, defaults applied. */
export type SiteSpec = z.output<typeof SiteSchema>;
/** The validated catalog. */
export type SitesCatalog = z.output<typeof CatalogSchema>;

export interface CatalogOptions {
  /** `guardrails.allowedRegistries` of the platform config: every image must come from one. */
  readonly allowedRegistries: readonly string[];
}

/** A sites catalog that cannot be used: every problem, one `file: field: value: fix` line each. */
export class SitesCatalogError extends ConfigError {
  constructor(file: string, problems: readonly string[]) {
    super(file, problems);
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
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new SitesCatalogError(
      file,
      doc.errors.map((e) => {
        const where = e.linePos ? `line ${e.linePos[0].line} column ${e.linePos[0].col}` : 'somewhere';
        const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        return `${file}: ${where}: YAML syntax error: ${message}; fix the YAML there`;
      }),
    );
  }
  return validateSitesCatalog(doc.toJS(), file, options);
}

/** Validates an already parsed catalog (a YAML document's plain value). */
export function validateSitesCatalog(raw: unknown, file: string, options: CatalogOptions): SitesCatalog {
  const result = CatalogSchema.safeParse(raw);
  if (!result.success) {
    throw new SitesCatalogError(file, result.error.issues.flatMap((issue) => describeIssue(file, raw, issue)));
  }
  const problems = crossSiteProblems(result.data, options).map(
    ({ at, message }) => `${file}: ${formatPath(at)}: ${formatValue(valueAt(raw, at))}: ${message}`,
  );
  if (problems.length > 0) throw new SitesCatalogError(file, problems);
  return result.data;
}

interface Problem {
  readonly at: readonly (string | number)[];
  readonly message: string;
}

/** Rules across entries (unique ids, names, hosts) and against the platform config (registries). */
function crossSiteProblems(catalog: SitesCatalog, options: CatalogOptions): Problem[] {
  const problems: Problem[] = [];
  const ids = new Map<number, number>();
  const names = new Map<string, number>();
  const hosts = new Map<string, string>();
  catalog.sites.forEach((site, index) => {
    const at = (...keys: (string | number)[]) => ['sites', index, ...keys];
    const sameId = ids.get(site.id);
    if (sameId !== undefined) {
      problems.push({ at: at('id'), message: `already the id of sites[${sameId}]; give this site the next unused id` });
    } else ids.set(site.id, index);
    const sameName = names.get(site.name);
    if (sameName !== undefined) {
      problems.push({ at: at('name'), message: `already the name of sites[${sameName}]; give each site its own name` });
    } else names.set(site.name, index);
    const own = [...site.hosts];
    if (site.environments.includes('test')) own.push(`${site.name}.${catalog.testDomain}`);
    own.forEach((host, h) => {
      const owner = hosts.get(host);
      const field = h < site.hosts.length ? at('hosts', h) : at('name');
      if (owner !== undefined) {
        problems.push({ at: field, message: `host ${host} is already served by ${owner}; a host belongs to one site` });
      } else hosts.set(host, `sites[${index}] (${site.name})`);
    });
    problems.push(...imageProblems(site.image, options).map((message) => ({ at: at('image'), message })));
  });
  return problems;
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

