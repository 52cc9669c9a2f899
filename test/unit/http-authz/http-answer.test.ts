// A decision as a forward-auth HTTP answer (src/http-authz/http-answer.ts): the
// deny and the metadata document exactly as the gRPC front end's local reply,
// an allow as 200 with no body, the client's credentials named for removal and
// the upstream credential as a header for the proxy to copy.
import { strict as assert } from 'node:assert';
import type { Decision } from '../../../src/core/decision.ts';
import { REASONS } from '../../../src/core/reasons.ts';
import { checkResponseFor } from '../../../src/envoy/check-response.ts';
import { failedAnswer, HEADERS_TO_REMOVE, httpAnswerFor } from '../../../src/http-authz/http-answer.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const POLICY = runtimePolicy({ requiredScopes: ['mcp:tools'] });
const PRINCIPAL = { issuer: 'https://idp.example.com', subject: 'user-1', clientId: 'c', audiences: ['https://mcp.example.com/mcp'] };

function allow(upstreamCredential?: { header: string; value: string }): Decision {
  return { kind: 'allow', policy: POLICY, principal: PRINCIPAL, upstreamCredential, notEnforced: undefined, tokenSHA256: undefined };
}

describe('forward-auth answers', () => {
  it('answers an allow with 200, no body, and authorization and dpop named for removal', () => {
    assert.deepEqual(httpAnswerFor(allow(), 'POST'), { status: 200, headers: { [HEADERS_TO_REMOVE]: 'authorization, dpop' }, body: '' });
  });

  it('attack: an upstream credential that replaces authorization must not be named for removal too (Envoy removes after it sets)', () => {
    const answer = httpAnswerFor(allow({ header: 'authorization', value: 'Bearer upstream' }), 'POST');
    assert.equal(answer.headers.authorization, 'Bearer upstream', 'for the proxy to copy to the upstream request');
    assert.equal(answer.headers[HEADERS_TO_REMOVE], 'dpop');
  });

  it('passes an upstream credential in another header, and still removes the client\'s authorization', () => {
    const answer = httpAnswerFor(allow({ header: 'x-upstream-token', value: 'Bearer upstream' }), 'POST');
    assert.equal(answer.headers['x-upstream-token'], 'Bearer upstream');
    assert.equal(answer.headers[HEADERS_TO_REMOVE], 'authorization, dpop');
  });

  it('answers every deny with the status, headers and body of the gRPC deny', () => {
    for (const reason of REASONS) {
      for (const policy of [POLICY, undefined]) {
        const decision: Decision = { kind: 'deny', reason, policy, challengeScopes: policy?.requiredScopes ?? [], tokenSHA256: undefined, principal: undefined };
        const grpc = checkResponseFor(decision, 'POST').denied_response;
        const answer = httpAnswerFor(decision, 'POST');
        assert.equal(answer.status, grpc?.status?.code, reason);
        assert.deepEqual(answer.headers, Object.fromEntries((grpc?.headers ?? []).map((option) => [option.header?.key, option.header?.value])), reason);
        assert.equal(answer.body, grpc?.body, reason);
        assert.equal(answer.headers[HEADERS_TO_REMOVE], undefined, 'a deny lets nothing through');
      }
    }
  });

  it('answers a metadata request with 200 and the RFC 9728 document, HEAD without the body', () => {
    const get = httpAnswerFor({ kind: 'metadata', policy: POLICY }, 'GET');
    assert.equal(get.status, 200);
    assert.equal(get.body, POLICY.metadataDocument);
    assert.equal(get.headers['content-type'], 'application/json');
    assert.equal(get.headers[HEADERS_TO_REMOVE], undefined, 'answered here, not passed on as an allow');
    assert.equal(httpAnswerFor({ kind: 'metadata', policy: POLICY }, 'HEAD').body, '');
  });

  it('fails closed with a complete 500 internal_error deny', () => {
    const answer = failedAnswer();
    assert.equal(answer.status, 500);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.equal((JSON.parse(answer.body) as { error: string }).error, 'server_error');
  });
});
