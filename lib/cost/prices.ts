/**
 * Infomaniak Public Cloud list prices, the figures the cost estimate uses.
 *
 * Source: Infomaniak's public price page (infomaniak.com, hosting/public-cloud/prices),
 * list of 2026-05-20, as collected with its provenance in the team's shared notes
 * (../shared/INFOMANIAK.md, "Prices"; per-flavor rows in ../shared/infomaniak-flavors.md).
 * Floating IP, volume and object storage figures were confirmed there by a second
 * public copy of 2026-06-18. Prices change: re-check the page before relying on a
 * figure for money, then update this table and its `date`.
 */
export interface PriceList {
  /** Where the figures come from. */
  readonly source: string;
  /** Date of the price list the figures were copied from (ISO 8601). */
  readonly date: string;
  readonly currency: 'EUR';
  /** Every price excludes VAT. */
  readonly vatIncluded: false;
  /** Infomaniak bills by the hour; a month is 730 hours. */
  readonly hoursPerMonth: number;
  /**
   * CHF per EUR as Infomaniak bills: an internal unit, 1 CHF = 50 units and
   * 1 EUR = 55.5 units, so CHF = EUR x 1.11 (not a market exchange rate).
   */
  readonly chfPerEur: number;
  /**
   * The flavors Infomaniak sells, each with its list price in EUR an hour:
   * every row of the list (84 flavors: 74 CPU, 10 GPU). A flavor not in it is
   * not priced, and the config takes it only with the opt-in
   * `cloud.unlistedFlavors`.
   */
  readonly flavorsEurPerHour: Readonly<Record<string, number>>;
  /**
   * Instances: a flavor a{vCPU}-ram{GB}-disk{GB}[-perf{n}] costs
   * vCPU x eurPerVcpuHour + GB RAM x eurPerGbRamHour + GB local disk x the
   * local disk price of its perf class. Fits the list price of every CPU flavor
   * of the list within 0.12% (a test checks all 74); GPU flavors (nv...-) carry
   * a premium the formula does not have.
   */
  readonly instance: {
    readonly eurPerVcpuHour: number;
    readonly eurPerGbRamHour: number;
    /** Local disk by the flavor's perf suffix; a flavor with local disk and no suffix is unknown. */
    readonly eurPerGbLocalDiskHour: Readonly<Record<string, number>>;
  };
  /** Cinder volumes by volume type, per GB provisioned (used or not). */
  readonly volumeEurPerGbHour: Readonly<Record<string, number>>;
  /** A floating IPv4 address (IPv6 is free). */
  readonly floatingIpv4EurPerHour: number;
  /** An Octavia load balancer (whether it includes its floating IP is not stated; priced apart). */
  readonly loadBalancerEurPerHour: number;
  /** Object storage per GB stored; egress up to 10 TB a month is free (not estimated). */
  readonly objectStorageEurPerGbHour: number;
}

/** The price list of 2026-05-20 (EUR excl. VAT, hourly). */
export const INFOMANIAK_PRICES: PriceList = {
  source:
    "Infomaniak public price page (infomaniak.com, hosting/public-cloud/prices), list of 2026-05-20, EUR excl. VAT, billed hourly; as collected in the team's shared notes INFOMANIAK.md and infomaniak-flavors.md",
  date: '2026-05-20',
  currency: 'EUR',
  vatIncluded: false,
  hoursPerMonth: 730,
  chfPerEur: 1.11,
  // Copied from ../shared/infomaniak-flavors.md (column EUR/h), in its order.
  flavorsEurPerHour: {
    'a1-ram2-disk0': 0.00363,
    'a1-ram2-disk20-perf1': 0.00577,
    'a2-ram4-disk0': 0.00725,
    'a1-ram2-disk50-perf1': 0.00898,
    'a2-ram4-disk20-perf1': 0.00939,
    'a1-ram2-disk80-perf1': 0.01219,
    'a2-ram4-disk50-perf1': 0.01261,
    'a4-ram8-disk0': 0.0145,
    'a2-ram4-disk80-perf1': 0.01582,
    'a4-ram8-disk20-perf1': 0.01664,
    'a4-ram8-disk50-perf1': 0.01986,
    'a4-ram16-disk0': 0.02018,
    'a4-ram16-disk20-perf1': 0.02232,
    'a4-ram8-disk80-perf1': 0.02307,
    'a4-ram16-disk50-perf1': 0.02554,
    'a4-ram16-disk80-perf1': 0.02875,
    'a8-ram16-disk0': 0.029,
    'a8-ram16-disk20-perf1': 0.03115,
    'a8-ram16-disk50-perf1': 0.03436,
    'a8-ram16-disk80-perf1': 0.03757,
    'a8-ram32-disk0': 0.04036,
    'a8-ram32-disk20-perf1': 0.0425,
    'a12-ram24-disk0': 0.04351,
    'a12-ram24-disk20-perf1': 0.04565,
    'a8-ram32-disk50-perf1': 0.04572,
    'a12-ram24-disk50-perf1': 0.04886,
    'a8-ram32-disk80-perf1': 0.04893,
    'a12-ram24-disk80-perf1': 0.05208,
    'a16-ram32-disk0': 0.05801,
    'a16-ram32-disk20-perf1': 0.06015,
    'a12-ram48-disk0': 0.06054,
    'a12-ram48-disk20-perf1': 0.06268,
    'a16-ram32-disk50-perf1': 0.06336,
    'a12-ram48-disk50-perf1': 0.0659,
    'a16-ram32-disk80-perf1': 0.06658,
    'a12-ram48-disk80-perf1': 0.06911,
    'a16-ram64-disk0': 0.08072,
    'a16-ram64-disk20-perf1': 0.08286,
    'a16-ram64-disk50-perf1': 0.08608,
    'a16-ram64-disk80-perf1': 0.08929,
    'a24-ram48-disk20-perf2': 0.0913,
    'a24-ram48-disk50-perf2': 0.09772,
    'a24-ram48-disk80-perf2': 0.10415,
    'a32-ram64-disk20-perf2': 0.1203,
    'a24-ram96-disk20-perf2': 0.12537,
    'a32-ram64-disk50-perf2': 0.12673,
    'a24-ram96-disk50-perf2': 0.13179,
    'a32-ram64-disk80-perf2': 0.13316,
    'a24-ram96-disk80-perf2': 0.13822,
    'a32-ram128-disk20-perf2': 0.16573,
    'a4-ram8-disk20-perf2': 0.01879,
    'a4-ram16-disk20-perf2': 0.02446,
    'a4-ram8-disk50-perf2': 0.02521,
    'a4-ram16-disk50-perf2': 0.03089,
    'a4-ram8-disk80-perf2': 0.03164,
    'a8-ram16-disk20-perf2': 0.03329,
    'a4-ram16-disk80-perf2': 0.03732,
    'a8-ram16-disk50-perf2': 0.03972,
    'a8-ram32-disk20-perf2': 0.04465,
    'a8-ram16-disk80-perf2': 0.04614,
    'a12-ram24-disk20-perf2': 0.04779,
    'a8-ram32-disk50-perf2': 0.05107,
    'a12-ram24-disk50-perf2': 0.05422,
    'a8-ram32-disk80-perf2': 0.0575,
    'a12-ram24-disk80-perf2': 0.06065,
    'a16-ram32-disk20-perf2': 0.06229,
    'a12-ram48-disk20-perf2': 0.06483,
    'a16-ram32-disk50-perf2': 0.06872,
    'a12-ram48-disk50-perf2': 0.07125,
    'a16-ram32-disk80-perf2': 0.07515,
    'a12-ram48-disk80-perf2': 0.07768,
    'a16-ram64-disk20-perf2': 0.08501,
    'a16-ram64-disk50-perf2': 0.09143,
    'a16-ram64-disk80-perf2': 0.09786,
    'nva2-a4-ram8-disk50-perf2': 0.14623,
    'nva2-a4-ram8-disk80-perf2': 0.15265,
    'nva2-a8-ram16-disk50-perf2': 0.16073,
    'nva2-a8-ram16-disk80-perf2': 0.16716,
    'nva2-a12-ram24-disk50-perf2': 0.17523,
    'nva2-a12-ram24-disk80-perf2': 0.18166,
    'nva2-a16-ram32-disk50-perf2': 0.18973,
    'nva2-a16-ram32-disk80-perf2': 0.19616,
    'nvt4-a4-ram8-disk50-perf2': 0.21321,
    'nva2-a24-ram48-disk50-perf2': 0.21874,
  },
  instance: {
    eurPerVcpuHour: 0.002206,
    eurPerGbRamHour: 0.00071,
    eurPerGbLocalDiskHour: { perf1: 0.000107, perf2: 0.000214 },
  },
  volumeEurPerGbHour: { CEPH_1_perf1: 0.00011, CEPH_1_perf2: 0.00021, CEPH_1_perf3: 0.00031 },
  floatingIpv4EurPerHour: 0.00411,
  loadBalancerEurPerHour: 0.01234,
  objectStorageEurPerGbHour: 0.000013,
};

/** What a flavor name says: a{vCPU}-ram{GB}-disk{GB}[-perf{n}], GPU flavors with an nv{model}- prefix. */
export interface Flavor {
  readonly name: string;
  readonly vcpus: number;
  readonly ramGB: number;
  /** 0: no local disk, the instance boots from a volume. */
  readonly localDiskGB: number;
  /** The perf suffix, e.g. 'perf1'; undefined when the name has none. */
  readonly perf?: string;
  /** The GPU prefix without its dash, e.g. 'nva2'; undefined for CPU flavors. */
  readonly gpu?: string;
}

// Same names as FLAVOR_PATTERN in lib/config/infomaniak.ts accepts, with the parts captured.
const FLAVOR_NAME = /^(?:(nv[a-z0-9]+)-)?a(\d+)-ram(\d+)-disk(\d+)(?:-(perf[1-3]))?$/;

/** Parses a flavor name; undefined when it is not an Infomaniak flavor name. */
export function parseFlavor(name: string): Flavor | undefined {
  const match = FLAVOR_NAME.exec(name);
  if (!match) return undefined;
  const [, gpu, vcpus, ramGB, localDiskGB, perf] = match;
  return {
    name,
    vcpus: Number(vcpus),
    ramGB: Number(ramGB),
    localDiskGB: Number(localDiskGB),
    ...(perf !== undefined && { perf }),
    ...(gpu !== undefined && { gpu }),
  };
}

/** Whether Infomaniak sells the flavor: it is in the price list. */
export function isListedFlavor(name: string, prices: PriceList = INFOMANIAK_PRICES): boolean {
  return Object.hasOwn(prices.flavorsEurPerHour, name);
}

/** An hourly price, or why there is none. */
export type HourlyPrice = { readonly eurPerHour: number } | { readonly unpricedReason: string };

/**
 * The hourly price of a flavor by the list's formula. GPU flavors and local
 * disks of a perf class without a price are not priced (with the reason).
 */
export function flavorHourlyPrice(flavor: Flavor, prices: PriceList = INFOMANIAK_PRICES): HourlyPrice {
  if (!isListedFlavor(flavor.name, prices)) {
    return {
      unpricedReason: `flavor ${flavor.name} is not in Infomaniak's price list of ${prices.date} (a config takes it only through cloud.unlistedFlavors): not priced`,
    };
  }
  if (flavor.gpu !== undefined) {
    return { unpricedReason: `GPU flavor ${flavor.name}: the list's formula leaves out the GPU premium; look it up in the price list` };
  }
  let diskEurPerGbHour = 0;
  if (flavor.localDiskGB > 0) {
    const price = flavor.perf === undefined ? undefined : prices.instance.eurPerGbLocalDiskHour[flavor.perf];
    if (price === undefined) {
      return {
        unpricedReason: `flavor ${flavor.name}: no price for ${flavor.perf ?? 'local disk without a perf class'} (priced: ${Object.keys(prices.instance.eurPerGbLocalDiskHour).join(', ')}); is it a real flavor?`,
      };
    }
    diskEurPerGbHour = price;
  }
  return {
    eurPerHour:
      flavor.vcpus * prices.instance.eurPerVcpuHour +
      flavor.ramGB * prices.instance.eurPerGbRamHour +
      flavor.localDiskGB * diskEurPerGbHour,
  };
}
