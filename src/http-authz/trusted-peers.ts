/**
 * The peers that may ask this listener: the proxy, and only the proxy
 * (`--http-authz-trusted-cidr`). Anyone else who could reach the listener
 * could describe any request in forward-auth headers and learn, or borrow,
 * the decisions; such a peer is refused before anything it sent is read.
 */
import { BlockList, isIP } from 'node:net';

/** Loopback only: a sidecar proxy in the same pod (Istio's connects from 127.0.0.6). */
export const DEFAULT_TRUSTED_CIDRS: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** A `CIDR` as `{ address, prefix, family }`, or undefined when it is not one. */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = cidr.indexOf('/');
  if (slash === -1) return undefined;
  const address = cidr.slice(0, slash);
  const bits = cidr.slice(slash + 1);
  const version = isIP(address);
  if (version === 0 || !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > (version === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export class TrustedPeers {
  readonly #list = new BlockList();

  /** `cidrs` are already checked (`parseCidr`); one that is not a CIDR throws. */
  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (parsed === undefined) throw new Error(`not a CIDR: ${cidr}`);
      this.#list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  /** The socket's remote address; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) matches its IPv4 ranges. */
  trusts(address: string | undefined): boolean {
    if (address === undefined) return false;
    const version = isIP(address);
    if (version === 0) return false;
    return this.#list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}
