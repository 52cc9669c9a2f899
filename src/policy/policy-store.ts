/**
 * Holds the snapshot that checks read, and builds the next one whenever a
 * policy source reports its full set of policies. The swap is a single
 * assignment: a request sees the old snapshot or the new one, never a mix.
 */
import { compilePolicy } from './compile-policy.ts';
import type { ParsedPolicyDocument } from './policy-documents.ts';
import { PolicySnapshot, type PolicySnapshotOptions } from '../core/policy-snapshot.ts';
import type { RuntimePolicy } from '../core/runtime-policy.ts';

export interface PolicyUpdate {
  readonly snapshot: PolicySnapshot;
  /** Documents the source had to reject in this round (they are not in the snapshot). */
  readonly rejected: number;
  /** Origins of valid documents left out because there were more than `maxPolicies` (the youngest go). */
  readonly overLimit: readonly string[];
  /** Valid documents that still failed to compile, left out alone (a defect guard: never expected). */
  readonly uncompilable: readonly { readonly origin: string; readonly error: string }[];
  /** Origins whose document is the last accepted version of an object whose latest one was refused. */
  readonly stale: readonly string[];
}

export type PolicyUpdateListener = (update: PolicyUpdate) => void;

/** A validated document and its place in "the oldest wins" (creation time, then load order). */
export type AgedPolicyDocument = ParsedPolicyDocument & {
  readonly createdAt: number;
  readonly loadOrder?: number;
  /** The object's identity (Kubernetes uid, or the file load it appeared in); see RuntimePolicy.identity. */
  readonly identity?: string | undefined;
};

/** What stands in for refused objects (Kubernetes mode: one object is refused alone). */
export interface RefusedStandIns {
  /**
   * Placeholders holding refused objects' claims (src/policy/unavailable-policy.ts); routed like
   * policies, not counted against `maxPolicies`.
   */
  readonly placeholders?: readonly RuntimePolicy[];
  /** Origins among the documents that are an object's last accepted version, its latest having been refused. */
  readonly stale?: readonly string[];
}

export class PolicyStore {
  readonly #maxPolicies: number;
  readonly #snapshotOptions: PolicySnapshotOptions;
  #snapshot = new PolicySnapshot([], 0);
  #loaded = false;
  readonly #listeners: PolicyUpdateListener[] = [];
  /** Compiled forms by document object: a source that hands over the same object again skips compiling it. */
  #compiled = new WeakMap<object, { readonly key: string; readonly policy: RuntimePolicy }>();

  /**
   * `maxPolicies` bounds the snapshot (`--max-policies`): memory and rebuild time stay bounded.
   * `namespaceOwnsHosts` is passed to every snapshot (Kubernetes mode: a host belongs to one namespace).
   */
  constructor(options: { readonly maxPolicies?: number } & PolicySnapshotOptions = {}) {
    this.#maxPolicies = options.maxPolicies ?? Number.POSITIVE_INFINITY;
    this.#snapshotOptions = { namespaceOwnsHosts: options.namespaceOwnsHosts === true };
  }

  /** The snapshot in force. */
  current(): PolicySnapshot {
    return this.#snapshot;
  }

  /** True once a source has delivered its first complete set. */
  loaded(): boolean {
    return this.#loaded;
  }

  onUpdate(listener: PolicyUpdateListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Replaces every policy with `documents` (already validated). `createdAt`
   * gives each document's age for conflict resolution; `loadOrder` (default:
   * its list position) breaks ties, and then the policy id. `standIns` adds
   * placeholders for refused objects to the routing and names the documents
   * that are an older accepted version (the policies gauge reports them).
   */
  replace(documents: readonly AgedPolicyDocument[], rejected: number, standIns: RefusedStandIns = {}): PolicyUpdate {
    const aged = documents.map((entry, index) => ({
      entry, context: { createdAt: entry.createdAt, loadOrder: entry.loadOrder ?? index, identity: entry.identity },
    }));
    let kept = aged;
    let overLimit: string[] = [];
    if (aged.length > this.#maxPolicies) {
      // The oldest policies stay in force; the youngest beyond the limit are left out.
      const ordered = [...aged].sort((a, b) => a.context.createdAt - b.context.createdAt
        || a.context.loadOrder - b.context.loadOrder
        || a.entry.origin.localeCompare(b.entry.origin));
      kept = ordered.slice(0, this.#maxPolicies);
      overLimit = ordered.slice(this.#maxPolicies).map(({ entry }) => entry.origin);
    }
    const uncompilable: { origin: string; error: string }[] = [];
    const compiled: RuntimePolicy[] = [];
    for (const { entry, context } of kept) {
      const key = `${String(context.createdAt)} ${String(context.loadOrder)} ${context.identity ?? ''}`;
      const cached = this.#compiled.get(entry.document);
      if (cached?.key === key) {
        compiled.push(cached.policy);
        continue;
      }
      try {
        const policy = compilePolicy(entry.document, context);
        this.#compiled.set(entry.document, { key, policy });
        compiled.push(policy);
      } catch (error) {
        // One policy must never take the others down with it.
        uncompilable.push({ origin: entry.origin, error: (error as Error).message });
      }
    }
    const routed = [...compiled, ...(standIns.placeholders ?? [])];
    const snapshot = new PolicySnapshot(routed, this.#snapshot.generation + 1, this.#snapshotOptions);
    this.#snapshot = snapshot;
    this.#loaded = true;
    const update: PolicyUpdate = {
      snapshot, rejected: rejected + overLimit.length + uncompilable.length, overLimit, uncompilable, stale: standIns.stale ?? [],
    };
    for (const listener of this.#listeners) listener(update);
    return update;
  }
}
