import { addressPlanProblems, contains, overlaps, parseCidr, type Ipv4Cidr } from '../lib/net/cidr';

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
