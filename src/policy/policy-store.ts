/**
 * Holds the snapshot that checks read, and builds the next one whenever a
 * policy source reports its full set of policies. The swap is a single
 * assignment: a request sees the old snapshot or the new one, never a mix.
 */
import { compilePolicy } from './compile-policy.ts';
import type { ParsedPolicyDocument } from './policy-documents.ts';
import { PolicySnapshot } from './policy-snapshot.ts';

export interface PolicyUpdate {
  readonly snapshot: PolicySnapshot;
  /** Documents the source had to reject in this round (they are not in the snapshot). */
  readonly rejected: number;
}

export type PolicyUpdateListener = (update: PolicyUpdate) => void;

export class PolicyStore {
  #snapshot = new PolicySnapshot([], 0);
  #loaded = false;
  readonly #listeners: PolicyUpdateListener[] = [];

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
   * gives each document's age for conflict resolution; its list position breaks ties.
   */
  replace(documents: readonly (ParsedPolicyDocument & { readonly createdAt: number })[], rejected: number): PolicySnapshot {
    const compiled = documents.map((entry, loadOrder) => compilePolicy(entry.document, { createdAt: entry.createdAt, loadOrder }));
    const snapshot = new PolicySnapshot(compiled, this.#snapshot.generation + 1);
    this.#snapshot = snapshot;
    this.#loaded = true;
    for (const listener of this.#listeners) listener({ snapshot, rejected });
    return snapshot;
  }
}
