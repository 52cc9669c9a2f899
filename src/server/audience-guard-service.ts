/**
 * Wires the service together (the imperative shell): policy source → store →
 * key store, the check handler, the gRPC and admin listeners, and the ordered
 * shutdown. Health is NOT_SERVING until the first complete policy load.
 *   - Files: the first load happens before anything listens, so a bad start
 *     (unreadable or invalid file) leaves nothing half-started.
 *   - Kubernetes: the listeners start at once (probes must answer), and turn
 *     SERVING after the first complete list of every watched namespace.
 */
import { createVerifiedTokens } from './verified-tokens.ts';
import { createUpstreamTokens } from './upstream-tokens.ts';
import type { CheckEnvironment } from '../core/check-pipeline.ts';
import { DEFAULT_KEY_SET_OPTIONS, IssuerKeyStore } from '../keys/issuer-key-store.ts';
import type { KeySetOptions } from '../keys/issuer-key-set.ts';
import type { Logger } from '../obs/logger.ts';
import { Metrics } from '../obs/metrics.ts';
import type { NamespaceHostRule } from '../policy/namespace-hosts.ts';
import { PolicyStore } from '../policy/policy-store.ts';
import { FilePolicySource } from '../sources/file-policy-source.ts';
import { AdminServer } from './admin-server.ts';
import { CheckHandler } from './check-handler.ts';
import { policyCounts } from './policy-counts.ts';
import { AuthorizationGrpcServer } from './grpc-server.ts';
import type { KubernetesOptions, KubernetesPolicies } from '../kubernetes/kubernetes-policies.ts';

export interface ServiceOptions {
  /** Policy files or folders; used when `kubernetes` is not given. */
  readonly policyFiles: readonly string[];
  /** Watch AudiencePolicies through the Kubernetes API instead of files. */
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
  /** `--secret-file-dir`: where Kubernetes policies may name client secret files (DIR/<namespace>/ only). */
  readonly secretFileDirs?: readonly string[];
  /**
   * `--allow-insecure-endpoints` (development only): in Kubernetes mode,
   * endpoints are contacted without the connection guard. Admission reads the
   * same flag from `kubernetes.tenantRules`.
   */
  readonly allowInsecureEndpoints?: boolean;
  /** `--namespace-hosts`: the operator's host-ownership rule; empty = oldest namespace wins. */
  readonly namespaceHosts?: readonly NamespaceHostRule[];
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
  /** The file source, when policies come from files. */
  readonly source: FilePolicySource | undefined;
  /** The Kubernetes side, when policies come from the API. */
  readonly kubernetes: KubernetesPolicies | undefined;
  /** NOT_SERVING, drain in-flight checks (up to `graceMs`), close listeners. */
  stop(graceMs?: number): Promise<void>;
}

export async function startService(options: ServiceOptions, logger: Logger): Promise<RunningService> {
  const metrics = new Metrics();
  // Kubernetes policies come from many teams: a host belongs to one namespace. File
  // policies are all the operator's, so their namespaces share hosts as before.
  const store = new PolicyStore({ ...(options.maxPolicies === undefined ? {} : { maxPolicies: options.maxPolicies }), namespaceOwnsHosts: options.kubernetes !== undefined });
  if (options.kubernetes !== undefined) warnWithoutHostRule(options, options.kubernetes, logger);
  // Tenants name the endpoints in Kubernetes mode: reach them only over https and
  // never at loopback or link-local addresses (README "Endpoints in Kubernetes mode").
  const endpointFetch = options.kubernetes === undefined || options.kubernetes.tenantRules?.allowInsecureEndpoints === true
    ? undefined
    : (await import('../net/endpoint-guard.ts')).guardedFetch();
  const keys = new IssuerKeyStore({
    ...(endpointFetch === undefined ? {} : { fetch: endpointFetch }),
    ...(options.maxJWKSBytes === undefined ? {} : { fetchLimits: { timeoutMs: DEFAULT_KEY_SET_OPTIONS.fetchLimits.timeoutMs, maxBytes: options.maxJWKSBytes } }),
    ...(options.maxJWKSKeys === undefined ? {} : { maxKeys: options.maxJWKSKeys }),
    ...options.keySetOptions,
  });
  let rejected = 0;
  let stopping = false;

  const now = options.now ?? (() => Date.now() / 1000);
  const verifiedTokens = createVerifiedTokens(options.tokenCacheSize ?? 10_000, { store, keys, metrics, now });
  // The Kubernetes client (~20 MiB of heap, ~55 MiB of RSS) is loaded only when
  // policies come from the API; file mode never needs it.
  const secrets = options.kubernetes === undefined
    ? undefined
    : new (await import('../kubernetes/secret-reader.ts')).SecretReader(options.kubernetes.config, { ttlMs: options.kubernetes.secretTTLMs ?? 30_000 });
  // Kubernetes policies read secret files under the same bounds that admitted them.
  const secretFileDirs = options.kubernetes === undefined ? undefined : options.kubernetes.tenantRules?.secretFileDirs ?? [];
  const upstreamTokens = createUpstreamTokens(options, secrets, secretFileDirs, metrics, logger, endpointFetch);
  const environment: CheckEnvironment = { keys, now, maxTokenBytes: options.maxTokenBytes, verifiedTokens, upstreamTokens };
  if (options.logBufferDrops !== undefined) metrics.logBufferDrops(options.logBufferDrops);
  const handler = new CheckHandler({
    store, environment, metrics, logger, checkTimeoutMs: options.checkTimeoutMs,
    ...(options.logRate === undefined ? {} : { logRate: options.logRate }),
    logRatePolicies: (options.maxPolicies ?? 10_000) + 1,
  });
  const grpcServer = new AuthorizationGrpcServer(handler, {
    address: options.grpcAddress,
    maxReceiveMessageBytes: options.maxRequestBytes,
    maxConnectionAgeMs: options.maxConnectionAgeMs,
  });
  const admin = new AdminServer(options.adminAddress, metrics, store, { ready: () => store.loaded() && !stopping });

  let stale: ReadonlySet<string> = new Set();
  const countPolicies = (): void => {
    const snapshot = store.current();
    metrics.policies(policyCounts(snapshot, stale, rejected));
    metrics.audienceOverlaps(new Set(snapshot.audienceOverlaps.map((overlap) => overlap.policy.id)).size);
  };
  keys.onRefresh((refresh) => {
    if (!refresh.ok && refresh.limit !== undefined) metrics.limitHit(refresh.limit);
    metrics.jwksRefresh(refresh.issuer, refresh.ok);
    if (refresh.ok) logger.info({ event: 'jwks_refreshed', issuer: refresh.issuer }, 'issuer keys loaded');
    else logger.warn({ event: 'jwks_refresh_failed', issuer: refresh.issuer, jwks_uri: refresh.jwksUri, error: refresh.error }, 'issuer keys could not be fetched');
  });
  store.onUpdate(({ snapshot, rejected: rejectedNow, overLimit, uncompilable, stale: staleNow }) => {
    for (const { origin, error } of uncompilable) {
      logger.error({ event: 'policy_rejected', origin, field: '/', problem: `could not be compiled: ${error}` }, 'policy left out; the other policies keep serving');
    }
    if (overLimit.length > 0) {
      metrics.limitHit('policies');
      logger.warn({ event: 'limit_reached', limit: 'policies', max: options.maxPolicies, left_out: overLimit.length, first: overLimit.slice(0, 5) }, 'more policies than --max-policies: the youngest are left out');
    }
    if (options.kubernetes !== undefined) rejected = rejectedNow;
    stale = new Set(staleNow);
    keys.sync(snapshot);
    countPolicies();
    for (const conflict of snapshot.conflicts) {
      logger.warn({ event: 'policy_conflicted', policy: conflict.policy.id, winner: conflict.winner.id, host: conflict.host, path_prefix: conflict.pathPrefix },
        conflict.pathPrefix === undefined ? 'another namespace claimed this host first: the policy serves nothing there' : 'another policy already claims this host and path prefix');
    }
    for (const overlap of snapshot.audienceOverlaps) {
      if (overlap.policy.id < overlap.other.id) {
        logger.warn({ event: 'audience_overlap', policy: overlap.policy.id, other: overlap.other.id, audience: overlap.audience }, 'two policies accept the same audience: tokens for one are accepted by the other');
      }
    }
    logger.info({ event: 'policies_loaded', generation: snapshot.generation, policies: snapshot.policies.length }, 'policy snapshot in force');
    if (!stopping) grpcServer.setServing(true);
  });

  let fileSource: FilePolicySource | undefined;
  if (options.kubernetes === undefined) {
    fileSource = new FilePolicySource(options.policyFiles, store, {
      applied: () => {
        rejected = 0;
        countPolicies();
      },
      rejected: (problems) => {
        rejected = new Set(problems.map((problem) => problem.origin)).size;
        countPolicies();
        for (const problem of problems) {
          logger.error({ event: 'policy_rejected', origin: problem.origin, field: problem.path, problem: problem.message }, 'policy update rejected; the last good policies keep serving');
        }
      },
      failed: (error) => { logger.error({ event: 'policy_source_failed', error: error.message }, 'policy files unreadable; the last good policies keep serving'); },
    });
    await fileSource.start();
  }

  let grpcPort: number;
  let adminPort: number;
  try {
    grpcPort = await grpcServer.listen();
    adminPort = await admin.listen();
  } catch (error) {
    fileSource?.stop();
    keys.close();
    await grpcServer.shutdown(0);
    await admin.close();
    throw error;
  }
  logger.info({ event: 'listening', grpc: replacePort(options.grpcAddress, grpcPort), admin: replacePort(options.adminAddress, adminPort) }, 'audience-guard is listening');

  const kubernetes = options.kubernetes === undefined
    ? undefined
    : (await import('../kubernetes/kubernetes-policies.ts')).startKubernetesPolicies(options.kubernetes, store, keys, logger);

  return {
    grpcPort,
    adminPort,
    store,
    metrics,
    source: fileSource,
    kubernetes,
    async stop(graceMs = 10_000) {
      stopping = true;
      grpcServer.setServing(false);
      fileSource?.stop();
      await kubernetes?.stop();
      const drained = await Promise.race([handler.drained().then(() => true), delay(graceMs).then(() => false)]);
      await grpcServer.shutdown(drained ? 1_000 : 0);
      await admin.close();
      keys.close();
      logger.info({ event: 'stopped', drained }, 'audience-guard stopped');
    },
  };
}

/**
 * Without `--namespace-hosts`, a host goes to the namespace that claims it
 * first: with more than one namespace watched, a team can take a host no other
 * team has claimed yet. Said once at start, for the operator.
 */
function warnWithoutHostRule(options: ServiceOptions, kubernetes: KubernetesOptions, logger: Logger): void {
  const rules = [...(kubernetes.tenantRules?.namespaceHosts ?? []), ...(options.namespaceHosts ?? [])];
  const watched = new Set(kubernetes.namespaces);
  if (rules.length > 0 || watched.size === 1) return;
  logger.warn({ event: 'host_ownership_unset', namespaces: watched.size === 0 ? 'all' : [...watched] },
    'several namespaces are watched and no --namespace-hosts rule is given: a host belongs to the namespace that claims it first');
}

function replacePort(address: string, port: number): string {
  return `${address.slice(0, address.lastIndexOf(':'))}:${port}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
