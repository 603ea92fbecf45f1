/**
 * Facts about Infomaniak Public Cloud used as config defaults.
 * Source: Infomaniak's public cloud documentation (network scenarios, S3 and
 * identity pages), as collected in the team's shared cloud notes.
 */
export interface InfomaniakRegion {
  /** Keystone v3 endpoint. */
  readonly authUrl: string;
  /** S3-compatible endpoint of the region's object storage (path-style). */
  readonly s3Endpoint: string;
}

/** Infomaniak's public regions, both in Switzerland. */
export const INFOMANIAK_REGIONS: Readonly<Record<string, InfomaniakRegion>> = {
  'dc3-a': {
    authUrl: 'https://api.pub1.infomaniak.cloud/identity/v3',
    s3Endpoint: 'https://s3.pub1.infomaniak.cloud',
  },
  'dc4-a': {
    authUrl: 'https://api.pub2.infomaniak.cloud/identity/v3',
    s3Endpoint: 'https://s3.pub2.infomaniak.cloud',
  },
};

/** External network that floating IPs come from. */
export const DEFAULT_EXTERNAL_NETWORK = 'ext-floating1';

/**
 * Quad9's resolvers: a Swiss foundation, so name resolution of the nodes stays
 * with a Swiss operator as well.
 */
export const DEFAULT_DNS_SERVERS = ['9.9.9.9', '149.112.112.112'];

/** Cinder volume types offered by Infomaniak, cheapest first. */
export const VOLUME_TYPES = ['CEPH_1_perf1', 'CEPH_1_perf2', 'CEPH_1_perf3'] as const;

/**
 * Flavor names: a{vCPU}-ram{GB}-disk{GB}[-perf{n}], GPU flavors with an
 * nv{model}- prefix; disk0 flavors boot from a Cinder volume.
 */
export const FLAVOR_PATTERN = /^(?:nv[a-z0-9]+-)?a(\d+)-ram(\d+)-disk(\d+)(?:-perf[1-3])?$/;
