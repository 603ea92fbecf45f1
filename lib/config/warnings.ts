import { documentationRangeOf } from '../net/cidr';
import { environmentNames } from './environments';
import type { PlatformConfig } from './schema';

/** The allow-lists of a config that admit people, by field, with what they open. */
function allowLists(config: PlatformConfig): { field: string; blocks: readonly string[]; opens: string; fix: string }[] {
  return [
    ...environmentNames(config).map((env) => ({
      field: `environments.${env}.access.apiAllowedCidrs`,
      blocks: config.environments[env].access.apiAllowedCidrs,
      opens: 'the Kubernetes API',
      fix: 'your office and CI runner networks',
    })),
    {
      field: 'platformLayer.tools.grafanaAllowedCidrs',
      blocks: config.platformLayer.tools.grafanaAllowedCidrs,
      opens: 'Grafana',
      fix: 'your office or VPN networks',
    },
  ];
}

/**
 * What a valid config still holds that is almost surely a mistake, one
 * `warning: file: field: value: why; fix` line each: an allow-list entry in a
 * documentation range of RFC 5737 (the default config's placeholder
 * 192.0.2.0/24), from which no one's traffic comes.
 */
export function configWarnings(file: string, config: PlatformConfig): string[] {
  return allowLists(config).flatMap(({ field, blocks, opens, fix }) =>
    blocks.flatMap((block, index) => {
      const range = documentationRangeOf(block);
      if (range === undefined) return [];
      return [
        `warning: ${file}: ${field}[${index}]: ${block}: is in ${range}, a documentation range (RFC 5737) no one's traffic comes from, ` +
          `so it admits nobody to ${opens}; replace it with ${fix}`,
      ];
    }),
  );
}
