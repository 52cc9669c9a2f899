/**
 * `spec.proofOfPossession` when a policy carries none (hand-built policies;
 * compiled ones always carry it, with the schema's defaults). Kept in step
 * with src/policy/pop-schema.ts by test/unit/policy/pop-schema.test.ts.
 */
import type { RuntimePolicy, RuntimeProofOfPossession } from './runtime-policy.ts';

export const DEFAULT_PROOF_OF_POSSESSION: RuntimeProofOfPossession = Object.freeze({
  dpop: 'Allowed',
  mtls: 'Allowed',
  proofMaxAgeSeconds: 300,
  dpopAlgorithms: undefined,
});

export function proofOfPossessionOf(policy: RuntimePolicy): RuntimeProofOfPossession {
  return policy.proofOfPossession ?? DEFAULT_PROOF_OF_POSSESSION;
}

/** The proof algorithms a policy accepts: its `dpopAlgorithms`, else every algorithm of its issuers. */
export function acceptedProofAlgorithms(policy: RuntimePolicy): readonly string[] {
  const listed = proofOfPossessionOf(policy).dpopAlgorithms;
  return listed ?? [...new Set(policy.issuerList.flatMap((issuer) => issuer.algorithms))];
}
