/**
 * The table of `audience-guard serve` flags: name, default, whether it repeats,
 * and the help line. Documentation (usage, README rows), defaults and parsing
 * (src/cli/serve-flags.ts) all come from here.
 */
import { LOG_LEVELS } from '../obs/logger.ts';

/** One entry per flag: the documentation, defaults and parsing all come from here. */
export const SERVE_FLAGS = {
  'policy-file': { multiple: true, default: undefined,
    help: 'YAML file or folder of AudiencePolicy documents (repeatable); hot-reloaded. ' +
      'Without it, policies come from the Kubernetes API (AudiencePolicy resources).' },
  'grpc-address': { multiple: false, default: '0.0.0.0:9001',
    help: 'Envoy ext_authz and grpc.health.v1 listener (HOST:PORT; port 0 = ephemeral).' },
  'admin-address': { multiple: false, default: '0.0.0.0:9090',
    help: 'HTTP listener for /metrics, /healthz, /readyz and protected-resource metadata.' },
  'watch-namespace': { multiple: true, default: undefined,
    help: 'Kubernetes namespace to watch for AudiencePolicies (repeatable); default all.' },
  'lease-namespace': { multiple: false, default: undefined,
    help: 'Namespace of the Lease that elects the one replica writing policy status (Kubernetes source). ' +
      'Default: the pod\'s own namespace, else default.' },
  'log-level': { multiple: false, default: 'info', help: `pino level: ${LOG_LEVELS.join(', ')}.` },
  'check-timeout': { multiple: false, default: '150',
    help: 'Answer every Check within this many milliseconds (503 timeout otherwise); keep it below Envoy\'s timeout (200 ms default).' },
  'max-token-bytes': { multiple: false, default: '16384', help: 'Larger bearer tokens are refused (token_too_large) before any decoding.' },
  'max-request-bytes': { multiple: false, default: '1048576', help: 'Largest CheckRequest accepted by the gRPC server.' },
  'max-body-bytes': { multiple: false, default: '65536',
    help: 'Longest request body read for a policy with per-tool scopes (spec.mcp); a longer one is unreadable (400). ' +
      'Keep the proxy\'s max_request_bytes at or below it, and below --max-request-bytes.' },
  'token-cache-size': { multiple: false, default: '10000',
    help: 'Verified tokens remembered (by SHA-256, until exp) so a repeated token skips signature verification; 0 turns the cache off.' },
  'upstream-token-cache-size': { multiple: false, default: '10000',
    help: 'Upstream tokens cached at most (per policy and client token for token exchange); the least recently used go first.' },
  'introspection-cache-size': { multiple: false, default: '10000',
    help: 'Token introspection answers cached at most (by token SHA-256); the least recently used go first.' },
  'introspection-concurrency': { multiple: false, default: '64',
    help: 'Token introspection requests in flight per endpoint at most; a check that needs one more is answered 503 at once.' },
  'max-policies': { multiple: false, default: '10000',
    help: 'Policies in force at most; beyond it the youngest are left out (logged, counted, and Accepted=False in Kubernetes).' },
  'max-jwks-bytes': { multiple: false, default: '524288',
    help: 'Largest JWKS or discovery document accepted from an issuer; a larger answer is refused and cached keys keep serving.' },
  'max-jwks-keys': { multiple: false, default: '100',
    help: 'Most keys accepted in one JWKS; a larger key set is refused and cached keys keep serving.' },
  'secret-file-dir': { multiple: true, default: undefined,
    help: 'Directory whose DIR/<namespace>/ sub-folder a Kubernetes policy of that namespace may name in clientSecretFile (repeatable); ' +
      'none by default.' },
  'allow-insecure-endpoints': { multiple: false, boolean: true, default: 'false',
    help: 'Development only: Kubernetes policies may use plain http and loopback or link-local issuer, JWKS and token endpoints.' },
  'namespace-hosts': { multiple: true, separator: ';', default: undefined,
    help: 'NAMESPACE=PATTERN[,PATTERN]: the hosts a namespace may claim (repeatable; ";" between entries in the environment). ' +
      'Without it the oldest namespace claiming a host owns it.' },
  'log-rate': { multiple: false, default: '50',
    help: 'token_rejected lines per second per policy and reason; beyond it lines are suppressed and counted (log_suppressed).' },
  'http-authz-address': { multiple: false, default: undefined,
    help: 'HTTP forward-auth listener (HOST:PORT) for Envoy http_service, nginx auth_request, Traefik ForwardAuth, ' +
      'Caddy forward_auth; off when unset.' },
  'http-authz-trusted-cidr': { multiple: true, default: undefined,
    help: 'Peers that may ask the forward-auth listener (CIDR, repeatable); others get 403 untrusted_peer. ' +
      'Default: loopback only (127.0.0.0/8, ::1/128).' },
  'http-authz-proxy': { multiple: false, default: 'auto',
    help: 'Headers the original request is read from: forwarded, nginx, ingress-nginx, envoy, ' +
      'or auto (the family whose headers are present).' },
  'http-authz-client-cert-header': { multiple: false, default: undefined,
    help: 'Header the proxy puts the verified client certificate in (URL-encoded PEM or base64 DER); ' +
      'without it, certificate-bound tokens are refused on the forward-auth listener.' },
  'http-authz-path-prefix': { multiple: false, default: undefined,
    help: 'Path prefix Envoy http_service puts before the original path (its path_prefix); ' +
      'taken off again, and a request outside it is refused.' },
  'tracing': { multiple: false, boolean: true, default: 'false',
    help: 'Export an OpenTelemetry span per check (OTLP/HTTP), configured by the standard OTEL_* variables ' +
      '(OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG).' },
  'dpop-replay-cache-size': { multiple: false, default: '100000',
    help: 'DPoP proofs remembered per replica (by key and jti, until iat + proofMaxAgeSeconds) to refuse replays; ' +
      'when full of live entries, new proofs are refused with 503 dpop_unavailable.' },
  'dpop-nonce-key-file': { multiple: false, default: undefined,
    help: 'File with an HMAC key (at least 32 bytes, the same on every replica): DPoP proofs must then carry a ' +
      'server nonce of the current or previous 60-second slot (401 use_dpop_nonce with a DPoP-Nonce header otherwise).' },
} as const;
