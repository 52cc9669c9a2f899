/**
 * What the binding step (src/core/binding-step.ts) needs from outside: the
 * DPoP replay cache and the nonce source are state, so they live at the edge
 * (src/dpop/) and come in through these interfaces, with the clock.
 */

/** `fresh`: recorded now; `replayed`: already live; `full`: no room without evicting a live entry (never done). */
export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

/** One replica's memory of the DPoP proofs it accepted (RFC 9449 §11.1). */
export interface DpopReplayCache {
  /**
   * Records `key` (a fixed-size digest of the proof's key and `jti`) until
   * `until`, seconds since the epoch: after that the proof is too old to be
   * accepted anyway, so the entry may go.
   */
  remember(key: string, until: number): ReplayVerdict;
}

/** Server-provided DPoP nonces (RFC 9449 §9), the same on every replica. */
export interface DpopNonces {
  /** Whether `nonce` belongs to the current or the previous time slot. */
  accepts(nonce: string): boolean;
  /** The nonce of the current slot: the `DPoP-Nonce` header of a `use_dpop_nonce` answer. */
  current(): string;
}

export interface BindingEnvironment {
  readonly replay: DpopReplayCache;
  /** Seconds since the epoch. */
  readonly now: () => number;
  /** Absent: proofs need no nonce. */
  readonly nonces?: DpopNonces | undefined;
}
