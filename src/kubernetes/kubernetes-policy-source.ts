/**
 * Policies from AudiencePolicy custom resources, watched through the Kubernetes
 * API (docs/contract.md §1.5, without `--policy-file`). One list+watch per
 * watched namespace (or one for all). Every change compiles a new snapshot from
 * the current set. Each object is judged alone
 * (src/kubernetes/last-good-policies.ts): a refused update keeps the object's
 * last accepted version serving, or holds its claims closed, while the others
 * keep working; the reasons are kept for its status. The first snapshot is
 * built only once every namespace has completed its first list, so readiness
 * never reports a partial set. While the API is unreachable, the last snapshot
 * keeps serving.
 */
import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { apiCallFailure } from './api-failure.ts';
import { ListWatch } from './list-watch.ts';
import type { ListResult } from './list-watch-options.ts';
import type { KubernetesObject } from './kubernetes-object.ts';
import { hostPatternCovers } from '../policy/namespace-hosts.ts';
import { API_GROUP, API_VERSION, PLURAL } from '../policy/policy-resource-names.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { DEFAULT_TENANT_RULE_OPTIONS, tenantProblems, type TenantRuleOptions } from '../policy/tenant-rules.ts';
import { validatePolicy, type PolicyValidation } from '../policy/validate-policy.ts';
import type { Backoff } from './backoff.ts';
import { LastGoodPolicies, type ObservedPolicy } from './last-good-policies.ts';

export type { ObservedPolicy, StandIn } from './last-good-policies.ts';

/** API path of the AudiencePolicy collection (of one namespace, or of all). */
function collectionPath(namespace: string | undefined): string {
  return namespace === undefined
    ? `/apis/${API_GROUP}/${API_VERSION}/${PLURAL}`
    : `/apis/${API_GROUP}/${API_VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}`;
}

export interface KubernetesPolicySourceEvents {
  /** After each rebuild: every observed object with its problems (empty when accepted). */
  observed?(policies: readonly ObservedPolicy[]): void;
  /** A list or watch failed; the source retries by itself and keeps the last snapshot. */
  failed?(error: Error, phase: 'list' | 'watch', namespace: string | undefined): void;
}

export interface KubernetesPolicySourceOptions {
  /** Namespaces to watch; empty = all namespaces. */
  readonly namespaces: readonly string[];
  /** Coalesces bursts of events into one rebuild. */
  readonly rebuildDelayMs?: number;
  readonly backoff?: () => Backoff;
  /** The operator's bounds on what a namespace's policy may configure (src/policy/tenant-rules.ts). */
  readonly tenantRules?: TenantRuleOptions;
}

export class KubernetesPolicySource {
  readonly #store: PolicyStore;
  readonly #events: KubernetesPolicySourceEvents;
  readonly #rebuildDelayMs: number;
  readonly #loops: {
    readonly namespace: string | undefined; readonly loop: ListWatch; objects: ReadonlyMap<string, KubernetesObject>;
  }[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #tenantRules: TenantRuleOptions;
  readonly #judge: LastGoodPolicies;
  #firstSync: (() => void) | undefined;
  readonly #synced: Promise<void>;

  constructor(config: KubeConfig, store: PolicyStore, options: KubernetesPolicySourceOptions, events: KubernetesPolicySourceEvents = {}) {
    this.#store = store;
    this.#events = events;
    this.#rebuildDelayMs = options.rebuildDelayMs ?? 20;
    this.#tenantRules = options.tenantRules ?? DEFAULT_TENANT_RULE_OPTIONS;
    this.#judge = new LastGoodPolicies((object) => this.#validate(object), (namespace, host) => this.#mayClaimHost(namespace, host));
    this.#synced = new Promise((resolve) => { this.#firstSync = resolve; });
    const api = config.makeApiClient(CustomObjectsApi);
    const server = config.getCurrentCluster()?.server ?? '';
    const watch = new Watch(config);
    const namespaces = options.namespaces.length === 0 ? [undefined] : [...new Set(options.namespaces)];
    for (const namespace of namespaces) {
      const entry = {
        namespace,
        objects: new Map<string, KubernetesObject>() as ReadonlyMap<string, KubernetesObject>,
        loop: undefined as unknown as ListWatch,
      };
      entry.loop = new ListWatch({
        list: async (): Promise<ListResult> => {
          const body = (namespace === undefined
            ? await api.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: PLURAL })
            : await api.listNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, namespace, plural: PLURAL })
          ) as { items?: KubernetesObject[]; metadata?: { resourceVersion?: string } };
          return { items: body.items ?? [], resourceVersion: body.metadata?.resourceVersion ?? '' };
        },
        watchPath: collectionPath(namespace),
        watch,
        onChange: (objects) => {
          entry.objects = objects;
          this.#scheduleRebuild();
        },
        // One line naming the URL and the HTTP status, not the client's "fetch failed".
        onError: (error, phase) => this.#events.failed?.(
          new Error(apiCallFailure(error, `${server}${collectionPath(namespace)}`), { cause: error }),
          phase,
          namespace,
        ),
        ...(options.backoff === undefined ? {} : { backoff: options.backoff() }),
      });
      this.#loops.push(entry);
    }
  }

  /** Resolves once every list+watch has completed its first list and the first snapshot is in force. */
  get synced(): Promise<void> {
    return this.#synced;
  }

  /** Starts every list+watch; returns `synced`. */
  start(): Promise<void> {
    for (const { loop } of this.#loops) loop.start();
    return this.#synced;
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await Promise.all(this.#loops.map(({ loop }) => loop.stop()));
  }

  /** Rebuilds now (tests and benchmarks call it to skip the coalescing delay). */
  rebuild(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#loops.every(({ loop }) => loop.synced)) return;
    const round = this.#judge.round(this.#loops.flatMap(({ objects }) => [...objects]));
    const standIns = { placeholders: round.placeholders, stale: round.stale };
    const { overLimit, uncompilable } = this.#store.replace(round.documents, round.refused, standIns);
    const tooMany = 'not loaded: there are more policies than --max-policies allows (the oldest are kept)';
    const left = new Map<string, string>(overLimit.map((id) => [id, tooMany]));
    for (const { origin, error } of uncompilable) left.set(origin, `not loaded: could not be compiled (${error})`);
    this.#events.observed?.(left.size === 0 ? round.observed : round.observed.map((entry) => {
      const message = left.get(entry.id);
      return message === undefined ? entry : { ...entry, problems: [...entry.problems, { path: '/', message }] };
    }));
    this.#firstSync?.();
    this.#firstSync = undefined;
  }

  /** The validator's verdict, then the tenant rules for the object's namespace. */
  #validate(object: KubernetesObject): PolicyValidation {
    const validation = validatePolicy(object);
    if (!validation.valid) return validation;
    const problems = tenantProblems(validation.policy, object.metadata?.namespace ?? '', this.#tenantRules);
    return problems.length === 0 ? validation : { valid: false, problems };
  }

  /**
   * Whether a placeholder may hold this host for the namespace: with the
   * operator's host-ownership rule, only hosts its patterns cover; without
   * one, any (the snapshot's rules between namespaces decide).
   */
  #mayClaimHost(namespace: string, host: string): boolean {
    const rules = this.#tenantRules.namespaceHosts;
    if (rules.length === 0) return true;
    return rules.some((rule) => rule.namespace === namespace && rule.patterns.some((pattern) => hostPatternCovers(pattern, host)));
  }

  #scheduleRebuild(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => { this.rebuild(); }, this.#rebuildDelayMs);
  }
}
