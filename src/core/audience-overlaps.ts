/**
 * Policies that accept the same audience value: a token issued for one is
 * accepted by the other, which re-opens cross-service replay between them
 * (RFC 8707). Reported on both policies, never enforced.
 */
import type { RuntimePolicy } from './runtime-policy.ts';

export interface AudienceOverlap {
  readonly policy: RuntimePolicy;
  readonly other: RuntimePolicy;
  /** The shared accepted audience, in canonical form. */
  readonly audience: string;
}

/** Every (policy, other) pair sharing an accepted audience, in both directions. */
export function findAudienceOverlaps(policies: readonly RuntimePolicy[]): AudienceOverlap[] {
  const byAudience = new Map<string, RuntimePolicy[]>();
  for (const policy of policies) {
    for (const audience of policy.acceptedAudiences) {
      const holders = byAudience.get(audience);
      if (holders === undefined) byAudience.set(audience, [policy]);
      else holders.push(policy);
    }
  }
  const overlaps: AudienceOverlap[] = [];
  for (const [audience, holders] of byAudience) {
    if (holders.length < 2) continue;
    for (const policy of holders) {
      for (const other of holders) if (other !== policy) overlaps.push({ policy, other, audience });
    }
  }
  return overlaps;
}
