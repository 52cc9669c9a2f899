// spec.proofOfPossession: the schema's defaults are the ones the decision core
// applies to a policy without the field, and only asymmetric proof algorithms
// can be configured.
import { strict as assert } from 'node:assert';
import { DEFAULT_PROOF_OF_POSSESSION } from '../../../src/core/binding-defaults.ts';
import { validatePolicy } from '../../../src/policy/validate-policy.ts';
import { policyDocument, runtimePolicy } from '../policy-fixtures.ts';

describe('spec.proofOfPossession', () => {
  it('compiles an absent field to the core\'s defaults', () => {
    assert.deepEqual(runtimePolicy().proofOfPossession, DEFAULT_PROOF_OF_POSSESSION);
  });

  it('compiles the given modes, window and algorithms', () => {
    assert.deepEqual(runtimePolicy({ proofOfPossession: { dpop: 'Required', mtls: 'Disabled', proofMaxAgeSeconds: 60, dpopAlgorithms: ['ES256'] } }).proofOfPossession,
      { dpop: 'Required', mtls: 'Disabled', proofMaxAgeSeconds: 60, dpopAlgorithms: ['ES256'] });
  });

  for (const [name, value] of [
    ['an HMAC proof algorithm', { dpopAlgorithms: ['HS256'] }],
    ['alg none', { dpopAlgorithms: ['none'] }],
    ['an unknown mode', { dpop: 'Optional' }],
    ['a window of 0 s', { proofMaxAgeSeconds: 0 }],
    ['an unknown member', { nonce: true }],
  ] as const) {
    it(`refuses ${name}`, () => {
      assert.equal(validatePolicy(policyDocument({ proofOfPossession: value as never })).valid, false);
    });
  }
});
