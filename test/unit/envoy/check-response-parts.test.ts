// Response parts that repeat (the allow's removals, a policy's deny for a
// reason) are built once and frozen, so the encoder can reuse their bytes —
// and a part is never shared across different inputs.
import { strict as assert } from 'node:assert';
import type { Decision } from '../../../src/core/decision.ts';
import { checkResponseFor, denyResponse } from '../../../src/envoy/check-response.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const WEATHER = runtimePolicy({ requiredScopes: ['mcp:tools'] }, { name: 'weather' });
const CALENDAR = runtimePolicy({ resource: 'https://calendar.example.com/mcp' }, { name: 'calendar' });
const PRINCIPAL = { issuer: 'https://idp.example.com', subject: 'user-1', clientId: 'mcp-client', audiences: [] };

describe('shared response parts', () => {
  it('must reuse one frozen denied_response and status for the same policy and reason', () => {
    const first = denyResponse('expired', WEATHER, WEATHER.requiredScopes, PRINCIPAL);
    const second = denyResponse('expired', WEATHER, WEATHER.requiredScopes, { subject: 'user-2', clientId: 'other' });
    assert.equal(first.denied_response, second.denied_response);
    assert.equal(first.status, second.status);
    assert.ok(Object.isFrozen(first.denied_response) && Object.isFrozen(first.denied_response?.headers?.[0]?.header));
    assert.notEqual(first.dynamic_metadata, second.dynamic_metadata, 'the per-request metadata is built per request');
  });

  it('must not share a deny part across policies, reasons or other challenge scopes', () => {
    const base = denyResponse('expired', WEATHER, WEATHER.requiredScopes);
    assert.notEqual(denyResponse('expired', CALENDAR, CALENDAR.requiredScopes).denied_response, base.denied_response);
    assert.notEqual(denyResponse('audience_mismatch', WEATHER, WEATHER.requiredScopes).denied_response, base.denied_response);
    const otherScopes = denyResponse('missing_token', WEATHER, ['mcp:admin']);
    assert.match(otherScopes.denied_response?.headers?.find((option) => option.header?.key === 'www-authenticate')?.header?.value ?? '', /scope="mcp:admin"/);
    assert.match(denyResponse('missing_token', WEATHER, WEATHER.requiredScopes).denied_response?.headers?.find((option) => option.header?.key === 'www-authenticate')?.header?.value ?? '', /scope="mcp:tools"/);
  });

  it('treats every empty scope list alike (no challenge scopes)', () => {
    assert.equal(denyResponse('no_policy', undefined, []).denied_response, denyResponse('no_policy', undefined, []).denied_response);
  });

  it('must reuse one frozen ok_response for allows without an upstream credential', () => {
    const allow: Decision = { kind: 'allow', policy: WEATHER, principal: PRINCIPAL, notEnforced: undefined, tokenSHA256: undefined, upstreamCredential: undefined };
    const first = checkResponseFor(allow, 'POST');
    assert.equal(first.ok_response, checkResponseFor(allow, 'POST').ok_response);
    assert.ok(Object.isFrozen(first.ok_response?.headers_to_remove));
    const withUpstream = checkResponseFor({ ...allow, upstreamCredential: { header: 'authorization', value: 'Bearer upstream' } }, 'POST');
    assert.notEqual(withUpstream.ok_response, first.ok_response);
  });
});
