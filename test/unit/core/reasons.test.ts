// Deny reasons are a closed set with one table (docs/contract.md §2.5 and §3.1):
// every reason maps to a non-zero gRPC code, the HTTP status of docs/contract.md
// §2.5, a challenge kind and a fixed description that is safe in a quoted-string.
import { strict as assert } from 'node:assert';
import { REASON_TABLE, REASONS, type Reason } from '../../../src/core/reasons.ts';

// docs/contract.md §3.1, copied here so that a change to the closed set is a
// deliberate test change.
const CONTRACT_REASONS = [
  'missing_token', 'invalid_request', 'malformed_token', 'token_too_large', 'unsupported_token_type',
  'disallowed_algorithm', 'unknown_issuer', 'unknown_key', 'invalid_signature', 'expired', 'not_yet_valid',
  'missing_claim', 'id_token_presented', 'audience_mismatch', 'insufficient_scope', 'keys_unavailable',
  'upstream_token_unavailable', 'no_policy', 'timeout', 'internal_error',
  // Multi-tenant safety: path spellings and policies without an accepted version.
  'ambiguous_path', 'policy_unavailable',
  // Per-tool scopes, sender-constrained and opaque tokens, the HTTP front end.
  'unreadable_mcp_request', 'invalid_dpop_proof', 'dpop_replayed', 'dpop_required', 'dpop_nonce_required', 'dpop_unavailable', 'token_binding_mismatch',
  'introspection_unavailable', 'untrusted_peer',
];

const TOKEN_FAILURES: readonly Reason[] = [
  'malformed_token', 'token_too_large', 'unsupported_token_type', 'disallowed_algorithm', 'unknown_issuer',
  'unknown_key', 'invalid_signature', 'expired', 'not_yet_valid', 'missing_claim', 'id_token_presented', 'audience_mismatch',
];

const RFC6750_ERRORS = new Set(['invalid_request', 'invalid_token', 'insufficient_scope']);

describe('deny reasons (docs/contract.md §3.1)', () => {
  it('is exactly the closed set of docs/contract.md §3.1', () => {
    assert.deepEqual([...REASONS].sort(), [...CONTRACT_REASONS].sort());
    assert.equal(new Set(REASONS).size, REASONS.length);
  });

  it('has a table entry for every reason and no other', () => {
    assert.deepEqual(Object.keys(REASON_TABLE).sort(), [...REASONS].sort());
  });

  for (const reason of REASONS) {
    describe(reason, () => {
      const spec = REASON_TABLE[reason];

      it('denies with a non-zero gRPC status code', () => {
        assert.ok(Number.isInteger(spec.grpcCode) && spec.grpcCode > 0 && spec.grpcCode <= 16);
      });

      it('has a description of printable ASCII without " or \\', () => {
        assert.match(spec.description, /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
      });

      it('has a body error that is a plain OAuth-style code', () => {
        assert.match(spec.bodyError, /^[a-z_]+$/);
      });
    });
  }

  it('gives every reason its own description', () => {
    const descriptions = REASONS.map((reason) => REASON_TABLE[reason].description);
    assert.equal(new Set(descriptions).size, descriptions.length);
  });

  it('answers no credentials with 401 and a challenge without error', () => {
    assert.equal(REASON_TABLE.missing_token.httpStatus, 401);
    assert.equal(REASON_TABLE.missing_token.challenge, 'no_error');
  });

  it('answers a malformed request with 400 invalid_request', () => {
    assert.equal(REASON_TABLE.invalid_request.httpStatus, 400);
    assert.equal(REASON_TABLE.invalid_request.challenge, 'invalid_request');
    assert.equal(REASON_TABLE.invalid_request.bodyError, 'invalid_request');
  });

  for (const reason of TOKEN_FAILURES) {
    it(`answers the token failure ${reason} with 401 invalid_token`, () => {
      assert.equal(REASON_TABLE[reason].httpStatus, 401);
      assert.equal(REASON_TABLE[reason].challenge, 'invalid_token');
      assert.equal(REASON_TABLE[reason].bodyError, 'invalid_token');
      assert.equal(REASON_TABLE[reason].retryable, false);
    });
  }

  it('answers missing scopes with 403 insufficient_scope', () => {
    assert.equal(REASON_TABLE.insufficient_scope.httpStatus, 403);
    assert.equal(REASON_TABLE.insufficient_scope.challenge, 'insufficient_scope');
    assert.equal(REASON_TABLE.insufficient_scope.bodyError, 'insufficient_scope');
  });

  for (const reason of ['keys_unavailable', 'timeout', 'upstream_token_unavailable'] as const) {
    it(`answers ${reason} with 503, no challenge and a retry-after`, () => {
      assert.equal(REASON_TABLE[reason].httpStatus, 503);
      assert.equal(REASON_TABLE[reason].challenge, 'none');
      assert.equal(REASON_TABLE[reason].retryable, true);
    });
  }

  it('answers no_policy with 403 and no challenge', () => {
    assert.equal(REASON_TABLE.no_policy.httpStatus, 403);
    assert.equal(REASON_TABLE.no_policy.challenge, 'none');
  });

  it('only the 503 reasons are retryable', () => {
    for (const reason of REASONS) assert.equal(REASON_TABLE[reason].retryable, REASON_TABLE[reason].httpStatus === 503, reason);
  });

  it('uses an RFC 6750 error code in the body exactly when there is an error challenge', () => {
    for (const reason of REASONS) {
      const spec = REASON_TABLE[reason];
      const hasErrorChallenge = spec.challenge !== 'none' && spec.challenge !== 'no_error';
      if (hasErrorChallenge) assert.equal(spec.bodyError, spec.challenge, reason);
      else assert.equal(RFC6750_ERRORS.has(spec.bodyError), false, reason);
    }
  });

  it('maps 401 to UNAUTHENTICATED, 403 to PERMISSION_DENIED, 400 to INVALID_ARGUMENT and 503 to UNAVAILABLE', () => {
    const expected: Readonly<Record<number, number>> = { 400: 3, 401: 16, 403: 7, 500: 13, 503: 14 };
    for (const reason of REASONS) assert.equal(REASON_TABLE[reason].grpcCode, expected[REASON_TABLE[reason].httpStatus], reason);
  });

  it('is frozen', () => {
    assert.equal(Object.isFrozen(REASON_TABLE), true);
  });
});
