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
import { jwtCheckEnvironment } from '../core/check-environment.ts';
import { CheckRunner } from '../runner/check-runner.ts';
import { EnvoyCheck } from '../envoy/envoy-check.ts';
import type { KeySetOptions } from '../keys/issuer-key-set.ts';
import type { KubernetesOptions, KubernetesPolicies } from '../kubernetes/kubernetes-policies.ts';
import type { Logger } from '../obs/logger.ts';
import { logEvent } from '../obs/log-events.ts';
import { Metrics } from '../obs/metrics.ts';
import { PolicyStore } from '../policy/policy-store.ts';
import type { PolicySource } from '../sources/policy-source.ts';
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
  /** Policies in force at most (`--max-policies`); the youngest beyond it are left out. */
  readonly maxPolicies?: number;
  /** Largest JWKS or discovery document accepted (`--max-jwks-bytes`). */
  readonly maxJWKSBytes?: number;
  /** Most keys accepted in one JWKS (`--max-jwks-keys`). */
  readonly maxJWKSKeys?: number;
  /** Upstream tokens cached at most (`--upstream-token-cache-size`). */
  readonly upstreamTokenCacheSize?: number;
  /** Overrides for key fetching (tests shorten cooldowns). */
  readonly keySetOptions?: Partial<KeySetOptions>;
  /** Seconds clock for token time checks (tests move time). */
  readonly now?: () => number;
  /** Verified tokens remembered (`--token-cache-size`); 0 = none. Default 10,000. */
  readonly tokenCacheSize?: number;
  /** `--log-rate`: rejection log lines per second per (policy, reason). Default 50. */
  readonly logRate?: number;
  /** Lines the log writer has dropped so far because its buffer was full (StandardOutput.dropped). */
  readonly logBufferDrops?: () => number;
}

export interface RunningService {
  readonly grpcPort: number;
  readonly adminPort: number;
  readonly store: PolicyStore;
  readonly metrics: Metrics;
  /** The policy source the service drives. */
  readonly source: PolicySource;
  /** Resolves once the source's first complete load is in force (at once for a before-listening source). */
  readonly loaded: Promise<void>;
  /** The Kubernetes side, when policies come from the API. */
  readonly kubernetes: KubernetesPolicies | undefined;
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
  const tenants = await tenantAccess(options.kubernetes);
  const keys = createIssuerKeys(options, tenants.endpointFetch, metrics, logger);

  const now = options.now ?? (() => Date.now() / 1000);
  const verifiedTokens = createVerifiedTokens(options.tokenCacheSize ?? 10_000, { store, keys, metrics, now });
  const decisions = createDecisionCache(options.tokenCacheSize ?? 10_000, { store, keys, metrics, now });
  const upstreamTokens = createUpstreamTokens(options, tenants.secrets, tenants.secretFileDirs, metrics, logger, tenants.endpointFetch);
  const environment = jwtCheckEnvironment({ keys, now, maxTokenBytes: options.maxTokenBytes, verifiedTokens, upstreamTokens, decisions });
  if (options.logBufferDrops !== undefined) metrics.logBufferDrops(options.logBufferDrops);
  const runner = new CheckRunner({
    store, environment, metrics, logger, checkTimeoutMs: options.checkTimeoutMs,
    ...(options.logRate === undefined ? {} : { logRate: options.logRate }),
    logRatePolicies: (options.maxPolicies ?? 10_000) + 1,
  });
  const listeners = new ServiceListeners(new EnvoyCheck(runner), store, metrics, options);

  const events = followPolicyUpdates(store, keys, metrics, logger, {
    maxPolicies: options.maxPolicies,
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
    throw error;
  }
  logEvent(logger, 'listening', { grpc: bound.grpc, admin: bound.admin }, 'audience-guard is listening');
  const loaded = source.firstLoad === 'while-serving' ? source.start() : Promise.resolve();

  return {
    grpcPort: bound.grpcPort,
    adminPort: bound.adminPort,
    store,
    metrics,
    source,
    loaded,
    kubernetes,
    async stop(graceMs = 10_000) {
      listeners.beginStop();
      await source.stop();
      const drained = await Promise.race([runner.drained().then(() => true), delay(graceMs).then(() => false)]);
      await listeners.close(drained ? 1_000 : 0);
      keys.close();
      logEvent(logger, 'stopped', { drained }, 'audience-guard stopped');
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
