/**
 * `audience-guard serve` flags (docs/contract.md §1.1). Each flag can also come
 * from the environment as AUDIENCE_GUARD_<FLAG_IN_UPPER_SNAKE>; a flag on the
 * command line wins. Repeatable flags take a comma-separated list from the
 * environment. Parsing is pure: it returns options or a one-line error naming
 * the flag.
 */
import { parseArgs } from 'node:util';
import { argumentError } from './args.ts';
import { LOG_LEVELS, type LogLevel } from '../obs/logger.ts';
import { SERVE_FLAGS } from './serve-flag-table.ts';
import { parseNamespaceHosts, type NamespaceHostRule } from '../policy/namespace-hosts.ts';
import { parseHttpAuthzFlags, type HttpAuthzOptions } from '../http-authz/http-authz-flags.ts';

export interface ServeFlags {
  readonly policyFiles: readonly string[];
  readonly grpcAddress: string;
  readonly adminAddress: string;
  readonly watchNamespaces: readonly string[];
  readonly leaseNamespace: string | undefined;
  readonly logLevel: LogLevel;
  readonly checkTimeoutMs: number;
  readonly maxTokenBytes: number;
  readonly maxRequestBytes: number;
  /** Longest request body read for a policy with `spec.mcp` rules. */
  readonly maxBodyBytes: number;
  readonly tokenCacheSize: number;
  readonly upstreamTokenCacheSize: number;
  readonly introspectionCacheSize: number;
  readonly introspectionConcurrency: number;
  readonly maxPolicies: number;
  readonly maxJWKSBytes: number;
  readonly maxJWKSKeys: number;
  /** Directories under which Kubernetes policies may name `clientSecretFile` (only `DIR/<namespace>/`). */
  readonly secretFileDirs: readonly string[];
  /** Development only: let Kubernetes policies use plain http and loopback/link-local endpoints. */
  readonly allowInsecureEndpoints: boolean;
  /** The operator's host-ownership rule; empty = the oldest-namespace rule. */
  readonly namespaceHosts: readonly NamespaceHostRule[];
  /** Rejection log lines per second per (policy, reason) before further ones are suppressed. */
  readonly logRate: number;
  /** The forward-auth listener, when `--http-authz-address` is set. */
  readonly httpAuthz: HttpAuthzOptions | undefined;
  /** Export OpenTelemetry spans (the OTEL_* variables configure them, src/tracing/tracing-settings.ts). */
  readonly tracing: boolean;
  readonly dpopReplayCacheSize: number;
  /** Stateless DPoP nonces under this HMAC key file; absent: no nonces. */
  readonly dpopNonceKeyFile: string | undefined;
}

export { SERVE_FLAGS };

type FlagName = keyof typeof SERVE_FLAGS;

export function environmentName(flag: string): string {
  return `AUDIENCE_GUARD_${flag.toUpperCase().replace(/-/g, '_')}`;
}

export type ServeFlagsResult = { readonly ok: true; readonly flags: ServeFlags } | { readonly ok: false; readonly error: string };

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function address(flag: FlagName, value: string): string | { error: string } {
  const match = HOST_PORT.exec(value);
  if (match === null || Number(match[2]) > 65535) return { error: `--${flag}: expected HOST:PORT, got "${value}"` };
  return value;
}

function integer(flag: FlagName, value: string, min: number, max: number): number | { error: string } {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    return { error: `--${flag}: expected a whole number from ${min} to ${max}, got "${value}"` };
  }
  return Number(value);
}

export function parseServeFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ServeFlagsResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(Object.entries(SERVE_FLAGS).map(([name, spec]) => [
        name,
        { type: 'boolean' in spec ? 'boolean' : 'string', multiple: spec.multiple },
      ])),
    });
  } catch (error) {
    return { ok: false, error: argumentError(error, 'serve') };
  }
  const values = parsed.values as Partial<Record<FlagName, string | string[] | boolean>>;
  const list = (flag: FlagName): string[] => {
    const given = values[flag];
    if (Array.isArray(given)) return given;
    const fromEnv = env[environmentName(flag)];
    const spec = SERVE_FLAGS[flag];
    const separator = 'separator' in spec ? spec.separator : ',';
    return fromEnv === undefined || fromEnv === '' ? [] : fromEnv.split(separator).map((item) => item.trim()).filter((item) => item !== '');
  };
  /** A boolean flag: present on the command line, or `true`/`false` in the environment. */
  const boolean = (flag: FlagName): boolean | { error: string } => {
    if (values[flag] === true) return true;
    const fromEnv = env[environmentName(flag)];
    if (fromEnv === undefined || fromEnv === '' || fromEnv === 'false') return false;
    if (fromEnv === 'true') return true;
    return { error: `--${flag}: ${environmentName(flag)} must be true or false, got "${fromEnv}"` };
  };
  const optional = (flag: FlagName): string | undefined => {
    const given = values[flag];
    if (typeof given === 'string') return given;
    const fromEnv = env[environmentName(flag)];
    return fromEnv === '' ? undefined : fromEnv;
  };
  const single = (flag: FlagName): string => {
    const given = values[flag];
    if (typeof given === 'string') return given;
    const fromEnv = env[environmentName(flag)];
    // An empty variable (as templating tools often render) means "not set".
    return fromEnv === undefined || fromEnv === '' ? (SERVE_FLAGS[flag].default as string) : fromEnv;
  };

  const grpcAddress = address('grpc-address', single('grpc-address'));
  const adminAddress = address('admin-address', single('admin-address'));
  const checkTimeoutMs = integer('check-timeout', single('check-timeout'), 1, 60_000);
  const maxTokenBytes = integer('max-token-bytes', single('max-token-bytes'), 256, 1_048_576);
  const maxRequestBytes = integer('max-request-bytes', single('max-request-bytes'), 4096, 64 * 1_048_576);
  const maxBodyBytes = integer('max-body-bytes', single('max-body-bytes'), 1024, 64 * 1_048_576);
  const tokenCacheSize = integer('token-cache-size', single('token-cache-size'), 0, 10_000_000);
  const upstreamTokenCacheSize = integer('upstream-token-cache-size', single('upstream-token-cache-size'), 1, 10_000_000);
  const introspectionCacheSize = integer('introspection-cache-size', single('introspection-cache-size'), 1, 10_000_000);
  const introspectionConcurrency = integer('introspection-concurrency', single('introspection-concurrency'), 1, 10_000);
  const maxPolicies = integer('max-policies', single('max-policies'), 1, 1_000_000);
  const maxJWKSBytes = integer('max-jwks-bytes', single('max-jwks-bytes'), 1024, 16 * 1_048_576);
  const maxJWKSKeys = integer('max-jwks-keys', single('max-jwks-keys'), 1, 10_000);
  const logRate = integer('log-rate', single('log-rate'), 1, 1_000_000);
  const dpopReplayCacheSize = integer('dpop-replay-cache-size', single('dpop-replay-cache-size'), 1, 100_000_000);
  const allowInsecureEndpoints = boolean('allow-insecure-endpoints');
  const tracing = boolean('tracing');
  const logLevel = single('log-level');
  for (const value of [
    grpcAddress, adminAddress, checkTimeoutMs, maxTokenBytes, maxRequestBytes, maxBodyBytes, tokenCacheSize,
    upstreamTokenCacheSize, introspectionCacheSize, introspectionConcurrency, maxPolicies, maxJWKSBytes, maxJWKSKeys, logRate,
    allowInsecureEndpoints, tracing, dpopReplayCacheSize,
  ]) {
    if (typeof value === 'object') return { ok: false, error: value.error };
  }
  const httpAuthzAddress = optional('http-authz-address');
  const checkedAddress = httpAuthzAddress === undefined ? undefined : address('http-authz-address', httpAuthzAddress);
  if (typeof checkedAddress === 'object') return { ok: false, error: checkedAddress.error };
  const httpAuthz = parseHttpAuthzFlags({
    address: checkedAddress, trustedCidrs: list('http-authz-trusted-cidr'), proxy: optional('http-authz-proxy'),
    clientCertHeader: optional('http-authz-client-cert-header'), pathPrefix: optional('http-authz-path-prefix'),
  });
  if (!httpAuthz.ok) return httpAuthz;
  const namespaceHosts = parseNamespaceHosts(list('namespace-hosts'));
  if (!namespaceHosts.ok) return { ok: false, error: namespaceHosts.error };
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    return { ok: false, error: `--log-level: expected one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"` };
  }
  return {
    ok: true,
    flags: {
      policyFiles: list('policy-file'),
      grpcAddress: grpcAddress as string,
      adminAddress: adminAddress as string,
      watchNamespaces: list('watch-namespace'),
      leaseNamespace: optional('lease-namespace'),
      logLevel: logLevel as LogLevel,
      checkTimeoutMs: checkTimeoutMs as number,
      maxTokenBytes: maxTokenBytes as number,
      maxRequestBytes: maxRequestBytes as number,
      maxBodyBytes: maxBodyBytes as number,
      tokenCacheSize: tokenCacheSize as number,
      upstreamTokenCacheSize: upstreamTokenCacheSize as number,
      introspectionCacheSize: introspectionCacheSize as number,
      introspectionConcurrency: introspectionConcurrency as number,
      maxPolicies: maxPolicies as number,
      maxJWKSBytes: maxJWKSBytes as number,
      maxJWKSKeys: maxJWKSKeys as number,
      secretFileDirs: list('secret-file-dir'),
      allowInsecureEndpoints: allowInsecureEndpoints as boolean,
      namespaceHosts: namespaceHosts.rules,
      logRate: logRate as number,
      httpAuthz: httpAuthz.options,
      tracing: tracing as boolean,
      dpopReplayCacheSize: dpopReplayCacheSize as number,
      dpopNonceKeyFile: optional('dpop-nonce-key-file'),
    },
  };
}
