/**
 * Writes AudiencePolicy status through the status subresource (merge patch),
 * only from the leader, only when something changed, and never in the way of
 * checks: reconcile() computes and queues; one background loop sends. A failed
 * write is retried on a timer; the newest desired status for a policy replaces
 * any older one still queued.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { KubernetesObject } from './kubernetes-object.ts';
import { API_GROUP, API_VERSION, PLURAL } from '../policy/policy-resource-names.ts';
import { desiredStatus, statusEquals } from './policy-conditions.ts';
import type { PolicyObservation, PolicyStatus } from './policy-status.ts';
import { namespacedName } from '../core/namespaced-name.ts';

export interface StatusTarget {
  readonly object: KubernetesObject;
  readonly observation: PolicyObservation;
}

export interface StatusWriterEvents {
  written?(id: string, status: PolicyStatus): void;
  failed?(id: string, error: Error): void;
}

export class StatusWriter {
  readonly #api: CustomObjectsApi;
  readonly #events: StatusWriterEvents;
  readonly #isLeader: () => boolean;
  readonly #retryMs: number;
  readonly #pending = new Map<string, { namespace: string; name: string; status: PolicyStatus }>();
  /** What we last wrote per policy, so a watch event that lags behind our own write does not trigger a rewrite. */
  readonly #written = new Map<string, PolicyStatus>();
  #sending: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(config: KubeConfig, isLeader: () => boolean, events: StatusWriterEvents = {}, retryMs = 5_000) {
    this.#api = config.makeApiClient(CustomObjectsApi);
    this.#isLeader = isLeader;
    this.#events = events;
    this.#retryMs = retryMs;
  }

  /** Queues a write for every target whose status would change. Returns at once. */
  reconcile(targets: readonly StatusTarget[], now = new Date()): void {
    if (!this.#isLeader() || this.#closed) return;
    for (const { object, observation } of targets) {
      const namespace = object.metadata?.namespace;
      const name = object.metadata?.name;
      if (namespace === undefined || name === undefined) continue;
      const id = namespacedName(namespace, name);
      const current = (object.status as PolicyStatus | undefined) ?? this.#written.get(id);
      const desired = desiredStatus(observation, current, now);
      if (statusEquals(object.status, desired) || statusEquals(this.#written.get(id), desired)) {
        this.#pending.delete(id);
        continue;
      }
      this.#pending.set(id, { namespace, name, status: desired });
    }
    this.#kick();
  }

  /** Resolves when the queue is empty (tests). */
  async idle(): Promise<void> {
    while (this.#sending !== undefined) await this.#sending;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#pending.clear();
  }

  #kick(): void {
    if (this.#sending !== undefined || this.#pending.size === 0) return;
    this.#sending = this.#drain().finally(() => {
      this.#sending = undefined;
      if (this.#pending.size > 0 && !this.#closed && this.#retryTimer === undefined) {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#kick();
        }, this.#retryMs);
        this.#retryTimer.unref();
      }
    });
  }

  async #drain(): Promise<void> {
    const failedNow = new Set<string>();
    for (;;) {
      const next = [...this.#pending.entries()].find(([id]) => !failedNow.has(id));
      if (next === undefined || this.#closed || !this.#isLeader()) return;
      const [id, { namespace, name, status }] = next;
      this.#pending.delete(id);
      try {
        await this.#api.patchNamespacedCustomObjectStatus(
          // null clears a servingGeneration written earlier (RFC 7386: a merge patch keeps absent fields).
          {
            group: API_GROUP, version: API_VERSION, namespace, plural: PLURAL, name,
            body: { status: { ...status, servingGeneration: status.servingGeneration ?? null } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        this.#written.set(id, status);
        this.#events.written?.(id, status);
      } catch (error) {
        failedNow.add(id);
        if (!this.#pending.has(id)) this.#pending.set(id, { namespace, name, status });
        this.#events.failed?.(id, error as Error);
      }
    }
  }
}
