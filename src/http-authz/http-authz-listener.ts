/**
 * The forward-auth listener as the service assembles it
 * (src/server/audience-guard-service.ts): its flags, the runner every check
 * goes through, and the limits the gRPC listener has too.
 */
import type { CheckRunner } from '../runner/check-runner.ts';
import type { HttpAuthzOptions } from './http-authz-flags.ts';
import { httpAuthzFrontEnd } from './http-authz-front-end.ts';
import { HttpAuthzServer } from './http-authz-server.ts';
import { TrustedPeers } from './trusted-peers.ts';

/** Room in the headers besides the token: a DPoP proof, cookies, the proxy's own headers. */
const HEADER_ROOM_BYTES = 32 * 1024;

export function createHttpAuthzServer(
  runner: CheckRunner,
  options: HttpAuthzOptions,
  limits: { readonly maxRequestBytes: number; readonly maxTokenBytes: number },
): HttpAuthzServer {
  const peers = new TrustedPeers(options.trustedCidrs);
  const { proxy, clientCertHeader, pathPrefix } = options;
  const frontEnd = httpAuthzFrontEnd({ peers, proxy, clientCertHeader, pathPrefix });
  return new HttpAuthzServer(runner, frontEnd, peers, {
    address: options.address,
    maxBodyBytes: limits.maxRequestBytes,
    maxHeaderBytes: limits.maxTokenBytes + HEADER_ROOM_BYTES,
  });
}
