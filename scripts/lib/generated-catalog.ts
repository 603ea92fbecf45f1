/**
 * A generated sites catalog of any size, for the synth benchmark and the
 * byte-identity check of a full synth: plausible names, both registries the
 * default config allows, four sizes, a site in twenty also on test.
 */

const TRADES = ['baeckerei', 'kanzlei', 'skischule', 'zahnarzt', 'hotel', 'schreinerei', 'weingut', 'physio', 'garage', 'coiffeur'];
const PLACES = ['zuerich', 'bern', 'basel', 'luzern', 'chur', 'sion', 'thun', 'aarau', 'zug', 'davos'];

/** A raw catalog (as parsed from YAML) of `count` plausible sites, ids 1..count. */
export function generatedCatalog(count: number, sitesPerShard: number): unknown {
  const sites = Array.from({ length: count }, (_, i) => {
    const id = i + 1;
    const name = `${TRADES[i % TRADES.length]}-${PLACES[Math.floor(i / TRADES.length) % PLACES.length]}-${id}`;
    return {
      id,
      name,
      hosts: [`${name}.ch`, `www.${name}.ch`],
      image: i % 3 === 0 ? 'docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine' : `ghcr.io/alpenweb-agentur/${name}:1.${i % 10}.0`,
      resources: { cpuMillis: 50 + (i % 4) * 50, memoryMiB: 64 * (1 + (i % 3)) },
      autoscaling: { maxReplicas: 2 + (i % 9), cpuTargetPercent: 60 + (i % 4) * 5 },
      environments: i % 20 === 0 ? ['production', 'test'] : ['production'],
    };
  });
  return { sitesPerShard, testDomain: 'test.webhost.ch', highestSiteIdEver: count, sites };
}
