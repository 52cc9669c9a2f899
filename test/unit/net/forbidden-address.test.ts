// Which addresses a tenant's endpoint may never be reached at, checked against
// an independent reference: node:net's BlockList (which also applies IPv4
// rules to IPv4-mapped IPv6 addresses), over the many ways to spell an address.
import { strict as assert } from 'node:assert';
import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { isForbiddenAddress, isForbiddenHostLiteral } from '../../../src/net/forbidden-address.ts';

const reference = new BlockList();
reference.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", the unspecified address
reference.addSubnet('127.0.0.0', 8, 'ipv4'); // loopback
reference.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, cloud metadata
reference.addSubnet('::', 96, 'ipv6'); // unspecified, loopback, IPv4-compatible
reference.addSubnet('fe80::', 10, 'ipv6'); // link-local

const octet = fc.oneof(fc.constantFrom(0, 1, 10, 127, 168, 169, 172, 192, 254, 255), fc.integer({ min: 0, max: 255 }));
const ipv4 = fc.tuple(octet, octet, octet, octet);
const hextet = fc.oneof(fc.constant(0), fc.constantFrom(1, 0xffff, 0xfe80, 0xfebf, 0xfec0, 0xfc00, 0xfd00, 0x2001, 0x7f00), fc.integer({ min: 0, max: 0xffff }));
/** Eight groups, often with the prefixes that matter (all zero, ::ffff:0:0/96, fe80::/10). */
const ipv6 = fc.oneof(
  fc.array(hextet, { minLength: 8, maxLength: 8 }),
  fc.tuple(hextet, hextet).map(([high, low]) => [0, 0, 0, 0, 0, 0, high, low]),
  fc.tuple(ipv4).map(([[a, b, c, d]]) => [0, 0, 0, 0, 0, 0xffff, (a << 8) | b, (c << 8) | d]),
  fc.tuple(fc.integer({ min: 0xfe00, max: 0xfeff }), fc.array(hextet, { minLength: 7, maxLength: 7 })).map(([first, rest]) => [first, ...rest]),
);

/** One spelling of eight groups: padded or not, any case, `::` over some zero run, maybe the last 32 bits dotted. */
const spelling = (groups: readonly number[]): fc.Arbitrary<string> => fc.record({
  pad: fc.boolean(), upper: fc.boolean(), compressAt: fc.nat(8), dotted: fc.boolean(),
}).map(({ pad, upper, compressAt, dotted }) => {
  let parts = groups.map((group) => group.toString(16).padStart(pad ? 4 : 1, '0'));
  if (dotted) {
    const [high = 0, low = 0] = groups.slice(6);
    parts = [...parts.slice(0, 6), `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`];
  }
  let text = parts.join(':');
  // Compress the zero run that starts at or after `compressAt`, if there is one.
  const start = groups.findIndex((group, index) => index >= compressAt && group === 0 && index < (dotted ? 6 : 8));
  if (start !== -1) {
    let end = start;
    while (end + 1 < (dotted ? 6 : 8) && groups[end + 1] === 0) end += 1;
    text = `${parts.slice(0, start).join(':')}::${parts.slice(end + 1).join(':')}`;
  }
  return upper ? text.toUpperCase() : text;
});

describe('isForbiddenAddress', () => {
  it('agrees with BlockList on every IPv4 address', () => {
    fc.assert(fc.property(ipv4, ([a, b, c, d]) => {
      const address = `${a}.${b}.${c}.${d}`;
      assert.equal(isForbiddenAddress(address), reference.check(address, 'ipv4'), address);
    }), { numRuns: 2_000 });
  });

  it('agrees with BlockList on IPv6 addresses in any spelling, IPv4-mapped and hex forms included', () => {
    fc.assert(fc.property(ipv6.chain((groups) => spelling(groups)), fc.boolean(), (address, bracketed) => {
      assert.equal(isIP(address), 6, `the generator spells a valid address: ${address}`);
      const expected = reference.check(address, 'ipv6');
      assert.equal(isForbiddenAddress(bracketed ? `[${address}]` : address), expected, address);
    }), { numRuns: 5_000 });
  });

  it('refuses anything that is not an IP address, so only a checked address is connected to', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      if (isIP(text) === 0) assert.equal(isForbiddenAddress(text), true, text);
    }));
    for (const text of ['', 'localhost', '127.1', '0x7f000001', '2130706433', '127.000.000.001', '1.2.3.4.5', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3']) {
      assert.equal(isForbiddenAddress(text), true, text);
    }
  });

  it('names the cases that matter', () => {
    for (const address of ['127.0.0.1', '127.255.255.254', '169.254.169.254', '0.0.0.0', '::', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:a9fe:a9fe', 'fe80::1', 'fe80::1%eth0', 'FEBF::1']) {
      assert.equal(isForbiddenAddress(address), true, address);
    }
    for (const address of ['10.0.0.1', '172.16.0.1', '192.168.1.1', '8.8.8.8', 'fd00::2', 'fc00::1', '::ffff:10.1.2.3', '2001:db8::1', 'fec0::1']) {
      assert.equal(isForbiddenAddress(address), false, address);
    }
  });
});

describe('isForbiddenHostLiteral (a URL hostname, before resolution)', () => {
  it('refuses forbidden IP literals as URL.hostname gives them', () => {
    for (const url of ['https://127.1/', 'https://0x7f000001/', 'https://[::ffff:127.0.0.1]/', 'https://[::]/', 'https://0.0.0.0/', 'https://169.254.169.254/', 'https://[fe80::1]/']) {
      assert.equal(isForbiddenHostLiteral(new URL(url).hostname), true, url);
    }
  });

  it('leaves names (localhost too) to resolution and lets private addresses through', () => {
    for (const url of ['https://idp.example.com/', 'https://localhost/', 'https://idp.localhost/', 'https://10.0.0.5/', 'https://[fd00::5]/', 'https://192.168.0.1:8443/']) {
      assert.equal(isForbiddenHostLiteral(new URL(url).hostname), false, url);
    }
  });
});
