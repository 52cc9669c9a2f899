/**
 * The one interface the service drives, wherever the policies come from (the
 * operator's files, or AudiencePolicy objects through the Kubernetes API) — as
 * Envoy Gateway drives its file and Kubernetes providers alike.
 *
 * A source delivers every complete set to the `PolicyStore` it is given (the
 * store swaps the snapshot and tells the service); through `PolicySourceEvents`
 * it reports what never reaches the store. What it logs about its own inputs
 * (a file's problems, an object's problems, an API failure) it logs itself.
 */
import type { IssuerKeyStore } from '../keys/issuer-key-store.ts';
import type { Logger } from '../obs/logger.ts';
import type { PolicyStore } from '../policy/policy-store.ts';

/**
 * When the first load happens, relative to the listeners:
 *   before-listening  the first load must succeed before anything listens; when it
 *                     fails, `start()` rejects and the service starts nothing (the
 *                     operator's files: a bad one is a start-up error).
 *   while-serving     the listeners start first (probes must answer) and health
 *                     turns SERVING with the first complete load; `start()` never
 *                     rejects, the source retries by itself (the Kubernetes API).
 */
export type FirstLoad = 'before-listening' | 'while-serving';

export interface PolicySource {
  readonly firstLoad: FirstLoad;
  /** Starts reading and watching; resolves once the first complete load is in force. Called once. */
  start(): Promise<void>;
  /** Stops watching (safe before `start()`); the policies in force stay in the store. */
  stop(): Promise<void>;
}

/** What a source reports to the service besides its store updates; the same shape from every source. */
export interface PolicySourceEvents {
  /**
   * Documents refused that put nothing into the snapshot, now `count` (the
   * policies gauge's `rejected`). A source whose refusals keep the last good
   * set whole reports them here; one that hands its refusals to
   * `PolicyStore.replace` need not.
   */
  rejected(count: number): void;
}

/** What the service hands a source when it creates it. */
export interface PolicySourceContext {
  readonly store: PolicyStore;
  /** The issuer keys, for sources that report key state (Kubernetes status). */
  readonly keys: IssuerKeyStore;
  readonly logger: Logger;
  readonly events: PolicySourceEvents;
}
