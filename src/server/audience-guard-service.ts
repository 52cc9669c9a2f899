/**
 * Assembles the service (the imperative shell) and drives its policy source:
 * policy store → key store, the check runner, the listeners, and the ordered
 * shutdown. Whatever the source, health is NOT_SERVING until its first complete
 * load; when that load happens is the source's `firstLoad`:
 *   - before-listening (files): nothing listens before it succeeds, so a bad
 *     start (unreadable or invalid file) leaves nothing half-started.
 *   - while-serving (Kubernetes): the listeners start at once (probes must
 *     answer) and turn SERVING after the first complete list.
 */
import { createDecisionCache, createVerifiedTokens } from './verified-tokens.ts';
import { createUpstreamTokens } from './upstream-tokens.ts';
import { createIntrospector } from './introspection.ts';
import { jwtCheckEnvironment } from '../core/check-environment.ts';
import { CheckRunner } from '../runner/check-runner.ts';
import { EnvoyCheck } from '../envoy/envoy-check.ts';
import type { HttpAuthzOptions } from '../http-authz/http-authz-flags.ts';
import { createHttpAuthzServer } from '../http-authz/http-authz-listener.ts';
import type { KeySetOptions } from '../keys/issuer-key-set.ts';
import type { KubernetesOptions, KubernetesPolicies } from '../kubernetes/kubernetes-policies.ts';
import type { Logger } from '../obs/logger.ts';
import { logEvent } from '../obs/log-events.ts';
import { Metrics } from '../obs/metrics.ts';
import { PolicyStore } from '../policy/policy-store.ts';
import type { PolicySource } from '../sources/policy-source.ts';
import type { TracingSettings } from '../tracing/tracing-settings.ts';
import { dpopEnvironment } from '../dpop/dpop-environment.ts';
import { createIssuerKeys } from './issuer-keys.ts';
import { policySourceFor, type OpenPolicySource } from './policy-source-for.ts';
import { followPolicyUpdates } from './policy-updates.ts';
import { ServiceListeners, type BoundAddresses } from './service-listeners.ts';
import { tenantAccess } from './tenant-access.ts';

export interface ServiceOptions {
  /** Policy files or folders; used when `kubernetes` is not given. */
  readonly policyFiles: readonly string[];
  /** Watch AudiencePolicies through the Kubernetes API instead of files (tenant rules included). */
  readonly kubernetes?: KubernetesOptions;
  readonly grpcAddress: string;
  readonly adminAddress: string;
  readonly checkTimeoutMs: number;
  readonly maxTokenBytes: number;
  readonly maxRequestBytes: number;
  readonly maxConnectionAgeMs: number;
  /** `--max-body-bytes`: longest body read for per-tool scopes. Default 65536. */
  readonly maxBodyBytes?: number;
  /** Policies in force at most (`--max-policies`); the youngest beyond it are left out. */
  readonly maxPolicies?: number;
  /** Largest JWKS or discovery document accepted (`--max-jwks-bytes`). */
  readonly maxJWKSBytes?: number;
  /** Most keys accepted in one JWKS (`--max-jwks-keys`). */
  readonly maxJWKSKeys?: number;
  /** Upstream tokens cached at most (`--upstream-token-cache-size`). */
  readonly upstreamTokenCacheSize?: number;
  /** `--introspection-cache-size` (answers cached) and `--introspection-concurrency` (requests in flight per endpoint). */
  readonly introspectionCacheSize?: number;
  readonly introspectionConcurrency?: number;
  /** Overrides for key fetching (tests shorten cooldowns). */
  readonly keySetOptions?: Partial<KeySetOptions>;
  /** Seconds clock for token time checks (tests move time). */
  readonly now?: () => number;
  /** Verified tokens remembered (`--token-cache-size`); 0 = none. Default 10,000. */
  readonly tokenCacheSize?: number;
  /** `--log-rate`: rejection log lines per second per (policy, reason). Default 50. */
  readonly logRate?: number;
  /** `--dpop-replay-cache-size`: DPoP proofs remembered on this replica. Default 100,000. */
  readonly dpopReplayCacheSize?: number;
  /** `--dpop-nonce-key-file`: stateless DPoP nonces under this HMAC key. */
  readonly dpopNonceKeyFile?: string | undefined;
  /** Lines the log writer has dropped so far because its buffer was full (StandardOutput.dropped). */
  readonly logBufferDrops?: () => number;
  /** The HTTP forward-auth listener (`--http-authz-address`); none when undefined. */
  readonly httpAuthz?: HttpAuthzOptions | undefined;
  /** `--tracing` with the OTEL_* settings (src/tracing/tracing-settings.ts); absent: tracing off. */
  readonly tracing?: TracingSettings | undefined;
}

export interface RunningService {
  readonly grpcPort: number;
  readonly adminPort: number;
  /** The forward-auth listener's port, when `httpAuthz` was given. */
  readonly httpAuthzPort: number | undefined;
  readonly store: PolicyStore;
  readonly metrics: Metrics;
  /** The policy source the service drives. */
  readonly source: PolicySource;
  /** Resolves once the source's first complete load is in force (at once for a before-listening source). */
  readonly loaded: Promise<void>;
  /** The Kubernetes side, when policies come from the API. */
  readonly kubernetes: KubernetesPolicies | undefined;
  /** Exports the spans ended so far; undefined when tracing is off. */
  readonly flushTraces: (() => Promise<void>) | undefined;
  /** NOT_SERVING, stop the source, drain in-flight checks (up to `graceMs`), close listeners. */
  stop(graceMs?: number): Promise<void>;
}

/** `openSource` replaces the file or Kubernetes source (tests drive a double). */
export async function startService(
  options: ServiceOptions,
  logger: Logger,
  openSource: OpenPolicySource = (context) => policySourceFor(options, context),
): Promise<RunningService> {
  const metrics = new Metrics();
  // Kubernetes policies come from many teams: a host belongs to one namespace. File
  // policies are all the operator's, so their namespaces share hosts as before.
  const store = new PolicyStore({
    ...(options.maxPolicies === undefined ? {} : { maxPolicies: options.maxPolicies }),
    namespaceOwnsHosts: options.kubernetes !== undefined,
  });
  const now = options.now ?? (() => Date.now() / 1000);
  // Before anything that runs in the background: a bad nonce key file fails the start cleanly.
  const binding = await dpopEnvironment({
    replayCacheSize: options.dpopReplayCacheSize ?? 100_000, nonceKeyFile: options.dpopNonceKeyFile,
  }, now);
  // Without tracing no module of the OpenTelemetry SDK is loaded; with it, each request a check sends is a child span.
  const tracing = options.tracing === undefined
    ? undefined
    : new (await import('../tracing/service-tracing.ts')).ServiceTracing(options.tracing);
  const tenants = await tenantAccess(options.kubernetes);
  const endpointFetch = tracing === undefined ? tenants.endpointFetch : tracing.fetch(tenants.endpointFetch);
  const keys = createIssuerKeys(options, endpointFetch, metrics, logger);

  const verifiedTokens = createVerifiedTokens(options.tokenCacheSize ?? 10_000, { store, keys, metrics, now });
  const decisions = createDecisionCache(options.tokenCacheSize ?? 10_000, { store, keys, metrics, now });
  const upstreamTokens = createUpstreamTokens(options, tenants.secrets, tenants.secretFileDirs, metrics, logger, endpointFetch);
  const introspector = createIntrospector(options, { ...tenants, endpointFetch, metrics, logger, now });
  const sources = { verifiedTokens, upstreamTokens, introspector, binding, decisions, maxBodyBytes: options.maxBodyBytes };
  const environment = jwtCheckEnvironment({ keys, now, maxTokenBytes: options.maxTokenBytes, ...sources });
  if (options.logBufferDrops !== undefined) metrics.logBufferDrops(options.logBufferDrops);
  const runner = new CheckRunner({
    store, environment, metrics, logger, checkTimeoutMs: options.checkTimeoutMs,
    ...(options.logRate === undefined ? {} : { logRate: options.logRate }),
    logRatePolicies: (options.maxPolicies ?? 10_000) + 1,
    tracing: tracing?.checks,
  });
  const httpAuthz = options.httpAuthz === undefined
    ? undefined
    : { server: createHttpAuthzServer(runner, options.httpAuthz, options), address: options.httpAuthz.address };
  const listeners = new ServiceListeners(new EnvoyCheck(runner), store, metrics, options, httpAuthz);

  const events = followPolicyUpdates(store, keys, metrics, logger, {
    maxPolicies: options.maxPolicies,
    httpAuthz: options.httpAuthz !== undefined,
    loaded: () => { listeners.policiesLoaded(); },
  });
  const { source, kubernetes } = await openSource({ store, keys, logger, events });
  if (source.firstLoad === 'before-listening') await source.start();

  let bound: BoundAddresses;
  try {
    bound = await listeners.listen();
  } catch (error) {
    await source.stop();
    keys.close();
    await listeners.close(0);
    await tracing?.shutdown();
    throw error;
  }
  logEvent(logger, 'listening', { grpc: bound.grpc, admin: bound.admin, http_authz: bound.httpAuthz }, 'audience-guard is listening');
  const loaded = source.firstLoad === 'while-serving' ? source.start() : Promise.resolve();

  return {
    grpcPort: bound.grpcPort,
    adminPort: bound.adminPort,
    httpAuthzPort: bound.httpAuthzPort,
    store,
    metrics,
    source,
    loaded,
    kubernetes,
    flushTraces: tracing === undefined ? undefined : () => tracing.flush(),
    async stop(graceMs = 10_000) {
      listeners.beginStop();
      await source.stop();
      const drained = await Promise.race([runner.drained().then(() => true), delay(graceMs).then(() => false)]);
      await listeners.close(drained ? 1_000 : 0);
      keys.close();
      await tracing?.shutdown();
      logEvent(logger, 'stopped', { drained }, 'audience-guard stopped');
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
