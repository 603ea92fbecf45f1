import { appliesByHand, siteEnvironments } from './environments';
import type { PlatformConfig } from './schema';

/**
 * The README's table of environments, made from a config: one row per
 * environment with what it runs, its rules, its region, its nodes and its
 * stacks. readme.test.ts keeps the README's copy equal to the default config's.
 */
export function renderEnvironmentsTable(config: PlatformConfig): string {
  const sites = new Set(siteEnvironments(config));
  const rows = Object.entries(config.environments).map(([name, env]) => {
    const agents = env.agentPools
      .map((pool) => `${pool.autoscaling ? `${pool.autoscaling.minNodes}-${pool.autoscaling.maxNodes}` : pool.count} × ${pool.flavor}`)
      .join(', ');
    const runs = env.role === 'tools' ? 'Grafana, Mimir, Loki for every environment' : 'tenant sites';
    const rules = [env.protected ? 'protected: backups kept, sites on their own hosts' : undefined, appliesByHand(env) ? 'applies by hand' : 'applies by itself']
      .filter((rule) => rule !== undefined)
      .join('; ');
    const stacks = [`\`${name}\``, `\`${name}-platform\``, ...(sites.has(name) ? [`\`${name}-sites-NN\``] : [])].join(', ');
    return `| \`${name}\` | ${env.role}: ${runs} | ${rules} | ${env.region} | ${env.servers.count} × ${env.servers.flavor} | ${agents} | ${stacks} |`;
  });
  return ['| environment | role | rules | region | servers | agents | stacks |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}
