/**
 * Which addresses an endpoint named by a tenant's policy may never be reached
 * at: the pod's own loopback (a sidecar's admin port, the service's own
 * listeners), link-local (cloud metadata at 169.254.169.254 hands out node
 * credentials), the unspecified address (connecting to 0.0.0.0 or `::` reaches
 * the local host), and the IPv6 spellings of these (IPv4-mapped `::ffff:…`,
 * the deprecated IPv4-compatible `::a.b.c.d`). Private ranges (10/8,
 * 172.16/12, 192.168/16, fc00::/7) stay reachable: identity providers run in
 * clusters. Pure: no name resolution here; the caller checks every address a
 * name resolved to, and the literal of a URL.
 */

/** 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16. */
function isForbiddenIPv4(octets: readonly number[]): boolean {
  const [first, second] = octets;
  return first === 0 // "this network" (RFC 1122 §3.2.1.3), 0.0.0.0 included
    || first === 127 // loopback
    || (first === 169 && second === 254); // link-local, cloud metadata
}

/** Strict dotted decimal (the form name resolution and the URL parser give), or undefined. */
function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part))) return undefined;
  const octets = parts.map(Number);
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

function hextets(groups: string): number[] | undefined {
  if (groups === '') return [];
  const parts = groups.split(':');
  return parts.every((part) => /^[0-9a-f]{1,4}$/i.test(part)) ? parts.map((part) => Number.parseInt(part, 16)) : undefined;
}

/** RFC 4291 §2.2 text forms (with `::`, an IPv4 tail, any case, leading zeros, a `%zone`) as 8 groups, or undefined. */
function parseIPv6(input: string): number[] | undefined {
  let text = input.includes('%') ? input.slice(0, input.indexOf('%')) : input;
  const tailStart = text.lastIndexOf(':') + 1;
  if (tailStart === 0) return undefined;
  if (text.slice(tailStart).includes('.')) {
    const v4 = parseIPv4(text.slice(tailStart));
    if (v4 === undefined) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    text = `${text.slice(0, tailStart)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = hextets(halves[0] ?? '');
  const tail = halves.length === 2 ? hextets(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...Array<number>(missing).fill(0), ...tail];
}

function isForbiddenIPv6(groups: readonly number[]): boolean {
  const leadingZeros = groups.findIndex((group) => group !== 0);
  const zerosUpTo = leadingZeros === -1 ? 8 : leadingZeros;
  if (zerosUpTo >= 6) return true; // ::/96: unspecified, loopback, IPv4-compatible
  const [, , , , , sixth = 0, high = 0, low = 0] = groups;
  // ::ffff:0:0/96, IPv4-mapped
  if (zerosUpTo === 5 && sixth === 0xffff) return isForbiddenIPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  return ((groups[0] ?? 0) & 0xffc0) === 0xfe80; // fe80::/10, link-local
}

/**
 * True when `address` (an IP address, IPv6 with or without brackets) must not
 * be connected to. Anything that is not an IP address in a form given above
 * is refused too: only a checked address may be connected to.
 */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const v4 = parseIPv4(bare);
  if (v4 !== undefined) return isForbiddenIPv4(v4);
  const v6 = parseIPv6(bare);
  return v6 === undefined || isForbiddenIPv6(v6);
}

/**
 * True when a URL's hostname (as `URL.hostname` gives it: IPv4 in dotted
 * decimal, IPv6 in brackets) is a forbidden IP address by itself. Names —
 * `localhost` too — are decided when they are resolved, on every connection.
 */
export function isForbiddenHostLiteral(hostname: string): boolean {
  if (hostname.startsWith('[') || parseIPv4(hostname) !== undefined) return isForbiddenAddress(hostname);
  return false;
}
