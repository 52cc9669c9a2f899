/**
 * fast-check arbitraries for the ways a URI in a policy can be spelled: built
 * from parts (scheme, separator, userinfo, host, port, path, query,
 * fragment), each drawn from well-formed and malformed choices, so that most
 * runs are near the edge of what the URI rules admit; plus fast-check's own
 * web URLs and strings of URI-ish characters.
 */
import fc from 'fast-check';

/** Mostly `good`, sometimes `bad`: each part of a URI is near the edge, not the whole URI far from it. */
function mostly<T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: bad });
}

const scheme = mostly(fc.constantFrom('https', 'https', 'https', 'http'), fc.constantFrom('HTTPS', 'Http', 'ftp', 'h', 'https+x', ''));
const separator = mostly(fc.constant('://'), fc.constantFrom(':/', ':', '', ':///', '//', ':\\\\'));
const userinfo = mostly(fc.constant(''), fc.constantFrom('user@', 'u:p@', '@', 'a%40b@', ':@', 'a b@'));
const SPECIAL_HOSTS = [
  'localhost', 'LOCALHOST', 'localhost.', 'localhost.example.com', '127.0.0.1', '127.1', '127.0.0.256', '127.000.0.1', '127.0.0.01',
  '0x7f000001', '2130706433', '0x7f.1', '[::1]', '[::ffff:127.0.0.1]', '[0:0:0:0:0:0:0:1]', '[fe80::1%25eth0]', '[::1', '::1', '[]',
  '[1::2::3]', '[1:2:3:4:5:6:7:8]', '[1:2:3:4:5:6:7:8:9]', '[::]', '[12345::]', '[1:2:3:4:5:6:7::]', '[::2:3:4:5:6:7:8]', '[v1.x]',
  'example.123', 'example.0x1f', '1.2.3', '1.2.3.4', '1.2.3.4.5', '256.1.1.1', '10.0.0.1', '169.254.169.254', 'a..b', '-a.com', 'a-.com',
  'bücher.example', 'xn--bcher-kva.example', 'EXAMPLE.COM', `${'a'.repeat(64)}.com`, '', 'ex%41mple.com', 'a_b.com', 'a b.com', 'exa\tmple.com',
  'example.com.', '.example.com', '*.example.com', 'ex:ample.com', 'idp.example.com', 'weather.example.com',
];
const port = mostly(fc.constantFrom('', '', ':80', ':443', ':8080', ':65535', ':1'), fc.constantFrom(':', ':0', ':65536', ':99999', ':0443', ':00000', ':-1', ':a', ':٣', ': 1'));
const GOOD_PATH_UNITS = ['a', 'Z', '0', '-', '.', '_', '~', '%2F', '%2f', '%41', '!', '$', '&', "'", '(', ')', '*', '+', ',', ';', '=', ':', '@', 'mcp', 'realms', '..', '/'];
const BAD_PATH_UNITS = [
  '%', '%zz', '%4', ' ', '\t', '\n', '#', '?', '[', ']', '\\', '|', '^', '{', '}', '<', '>', '"', '`', 'é', '\u00a0', '\u2028', '\u0000', '\u007f', '\ud83d\ude00',
];

const goodLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,4}[a-z0-9])?$/);
const goodDNSName = fc.tuple(fc.array(fc.oneof(goodLabel, fc.constant('xn--bcher-kva')), { maxLength: 3 }), fc.stringMatching(/^[a-zA-Z]([a-z0-9-]{0,4}[a-z0-9])?$/))
  .map(([labels, last]) => [...labels, last].join('.'));
const octet = fc.nat(255).map(String);
const goodIPv4 = fc.array(octet, { minLength: 4, maxLength: 4 }).map((octets) => octets.join('.'));
const h16 = fc.stringMatching(/^[0-9a-fA-F]{1,4}$/);
/** An RFC 3986 IPv6 literal: eight groups, perhaps with one run of them compressed to `::`. */
const goodIPv6 = fc.tuple(fc.array(h16, { minLength: 8, maxLength: 8 }), fc.option(fc.tuple(fc.nat(7), fc.nat(7)))).map(([groups, run]) => {
  if (run === null) return `[${groups.join(':')}]`;
  const start = run[0];
  const end = Math.min(8, start + 1 + run[1]);
  return `[${groups.slice(0, start).join(':')}::${groups.slice(end).join(':')}]`;
});
const goodHost = fc.oneof(fc.constantFrom('weather.example.com', 'idp.example.com', 'localhost', '127.0.0.1', '127.9.8.7', '[::1]', '10.0.0.1', 'xn--bcher-kva.example', 'EXAMPLE.COM'), goodDNSName, goodIPv4, goodIPv6);

const label = fc.array(fc.constantFrom('a', 'z', 'A', '0', '9', '-', 'x', '_', '', 'ü'), { maxLength: 6 }).map((units) => units.join(''));
const dnsName = fc.array(fc.oneof(label, fc.constantFrom('xn--bcher-kva', '123', '0x7f', 'com', 'example')), { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
const ipv4 = fc.array(fc.oneof(fc.nat(300), fc.constantFrom(0, 255)), { minLength: 3, maxLength: 5 }).map((octets) => octets.join('.'));
const hexGroup = fc.array(fc.constantFrom('0', '1', 'a', 'F', 'f', '9'), { minLength: 0, maxLength: 5 }).map((units) => units.join(''));
const ipv6 = fc.tuple(fc.array(hexGroup, { minLength: 1, maxLength: 9 }), fc.option(fc.nat(9)), fc.boolean()).map(([groups, gap, closed]) => {
  const parts = [...groups];
  if (gap !== null) parts.splice(Math.min(gap, parts.length), 0, '');
  return `[${parts.join(':')}${closed ? ']' : ''}`;
});
const badHost = fc.oneof(fc.constantFrom(...SPECIAL_HOSTS), dnsName, ipv4, ipv6);

export const host = fc.oneof({ weight: 3, arbitrary: goodHost }, { weight: 2, arbitrary: badHost });

const pathPart = fc.array(mostly(fc.constantFrom(...GOOD_PATH_UNITS), fc.constantFrom(...BAD_PATH_UNITS)), { maxLength: 4 }).map((units) => units.join(''));
const path = fc.array(pathPart, { maxLength: 3 }).map((segments) => segments.map((segment) => `/${segment}`).join(''));
/** Absent `absentWeight` times out of `absentWeight + 1`, else `mark` and a part. */
const suffix = (mark: string, absentWeight: number) => fc.oneof({ weight: absentWeight, arbitrary: fc.constant('') }, { weight: 1, arbitrary: pathPart.map((part) => `${mark}${part}`) });

/** A URI assembled from parts, each mostly well-formed. */
export const assembledURI = fc.tuple(scheme, separator, userinfo, host, port, path, suffix('?', 2), suffix('#', 8)).map((parts) => parts.join(''));

/** Any spelling of a URI: assembled from parts, a generated web URL, or URI-ish characters. */
export const uriSpelling = fc.oneof(
  { weight: 6, arbitrary: assembledURI },
  { weight: 2, arbitrary: fc.webUrl({ validSchemes: ['https', 'http'], withQueryParameters: true, withFragments: true, authoritySettings: { withIPv4: true, withIPv6: true, withPort: true, withUserInfo: true } }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('h', 't', 'p', 's', ':', '/', '.', 'a', '@', '?', '#', '[', ']', '%', '1', ' '), maxLength: 30 }) },
);
