/**
 * The shapes of a policy's status (its conditions and generations) and of the
 * observation it is derived from (src/kubernetes/policy-conditions.ts).
 */
export type ConditionType = 'Accepted' | 'Ready' | 'Conflicted' | 'AudienceOverlap';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly observedGeneration: number;
  readonly lastTransitionTime: string;
  readonly reason: string;
  readonly message: string;
}

export interface PolicyStatus {
  readonly observedGeneration: number;
  /** Absent when no generation of the object decides requests. */
  readonly servingGeneration?: number;
  readonly conditions: readonly Condition[];
}

export interface IssuerKeyState {
  readonly issuer: string;
  readonly state: 'ready' | 'loading' | 'failed';
  /** Why the last fetch failed (never secret). */
  readonly error: string | undefined;
}

export interface PolicyObservation {
  readonly generation: number;
  /** The generation deciding requests: `generation`, an older accepted one, or undefined when none does. */
  readonly servingGeneration: number | undefined;
  /** No accepted generation: its claims are held and denied 503 `policy_unavailable`. */
  readonly unavailable: boolean;
  /** Validation problems; empty when accepted. */
  readonly problems: readonly { readonly path: string; readonly message: string; readonly reason?: string }[];
  /**
   * Set when an older policy wins this policy's host and path claims. `winner`
   * is the winner's id when it is in the same namespace, undefined otherwise;
   * `pathPrefix` is undefined when another namespace owns the whole host.
   */
  readonly conflicts: readonly { readonly winner: string | undefined; readonly host: string; readonly pathPrefix: string | undefined }[];
  /** `other` as `winner` above: undefined for a policy of another namespace. */
  readonly overlaps: readonly { readonly other: string | undefined; readonly audience: string }[];
  readonly keys: readonly IssuerKeyState[];
}
