import { z } from 'zod';
import { crossFieldCheck, type CrossFieldContext } from '../config/cross-field';
import { hostNameField } from '../config/host-name';
import { admitsTheWholeInternet, parseAllowList } from './allow-list';

const hostName = hostNameField(/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/, 'not a host name; write it as grafana.tools.example.ch');

const tenantId = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9_-]{0,30}[a-z0-9])?$/, {
    error: 'must be lower-case letters, digits, - and _ (a Mimir/Loki tenant id and a basic-auth user name)',
  });

const days = (fallback: number, what: string) =>
  z
    .number()
    .int({ error: 'must be a whole number of days' })
    .min(1, { error: `keep ${what} at least 1 day` })
    .max(3650, { error: `must be at most 3650 days of ${what}` })
    .default(fallback);

/**
 * The platform layer's settings (the `<env>-platform` stacks): the ACME account,
 * the tools cluster's public host names and who reaches Grafana, the telemetry
 * tenants and retention.
 * A fragment: mount it into the platform config under `platformLayer`.
 */
export const PlatformLayerConfigSchema = z
  .object({
    acmeEmail: z
      .email({ error: 'not an e-mail address; Let\u2019s Encrypt sends expiry notices there' })
      .default('hostmaster@webhost.ch')
      .describe('Contact of the ACME (Let\u2019s Encrypt) account of the letsencrypt-production ClusterIssuer.'),
    tools: z
      .object({
        grafanaHost: hostName.default('grafana.tools.webhost.ch').describe('Grafana, served by the tools ingress.'),
        grafanaAllowedCidrs: z
          .array(z.string())
          .default([])
          .describe(
            'Networks (offices, VPN) that reach Grafana through the tools ingress, matched against the client\u2019s address. Empty: Grafana is not on the ingress at all (kubectl port-forward).',
          ),
        allowWorldGrafana: z
          .boolean()
          .default(false)
          .describe('Accept grafanaAllowedCidrs that let the whole internet in (Grafana behind nothing but its login).'),
        metricsHost: hostName
          .default('metrics.tools.webhost.ch')
          .describe('Mimir write path (https://<host>/api/v1/push), basic auth per tenant; point its DNS at tools\u2019 ingress_ip.'),
        logsHost: hostName
          .default('logs.tools.webhost.ch')
          .describe('Loki write path (https://<host>/loki/api/v1/push), basic auth per tenant; point its DNS at tools\u2019 ingress_ip.'),
      })
      .strict()
      .prefault({}),
    tenants: z
      .record(z.string(), tenantId)
      .default({})
      .describe(
        'Mimir/Loki tenant id (X-Scope-OrgID) of each environment, by environment name; also its basic-auth user name on the write paths. Default: the environment name.',
      ),
    retention: z
      .object({
        metricsDays: days(90, 'metrics').describe('How long Mimir keeps metrics (compactor blocks retention).'),
        logsDays: days(30, 'logs').describe('How long Loki keeps logs (compactor retention).'),
      })
      .strict()
      .prefault({}),
    ingress: z
      .object({
        replicas: z
          .number()
          .int({ error: 'must be a whole number' })
          .min(2, { error: 'run at least 2 ingress controllers (one may be drained at any time)' })
          .max(20, { error: 'must be at most 20' })
          .default(2)
          .describe('Traefik replicas on the agents, spread across nodes; a PodDisruptionBudget keeps one up.'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .check(crossFieldCheck((layer, ctx) => {
    if (!ctx.valid('tools', 'grafanaAllowedCidrs') || !ctx.valid('tools', 'allowWorldGrafana')) return checkHostsDiffer(layer, ctx);
    const { blocks, problems } = parseAllowList(layer.tools.grafanaAllowedCidrs);
    for (const { index, message } of problems) ctx.addIssue({ code: 'custom', path: ['tools', 'grafanaAllowedCidrs', index], message });
    if (problems.length === 0 && admitsTheWholeInternet(blocks) && !layer.tools.allowWorldGrafana) {
      ctx.addIssue({
        code: 'custom',
        path: ['tools', 'grafanaAllowedCidrs'],
        message:
          'opens Grafana to the whole internet (or more than a /8 of it, counting the blocks together); list your office or VPN networks instead, or set platformLayer.tools.allowWorldGrafana: true to accept the risk',
      });
    }
    checkHostsDiffer(layer, ctx);
  }));

function checkHostsDiffer(layer: { tools: Record<string, unknown> }, ctx: CrossFieldContext): void {
  const fields = ['grafanaHost', 'metricsHost', 'logsHost'];
  if (!fields.every((field) => ctx.valid('tools', field))) return;
  const hosts = fields.map((field) => layer.tools[field]);
  if (new Set(hosts).size !== hosts.length) {
    ctx.addIssue({ code: 'custom', path: ['tools'], message: 'grafanaHost, metricsHost and logsHost must be three different host names' });
  }
}

/** An environment's telemetry tenant: the one platformLayer.tenants names, else the environment's name. */
export function tenantOf(layer: { readonly tenants: Readonly<Record<string, string>> }, environment: string): string {
  return layer.tenants[environment] ?? environment;
}

/** The validated platform layer settings, defaults applied. */
export type PlatformLayerConfig = z.output<typeof PlatformLayerConfigSchema>;

/** Every default of the platform layer (what an absent `platformLayer` section means). */
export const DEFAULT_PLATFORM_LAYER_CONFIG: PlatformLayerConfig = PlatformLayerConfigSchema.parse({});
