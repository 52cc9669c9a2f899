/**
 * The forward-auth listener's `serve` flags (src/cli/serve-flag-table.ts),
 * parsed: every value checked here, so a wrong one stops the start with a
 * one-line error naming the flag instead of trusting the wrong peers.
 */
import { PROXY_FAMILIES, type ProxySetting } from './proxy-family.ts';
import { DEFAULT_TRUSTED_CIDRS, parseCidr } from './trusted-peers.ts';

export interface HttpAuthzOptions {
  readonly address: string;
  readonly trustedCidrs: readonly string[];
  readonly proxy: ProxySetting;
  /** Lower-case. */
  readonly clientCertHeader: string | undefined;
  readonly pathPrefix: string | undefined;
}

/** What the flags gave, before checking; `address` is already a checked HOST:PORT. */
export interface HttpAuthzFlagValues {
  readonly address: string | undefined;
  readonly trustedCidrs: readonly string[];
  readonly proxy: string | undefined;
  readonly clientCertHeader: string | undefined;
  readonly pathPrefix: string | undefined;
}

const SETTINGS: readonly string[] = [...PROXY_FAMILIES, 'auto'];
const HEADER_NAME = /^[A-Za-z0-9-]{1,100}$/;
/** Headers the listener reads for something else: naming one would let it carry a certificate by accident. */
const TAKEN = ['authorization', 'dpop', 'host', 'x-forwarded-method', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-uri',
  'x-original-method', 'x-original-uri', 'x-original-url'];
const PATH_PREFIX = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*[^/]$/;

export type HttpAuthzResult =
  | { readonly ok: true; readonly options: HttpAuthzOptions | undefined }
  | { readonly ok: false; readonly error: string };

export function parseHttpAuthzFlags(values: HttpAuthzFlagValues): HttpAuthzResult {
  const fail = (flag: string, message: string): HttpAuthzResult => ({ ok: false, error: `--${flag}: ${message}` });
  const proxy = values.proxy ?? 'auto';
  if (!SETTINGS.includes(proxy)) return fail('http-authz-proxy', `expected one of ${SETTINGS.join(', ')}, got "${proxy}"`);
  const badCidr = values.trustedCidrs.find((cidr) => parseCidr(cidr) === undefined);
  if (badCidr !== undefined) return fail('http-authz-trusted-cidr', `expected ADDRESS/PREFIX, got "${badCidr}"`);
  const header = values.clientCertHeader?.toLowerCase();
  if (header !== undefined && (!HEADER_NAME.test(header) || TAKEN.includes(header))) {
    return fail('http-authz-client-cert-header', `expected a header name of its own, got "${header}"`);
  }
  if (values.pathPrefix !== undefined && !PATH_PREFIX.test(values.pathPrefix)) {
    return fail('http-authz-path-prefix', `expected a path starting and not ending with "/", got "${values.pathPrefix}"`);
  }
  if (values.address === undefined) return { ok: true, options: undefined };
  return {
    ok: true,
    options: {
      address: values.address,
      trustedCidrs: values.trustedCidrs.length === 0 ? DEFAULT_TRUSTED_CIDRS : values.trustedCidrs,
      proxy: proxy as ProxySetting,
      clientCertHeader: header,
      pathPrefix: values.pathPrefix,
    },
  };
}
