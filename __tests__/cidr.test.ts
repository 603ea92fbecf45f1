import {
  addressPlanProblems,
  contains,
  describeReach,
  ipBlockOf,
  overlaps,
  parseCidr,
  parseIpBlock,
  reachOf,
  type IpBlock,
  type Ipv4Cidr,
} from '../lib/net/cidr';

const block = (text: string) => parseCidr(text) as Ipv4Cidr;

describe('parseCidr', () => {
  test('parses a canonical block into its first and last address', () => {
    expect(block('10.20.16.0/20')).toMatchObject({ prefixLength: 20, first: 0x0a141000, last: 0x0a141fff });
  });

  test.each([
    ['10.0.0.1/16', 'host bits are set; use 10.0.0.0/16'],
    ['10.0.0.0', 'not an IPv4 CIDR block; write it as a.b.c.d/n, for example 10.10.0.0/16'],
    ['10.0.300.0/24', 'an octet is above 255; each of the four numbers must be 0 to 255'],
    ['10.0.0.0/33', 'the prefix length is above 32; use /8 to /29'],
    ['010.0.0.0/8', 'an octet has a leading zero (read as octal by some tools); write each number without leading zeros'],
  ])('%s is rejected: %s', (text, message) => {
    expect(parseCidr(text)).toBe(message);
  });
});

test('contains and overlaps compare address ranges', () => {
  expect(contains(block('10.0.0.0/16'), block('10.0.255.0/24'))).toBe(true);
  expect(contains(block('10.0.0.0/16'), block('10.1.0.0/24'))).toBe(false);
  expect(overlaps(block('10.0.0.0/20'), block('10.0.15.0/24'))).toBe(true);
  expect(overlaps(block('10.0.0.0/20'), block('10.0.16.0/24'))).toBe(false);
});

describe('addressPlanProblems', () => {
  const good = { networkCidr: '10.20.0.0/16', serversSubnetCidr: '10.20.0.0/24', agentsSubnetCidr: '10.20.16.0/20' };

  test('a sound plan has no problems', () => {
    expect(addressPlanProblems({ ...good, podCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16' })).toEqual([]);
  });

  test.each([
    [{ networkCidr: '8.8.0.0/16', serversSubnetCidr: '8.8.0.0/24', agentsSubnetCidr: '8.8.16.0/20' }, 'networkCidr', /private range/],
    [{ ...good, serversSubnetCidr: '10.21.0.0/24' }, 'serversSubnetCidr', /inside the network 10.20.0.0\/16/],
    [{ ...good, agentsSubnetCidr: '10.20.0.0/23' }, 'agentsSubnetCidr', /overlaps the servers subnet 10.20.0.0\/24/],
    [{ ...good, serversSubnetCidr: '10.20.0.0/29' }, 'serversSubnetCidr', /too small/],
    [{ ...good, podCidr: '10.20.128.0/17' }, 'podCidr', /pod range overlaps the network/],
    [{ ...good, podCidr: '10.42.0.0/16', serviceCidr: '10.42.0.0/17' }, 'serviceCidr', /overlaps the pod range/],
  ])('flags %j at %s', (plan, field, message) => {
    const problems = addressPlanProblems(plan);
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe(field);
    expect(problems[0].message).toMatch(message);
  });
});

describe('parseIpBlock', () => {
  test('reads IPv4 as parseCidr does, and IPv6', () => {
    expect(parseIpBlock('10.20.16.0/20')).toEqual({ text: '10.20.16.0/20', version: 4, prefixLength: 20, first: 0x0a141000n, last: 0x0a141fffn });
    expect(parseIpBlock('2001:db8::/32')).toEqual({
      text: '2001:db8::/32',
      version: 6,
      prefixLength: 32,
      first: 0x20010db8n << 96n,
      last: (0x20010db8n << 96n) + (1n << 96n) - 1n,
    });
  });

  test.each([
    ['office', 'not an IPv4 CIDR block; write it as a.b.c.d/n, for example 10.10.0.0/16'],
    ['2001:db8::1/32', 'host bits are set; use 2001:db8::/32'],
    ['2001:db8:::/32', 'not an IPv6 CIDR block; write it as x:x::/n, for example 2001:db8::/48 (no zone, prefix 0 to 128)'],
    ['2001:db8::/129', 'not an IPv6 CIDR block; write it as x:x::/n, for example 2001:db8::/48 (no zone, prefix 0 to 128)'],
    ['fe80::%eth0/64', 'not an IPv6 CIDR block; write it as x:x::/n, for example 2001:db8::/48 (no zone, prefix 0 to 128)'],
  ])('%s is rejected: %s', (text, message) => {
    expect(parseIpBlock(text)).toBe(message);
  });
});

test('ipBlockOf reads what the cloud admits: host bits ignored, surrounding spaces too; nonsense is undefined', () => {
  expect(ipBlockOf(' 10.0.0.1/16 ')).toMatchObject({ version: 4, first: 0x0a000000n, last: 0x0a00ffffn });
  expect(ipBlockOf('::1/0')).toMatchObject({ version: 6, first: 0n, last: (1n << 128n) - 1n });
  expect(ipBlockOf('010.0.0.0/8')).toBeUndefined();
  expect(ipBlockOf('10.1/16')).toBeUndefined();
  expect(ipBlockOf('anywhere')).toBeUndefined();
});

describe('reachOf: the union of blocks', () => {
  const blocks = (...texts: string[]) => texts.map((t) => parseIpBlock(t) as IpBlock);

  test.each([
    [['0.0.0.0/1', '128.0.0.0/1'], 'the whole IPv4 internet'],
    [['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/2', '192.0.0.0/2'], 'the whole IPv4 internet'],
    [['::/1', '8000::/1'], 'the whole IPv6 internet'],
    [['0.0.0.0/1'], '2,147,483,648 IPv4 addresses, more than a /8'],
    [['10.0.0.0/8', '11.0.0.0/8'], '33,554,432 IPv4 addresses, more than a /8'],
    [['2001:db8::/31'], '158,456,325,028,528,675,187,087,900,672 IPv6 addresses, more than a /32'],
  ])('%j admits %s', (texts, description) => {
    const [reach] = reachOf(blocks(...texts));
    expect(reach.tooBroad).toBe(true);
    expect(describeReach(reach)).toBe(description);
  });

  test('overlaps count once: a block inside another adds nothing', () => {
    expect(reachOf(blocks('0.0.0.0/2', '0.0.0.0/0', '10.0.0.0/8'))).toEqual([{ version: 4, size: 1n << 32n, whole: true, tooBroad: true }]);
    expect(reachOf(blocks('10.0.0.0/8', '10.1.0.0/16'))).toEqual([{ version: 4, size: 1n << 24n, whole: false, tooBroad: false }]);
  });

  test('a /8 and a /32 of IPv6 are the most a list may admit; families are judged apart', () => {
    expect(reachOf(blocks('192.0.2.0/24', '2001:db8::/32', '10.0.0.0/9', '10.128.0.0/9'))).toEqual([
      { version: 4, size: (1n << 24n) + 256n, whole: false, tooBroad: true },
      { version: 6, size: 1n << 96n, whole: false, tooBroad: false },
    ]);
    expect(reachOf(blocks('10.0.0.0/8'))[0].tooBroad).toBe(false);
    expect(reachOf([])).toEqual([]);
  });

  test('agrees with counting addresses one by one on random small blocks', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const texts = Array.from({ length: 1 + random(8) }, () => {
        const prefix = 22 + random(11);
        const size = 2 ** (32 - prefix);
        const first = Math.floor(random(1024) / size) * size;
        return `10.0.${Math.floor(first / 256)}.${first % 256}/${prefix}`;
      });
      const addresses = new Set<number>();
      for (const b of blocks(...texts)) for (let a = Number(b.first); a <= Number(b.last); a++) addresses.add(a);
      expect(reachOf(blocks(...texts))[0].size).toBe(BigInt(addresses.size));
    }
  });
});
