/**
 * The CheckRequest Envoy would send for the request `explain` is asked about:
 * `:authority`, `:path`, `:method` and `:scheme` from the URL and method as
 * written, the extra headers, `authorization: Bearer <token>` (`DPoP <token>`
 * with a DPoP proof), the route's policy reference, the client certificate
 * as Envoy passes it (URL-encoded PEM in `source.certificate`), the DPoP
 * proof (`dpop` header) and the body. Serve reads it with the same
 * parser (src/envoy/check-request.ts), so both see the same HttpRequestView.
 */
import { POLICY_REFERENCE_KEY } from '../../envoy/check-request.ts';
import type { CheckRequest } from '../../envoy/proto.ts';
import type { ExplainOptions } from './explain-flags.ts';

export interface ExplainCredentials {
  readonly token: string | undefined;
  readonly certificatePem: string | undefined;
  readonly dpopProof: string | undefined;
  readonly body: string | undefined;
}

export function explainCheckRequest(options: ExplainOptions, credentials: ExplainCredentials): CheckRequest {
  const { url, method } = options;
  const headers = new Map<string, string>(Object.entries(options.headers));
  headers.set(':authority', url.authority);
  headers.set(':path', url.path);
  headers.set(':method', method);
  headers.set(':scheme', url.scheme);
  if (credentials.token !== undefined) {
    headers.set('authorization', `${credentials.dpopProof === undefined ? 'Bearer' : 'DPoP'} ${credentials.token}`);
  }
  if (credentials.dpopProof !== undefined) headers.set('dpop', credentials.dpopProof);
  return {
    attributes: {
      ...(credentials.certificatePem === undefined ? {} : { source: { certificate: encodeURIComponent(credentials.certificatePem) } }),
      request: {
        http: {
          method,
          headers: Object.fromEntries(headers),
          path: url.path,
          host: url.authority,
          scheme: url.scheme,
          ...(credentials.body === undefined ? {} : { body: credentials.body }),
        },
      },
      ...(options.policyReference === undefined ? {} : { context_extensions: { [POLICY_REFERENCE_KEY]: options.policyReference } }),
    },
  };
}
