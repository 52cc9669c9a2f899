/**
 * Policies from AudiencePolicy custom resources, watched through the
 * Kubernetes API (SPEC.md 1.1 without `--policy-file`). One list+watch per
 * watched namespace (or one for all). Every change compiles a new snapshot
 * from the current set; an invalid object is left out alone while the others
 * keep working, and the reasons are kept for its status. The first snapshot is
 * built only once every namespace has completed its first list, so readiness
 * never reports a partial set. While the API is unreachable, the last
 * snapshot keeps serving.
 */
import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { ListWatch, type ListResult } from '../kubernetes/list-watch.ts';
import type { KubernetesObject } from '../kubernetes/kubernetes-object.ts';
import { API_GROUP, API_VERSION } from '../policy/policy-schema.ts';
import type { AgedPolicyDocument, PolicyStore } from '../policy/policy-store.ts';
import { DEFAULT_TENANT_RULE_OPTIONS, tenantProblems, type TenantRuleOptions } from '../policy/tenant-rules.ts';
import { validatePolicy, type PolicyProblem, type PolicyValidation } from '../policy/validate-policy.ts';
import type { Backoff } from '../kubernetes/backoff.ts';

export const PLURAL = 'audiencepolicies';

/** An object as last seen, with the verdict of the validator. */
export interface ObservedPolicy {
  readonly object: KubernetesObject;
  readonly id: string;
  readonly problems: readonly PolicyProblem[];
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

function createdAt(object: KubernetesObject): number {
  const stamp = object.metadata?.creationTimestamp;
  const time = stamp instanceof Date ? stamp.getTime() : typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
  return Number.isNaN(time) ? 0 : time;
}

export class KubernetesPolicySource {
  readonly #store: PolicyStore;
  readonly #events: KubernetesPolicySourceEvents;
  readonly #rebuildDelayMs: number;
  readonly #loops: { readonly namespace: string | undefined; readonly loop: ListWatch; objects: ReadonlyMap<string, KubernetesObject> }[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Validation results by object, reused while its resourceVersion is unchanged. */
  #validations = new Map<string, { readonly resourceVersion: string | undefined; readonly validation: PolicyValidation }>();
  readonly #tenantRules: TenantRuleOptions;
  #firstSync: (() => void) | undefined;
  readonly #synced: Promise<void>;

  constructor(config: KubeConfig, store: PolicyStore, options: KubernetesPolicySourceOptions, events: KubernetesPolicySourceEvents = {}) {
    this.#store = store;
    this.#events = events;
    this.#rebuildDelayMs = options.rebuildDelayMs ?? 20;
    this.#tenantRules = options.tenantRules ?? DEFAULT_TENANT_RULE_OPTIONS;
    this.#synced = new Promise((resolve) => { this.#firstSync = resolve; });
    const api = config.makeApiClient(CustomObjectsApi);
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
            : await api.listNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, namespace, plural: PLURAL })) as { items?: KubernetesObject[]; metadata?: { resourceVersion?: string } };
          return { items: body.items ?? [], resourceVersion: body.metadata?.resourceVersion ?? '' };
        },
        watchPath: namespace === undefined
          ? `/apis/${API_GROUP}/${API_VERSION}/${PLURAL}`
          : `/apis/${API_GROUP}/${API_VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}`,
        watch,
        onChange: (objects) => {
          entry.objects = objects;
          this.#scheduleRebuild();
        },
        onError: (error, phase) => this.#events.failed?.(error, phase, namespace),
        ...(options.backoff === undefined ? {} : { backoff: options.backoff() }),
      });
      this.#loops.push(entry);
    }
  }

  /** Starts every list+watch; resolves once all have completed their first list and the first snapshot is in force. */
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
    const observed: ObservedPolicy[] = [];
    const accepted: AgedPolicyDocument[] = [];
    const validations = new Map<string, { readonly resourceVersion: string | undefined; readonly validation: PolicyValidation }>();
    for (const { objects } of this.#loops) {
      for (const [id, object] of objects) {
        const resourceVersion = object.metadata?.resourceVersion;
        const cached = this.#validations.get(id);
        const validation = cached !== undefined && resourceVersion !== undefined && cached.resourceVersion === resourceVersion ? cached.validation : this.#validate(object);
        validations.set(id, { resourceVersion, validation });
        if (validation.valid) {
          // Ties in creation time go to the policy id (no load order here), so an
          // unchanged object keeps its compiled form across rebuilds.
          accepted.push({ origin: id, document: validation.policy, createdAt: createdAt(object), loadOrder: 0, identity: object.metadata?.uid });
          observed.push({ object, id, problems: [] });
        } else {
          observed.push({ object, id, problems: validation.problems });
        }
      }
    }
    this.#validations = validations;
    const { overLimit, uncompilable } = this.#store.replace(accepted, observed.length - accepted.length);
    const left = new Map<string, string>(overLimit.map((id) => [id, 'not loaded: there are more policies than --max-policies allows (the oldest are kept)']));
    for (const { origin, error } of uncompilable) left.set(origin, `not loaded: could not be compiled (${error})`);
    this.#events.observed?.(left.size === 0 ? observed : observed.map((entry) => {
      const message = left.get(entry.id);
      return message === undefined ? entry : { ...entry, problems: [{ path: '/', message }] };
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

  #scheduleRebuild(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => { this.rebuild(); }, this.#rebuildDelayMs);
  }
}
