/**
 * The fetch for endpoints that tenants name (Kubernetes mode): https only, and
 * never to a loopback, link-local or unspecified address (src/net/
 * forbidden-address.ts). The rule is checked on the address actually connected
 * to, on every new connection: a URL's IP literal before connecting (Node does
 * not resolve those), and every address a name resolves to (a name may point
 * at 127.0.0.1, or change what it points at between two connections). When a
 * name resolves to any forbidden address, nothing is connected. Redirects are
 * never followed: a 3xx is the answer.
 *
 * Built on undici (the library behind Node's fetch) so the resolution hook
 * sits in the connector. File mode does not use this module.
 */
import { lookup as resolveName, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { EndpointRefusedError, type EndpointFetch } from './endpoint-failure.ts';
import { isForbiddenAddress } from './forbidden-address.ts';

export interface EndpointGuardOptions {
  /** Extra TLS trust anchors in PEM (tests). Operators add theirs with NODE_EXTRA_CA_CERTS. */
  readonly ca?: string;
  /** Which addresses to refuse; default `isForbiddenAddress` (tests allow one loopback address to stand in for a remote host). */
  readonly refuses?: (address: string) => boolean;
}

/** A `lookup` for net/tls that resolves as usual and fails unless every address is allowed. */
function guardedLookup(refuses: (address: string) => boolean): LookupFunction {
  return (hostname, options, callback) => {
    const all: LookupAllOptions = { ...options, all: true };
    resolveName(hostname, all, (error, addresses: LookupAddress[]) => {
      if (error !== null) {
        callback(error, '');
        return;
      }
      const [first] = addresses;
      if (first === undefined || addresses.some(({ address }) => refuses(address))) {
        callback(new EndpointRefusedError('address not allowed'), '');
        return;
      }
      if (options.all === true) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

function guardedConnector(options: EndpointGuardOptions, refuses: (address: string) => boolean): buildConnector.connector {
  const connect = buildConnector({ lookup: guardedLookup(refuses), ...(options.ca === undefined ? {} : { ca: options.ca }) });
  return (target, callback) => {
    if (target.protocol !== 'https:') {
      callback(new EndpointRefusedError('https required'), null);
      return;
    }
    // undici gives IPv6 literals without brackets; net skips `lookup` for any literal.
    if (isIP(target.hostname) !== 0 && refuses(target.hostname)) {
      callback(new EndpointRefusedError('address not allowed'), null);
      return;
    }
    connect(target, callback);
  };
}

/** A fetch that keeps the rule above; one connection pool per call. */
export function guardedFetch(options: EndpointGuardOptions = {}): EndpointFetch {
  const refuses = options.refuses ?? isForbiddenAddress;
  const dispatcher = new Agent({ connect: guardedConnector(options, refuses) });
  return async (url, init) => {
    if (new URL(url).protocol !== 'https:') throw new EndpointRefusedError('https required');
    // The two fetches' types differ (two undici versions), their values do not; what the guard needs is set last.
    // undici's own Response is the same Fetch API: callers use status, headers and body (openid-client checks it by its tag).
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- undici's own Response, see above
    return await undiciFetch(url, { ...(init as unknown as UndiciRequestInit), redirect: 'manual', dispatcher });
  };
}
