// Decision → CheckResponse (docs/contract.md §2.5, §2.7, §2.9, §6.2): a deny is a
// successful RPC with a non-zero status and a complete denied_response; an
// allow strips the client's token; the RFC 9728 document is a local 200.
// That no response echoes the presented token: check-response-token-echo.test.ts.
import { strict as assert } from 'node:assert';
import type { Decision, VerifiedPrincipal } from '../../../src/core/decision.ts';
import { REASON_TABLE, REASONS, type Reason } from '../../../src/core/reasons.ts';
import { checkResponseFor, denyResponse } from '../../../src/envoy/check-response.ts';
import type { CheckResponse, HeaderValueOption } from '../../../src/envoy/proto.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const POLICY = runtimePolicy({ requiredScopes: ['mcp:tools', 'offline_access'], resourceMetadata: { resourceName: 'Weather MCP' } });
const PRINCIPAL: VerifiedPrincipal = { issuer: 'https://idp.example.com/realms/mcp', subject: 'user-1', clientId: 'client-1', audiences: ['https://mcp.example.com/mcp'] };

function deny(reason: Reason, principal?: VerifiedPrincipal): Decision {
  return { kind: 'deny', reason, policy: reason === 'no_policy' ? undefined : POLICY, challengeScopes: POLICY.requiredScopes, tokenSHA256: '0123456789abcdef', principal };
}

function allow(notEnforced?: 'audience_mismatch', upstreamCredential?: { header: string; value: string }): Decision {
  return { kind: 'allow', policy: POLICY, principal: PRINCIPAL, upstreamCredential, notEnforced, tokenSHA256: notEnforced === undefined ? undefined : '0123456789abcdef' };
}

function headerValue(headers: readonly HeaderValueOption[] | undefined, name: string): string | undefined {
  const found = (headers ?? []).filter((option) => option.header?.key?.toLowerCase() === name);
  assert.ok(found.length <= 1, `${name} set more than once`);
  return found[0]?.header?.value;
}

function body(response: CheckResponse): Record<string, unknown> {
  return JSON.parse(response.denied_response?.body ?? 'null') as Record<string, unknown>;
}

describe('CheckResponse mapping', () => {
  describe('every deny', () => {
    for (const reason of REASONS) {
      describe(reason, () => {
        const response = checkResponseFor(deny(reason), 'POST');
        const spec = REASON_TABLE[reason];

        it('is a successful RPC with a non-zero status.code', () => {
          assert.ok((response.status?.code ?? 0) !== 0);
          assert.equal(response.status?.code, spec.grpcCode);
        });

        it('carries a denied_response with the HTTP status of the reason table and no ok_response', () => {
          assert.equal(response.denied_response?.status?.code, spec.httpStatus);
          assert.equal(response.ok_response, undefined);
        });

        it('answers JSON with error and error_description from the table', () => {
          assert.equal(headerValue(response.denied_response?.headers, 'content-type'), 'application/json');
          assert.deepEqual(body(response), { error: spec.bodyError, error_description: spec.description });
        });

        it(spec.retryable ? 'sends retry-after' : 'sends no retry-after', () => {
          const retryAfter = headerValue(response.denied_response?.headers, 'retry-after');
          if (spec.retryable) assert.match(retryAfter ?? '', /^\d+$/);
          else assert.equal(retryAfter, undefined);
        });

        it(spec.challenge === 'none' ? 'sends no WWW-Authenticate' : 'sends a Bearer challenge pointing to the resource metadata', () => {
          const challenge = headerValue(response.denied_response?.headers, 'www-authenticate');
          if (spec.challenge === 'none') {
            assert.equal(challenge, undefined);
          } else {
            assert.ok(challenge !== undefined && challenge.startsWith('Bearer '));
            assert.ok(challenge.includes(`resource_metadata="${POLICY.metadataUrl}"`));
            assert.equal(challenge.includes('offline_access'), false);
          }
        });

        it('sets every header with append {value: false}', () => {
          for (const option of response.denied_response?.headers ?? []) {
            assert.deepEqual(option.append, { value: false });
            assert.equal(option.append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
          }
        });

        it('records the decision in dynamic_metadata with stringValue fields', () => {
          const fields = response.dynamic_metadata?.fields ?? {};
          assert.deepEqual(fields.decision, { stringValue: 'denied' });
          assert.deepEqual(fields.reason, { stringValue: reason });
          for (const value of Object.values(fields)) assert.equal(typeof value.stringValue, 'string');
        });
      });
    }
  });

  describe('challenges', () => {
    it('answers missing_token with 401, resource_metadata and scope but no error', () => {
      const response = checkResponseFor(deny('missing_token'), 'POST');
      assert.equal(response.denied_response?.status?.code, 401);
      const challenge = headerValue(response.denied_response.headers, 'www-authenticate') ?? '';
      assert.ok(challenge.includes('resource_metadata='));
      assert.ok(challenge.includes('scope="mcp:tools"'));
      assert.equal(/\berror=/.test(challenge), false);
    });

    it('answers insufficient_scope with 403 and the scopes in the challenge', () => {
      const response = checkResponseFor(deny('insufficient_scope'), 'POST');
      assert.equal(response.denied_response?.status?.code, 403);
      const challenge = headerValue(response.denied_response.headers, 'www-authenticate') ?? '';
      assert.ok(challenge.includes('error="insufficient_scope"'));
      assert.ok(challenge.includes('scope="mcp:tools"'));
    });

    it('answers no_policy with 403 and no challenge, with no policy in the metadata', () => {
      const response = checkResponseFor(deny('no_policy'), 'POST');
      assert.equal(response.denied_response?.status?.code, 403);
      assert.equal(headerValue(response.denied_response.headers, 'www-authenticate'), undefined);
      assert.equal(response.dynamic_metadata?.fields?.policy, undefined);
    });

    it('carries verified sub and client_id in dynamic_metadata of a deny after the signature verified', () => {
      const fields = checkResponseFor(deny('audience_mismatch', PRINCIPAL), 'POST').dynamic_metadata?.fields ?? {};
      assert.deepEqual(fields.sub, { stringValue: 'user-1' });
      assert.deepEqual(fields.client_id, { stringValue: 'client-1' });
      assert.deepEqual(fields.policy, { stringValue: POLICY.id });
    });

    it('denyResponse answers the same as a deny decision', () => {
      assert.deepEqual(denyResponse('expired', POLICY, POLICY.requiredScopes), checkResponseFor(deny('expired'), 'POST'));
    });
  });

  describe('allow (docs/contract.md §2.7)', () => {
    for (const notEnforced of [undefined, 'audience_mismatch'] as const) {
      const label = notEnforced === undefined ? 'an allow' : 'a Permissive allow';

      it(`${label} has status OK and removes authorization and the access_token query parameter`, () => {
        const response = checkResponseFor(allow(notEnforced), 'POST');
        assert.equal(response.status?.code, 0);
        assert.equal(response.denied_response, undefined);
        assert.ok(response.ok_response?.headers_to_remove?.includes('authorization'));
        assert.ok(response.ok_response?.query_parameters_to_remove?.includes('access_token'));
      });

      it(`${label} never sets an authorization header upstream`, () => {
        const response = checkResponseFor(allow(notEnforced), 'POST');
        for (const option of [...(response.ok_response?.headers ?? []), ...(response.ok_response?.response_headers_to_add ?? [])]) {
          assert.notEqual(option.header?.key?.toLowerCase(), 'authorization');
        }
        for (const parameter of response.ok_response?.query_parameters_to_set ?? []) assert.notEqual(parameter.key, 'access_token');
      });
    }

    it('records policy, decision, sub and client_id as stringValue dynamic metadata', () => {
      const fields = checkResponseFor(allow(), 'POST').dynamic_metadata?.fields ?? {};
      assert.deepEqual(fields.policy, { stringValue: POLICY.id });
      assert.deepEqual(fields.decision, { stringValue: 'allowed' });
      assert.deepEqual(fields.sub, { stringValue: 'user-1' });
      assert.deepEqual(fields.client_id, { stringValue: 'client-1' });
    });

    it('replaces authorization with the upstream token by overwrite only, never also removing it (Envoy removes after it sets)', () => {
      const ok = checkResponseFor(allow(undefined, { header: 'authorization', value: 'Bearer upstream-token' }), 'POST').ok_response;
      assert.ok(ok !== undefined, 'an allow carries an ok_response');
      assert.equal(headerValue(ok.headers, 'authorization'), 'Bearer upstream-token');
      const [option] = ok.headers ?? [];
      assert.deepEqual(option?.append, { value: false });
      assert.equal(option.append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
      assert.deepEqual(ok.headers_to_remove, ['dpop']);
      assert.deepEqual(ok.query_parameters_to_remove, ['access_token']);
    });

    it('sets another upstream header and still removes the client authorization and the DPoP proof', () => {
      const ok = checkResponseFor(allow(undefined, { header: 'x-upstream-authorization', value: 'Bearer upstream-token' }), 'POST').ok_response;
      assert.equal(headerValue(ok?.headers, 'x-upstream-authorization'), 'Bearer upstream-token');
      assert.deepEqual(ok?.headers_to_remove, ['authorization', 'dpop']);
    });

    it('marks a Permissive allow as not enforced in dynamic metadata', () => {
      assert.deepEqual(checkResponseFor(allow('audience_mismatch'), 'POST').dynamic_metadata?.fields?.decision, { stringValue: 'allowed_not_enforced' });
    });

    it('leaves out claims that are absent instead of sending empty values', () => {
      const decision: Decision = { kind: 'allow', policy: POLICY, principal: { ...PRINCIPAL, subject: undefined, clientId: undefined }, upstreamCredential: undefined, notEnforced: undefined, tokenSHA256: undefined };
      const fields = checkResponseFor(decision, 'POST').dynamic_metadata?.fields ?? {};
      assert.equal('sub' in fields, false);
      assert.equal('client_id' in fields, false);
    });
  });

  describe('RFC 9728 metadata (docs/contract.md §2.9)', () => {
    const metadata: Decision = { kind: 'metadata', policy: POLICY };

    it('answers GET with 200, the document as JSON and access-control-allow-origin *', () => {
      const response = checkResponseFor(metadata, 'GET');
      assert.notEqual(response.status?.code, 0, 'Envoy answers locally only for a non-zero code');
      assert.equal(response.denied_response?.status?.code, 200);
      assert.equal(headerValue(response.denied_response.headers, 'content-type'), 'application/json');
      assert.equal(headerValue(response.denied_response.headers, 'access-control-allow-origin'), '*');
      assert.equal(response.denied_response.body, POLICY.metadataDocument);
      const document = body(response);
      assert.equal(document.resource, POLICY.resource);
      assert.equal(document.resource_name, 'Weather MCP');
    });

    it('answers HEAD with the same headers and an empty body', () => {
      const get = checkResponseFor(metadata, 'GET');
      const head = checkResponseFor(metadata, 'HEAD');
      assert.equal(head.denied_response?.status?.code, 200);
      assert.equal(head.denied_response.body, '');
      assert.deepEqual(head.denied_response.headers, get.denied_response?.headers);
    });

    it('sets metadata headers with append {value: false}', () => {
      for (const option of checkResponseFor(metadata, 'GET').denied_response?.headers ?? []) assert.deepEqual(option.append, { value: false });
    });

    it('sends no WWW-Authenticate with the document', () => {
      assert.equal(headerValue(checkResponseFor(metadata, 'GET').denied_response?.headers, 'www-authenticate'), undefined);
    });

    it('records decision metadata in dynamic_metadata', () => {
      assert.deepEqual(checkResponseFor(metadata, 'GET').dynamic_metadata?.fields?.decision, { stringValue: 'metadata' });
    });
  });
});
