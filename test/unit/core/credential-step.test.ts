// decide()'s credential step (docs/contract.md §2.1 steps 3–7, ADR 0008): any
// TokenVerifier can stand there. It is asked only once a policy, a non-metadata
// request and a Bearer token are there; it sees the selected policy, the
// snapshot generation, the request, its extras and the token with its SHA-256;
// its refusal is the decision's reason; and the steps after it judge only the
// VerifiedToken it returns — so another kind of verifier (introspection of an
// opaque token, say) is decided by the same audience and scope rules.
import { strict as assert } from 'node:assert';
import { decide } from '../../../src/core/check-pipeline.ts';
import type { HttpRequestView } from '../../../src/core/http-request.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import type { RequestExtras } from '../../../src/core/request-extras.ts';
import { tokenDigest, tokenSHA256 } from '../../../src/core/token-hash.ts';
import type { PresentedToken, TokenVerification, TokenVerifier, VerificationContext } from '../../../src/core/token-verifier.ts';
import { ISSUER, RESOURCE, runtimePolicy } from '../policy-fixtures.ts';

const OPAQUE = 'opaque-token-value';

/** A verifier that records what it was asked and answers as told. */
class StubVerifier implements TokenVerifier {
  readonly calls: { token: PresentedToken; context: VerificationContext }[] = [];
  answer: (context: VerificationContext) => TokenVerification = () => ({ kind: 'refused', reason: 'unknown_key' });

  verify(token: PresentedToken, context: VerificationContext): Promise<TokenVerification> {
    this.calls.push({ token, context });
    return Promise.resolve(this.answer(context));
  }
}

const policy = runtimePolicy({ requiredScopes: ['mcp:tools'] });
const snapshot = new PolicySnapshot([policy], 7);

function view(overrides: Partial<HttpRequestView> = {}): HttpRequestView {
  return { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization: `Bearer ${OPAQUE}`, policyReference: undefined, ...overrides };
}

function verified(context: VerificationContext, claims: Record<string, unknown>): TokenVerification {
  const issuer = context.policy.issuerList[0]!;
  return { kind: 'verified', header: {}, claims: { iss: ISSUER, ...claims }, issuer, keySetId: issuer.keySetId, expiresAt: 1_700_000_300, verifiedBy: 'signature' };
}

describe('decide(): the credential step is a TokenVerifier', () => {
  it('hands the verifier the selected policy, the snapshot generation, the request, its extras and the token with its SHA-256', async () => {
    const tokens = new StubVerifier();
    const extras: RequestExtras = { clientCertificate: '-----BEGIN CERTIFICATE-----', dpopProof: 'proof' };
    const request = view();
    await decide(request, snapshot, { tokens }, extras);
    assert.equal(tokens.calls.length, 1);
    const [{ token, context }] = tokens.calls as [{ token: PresentedToken; context: VerificationContext }];
    assert.equal(token.value, OPAQUE);
    assert.deepEqual(token.digest, tokenDigest(OPAQUE));
    assert.equal(context.policy, policy);
    assert.equal(context.generation, 7);
    assert.equal(context.request, request);
    assert.equal(context.extras, extras);
  });

  it('is not asked before a policy, a non-metadata request and a Bearer token are there', async () => {
    const tokens = new StubVerifier();
    assert.equal((await decide(view({ host: 'elsewhere.example.com' }), snapshot, { tokens })).kind, 'deny');
    assert.equal((await decide(view({ method: 'GET', path: '/.well-known/oauth-protected-resource/mcp' }), snapshot, { tokens })).kind, 'metadata');
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer a,Bearer b']) await decide(view({ authorization }), snapshot, { tokens });
    assert.equal(tokens.calls.length, 0);
  });

  it('makes its refusal the decision\'s reason, with the token hash and no principal', async () => {
    const tokens = new StubVerifier();
    const decision = await decide(view(), snapshot, { tokens });
    assert.ok(decision.kind === 'deny');
    assert.deepEqual([decision.reason, decision.tokenSHA256, decision.principal], ['unknown_key', tokenSHA256(OPAQUE), undefined]);
  });

  it('judges audience and scopes from the VerifiedToken alone, whatever verified it', async () => {
    const tokens = new StubVerifier();
    tokens.answer = (context) => verified(context, { aud: RESOURCE, scope: 'mcp:tools', sub: 'user-1' });
    const allowed = await decide(view(), snapshot, { tokens });
    assert.ok(allowed.kind === 'allow');
    assert.equal(allowed.principal.subject, 'user-1');
    const cases: [Record<string, unknown>, string][] = [
      [{ aud: 'https://other.example.com/mcp', scope: 'mcp:tools' }, 'audience_mismatch'],
      [{ aud: RESOURCE, scope: 'other' }, 'insufficient_scope'],
      [{ aud: 42, scope: 'mcp:tools' }, 'missing_claim'],
    ];
    for (const [claims, reason] of cases) {
      tokens.answer = (context) => verified(context, claims);
      const decision = await decide(view(), snapshot, { tokens });
      assert.equal(decision.kind === 'deny' ? decision.reason : decision.kind, reason);
    }
  });
});
