// The Envoy stand-in is only worth its tests if it applies a CheckResponse as
// Envoy does; these cases pin the Envoy behaviours the e2e tests rely on.
import { strict as assert } from 'node:assert';
import { applyCheckResponse } from './check-response-application.ts';

const REQUEST = { ':authority': 'mcp.example.com', ':path': '/mcp?a=1&access_token=t&b=2', ':method': 'POST', authorization: 'Bearer t', dpop: 'p' };

describe('Envoy stand-in: applying a CheckResponse as Envoy does', () => {
  it('a failed RPC is a 403 with an empty body (failure_mode_allow: false)', () => {
    assert.deepEqual(applyCheckResponse(undefined, REQUEST), { kind: 'reply', status: 403, headers: {}, body: '' });
  });

  it('an empty response allows and forwards the request unchanged', () => {
    assert.deepEqual(applyCheckResponse({}, REQUEST), { kind: 'forward', headers: REQUEST });
  });

  it('a deny is a local reply with its status, headers and body; 403 when the status is unset', () => {
    const denied = { status: { code: 16 }, denied_response: { status: { code: 401 }, headers: [{ header: { key: 'WWW-Authenticate', value: 'Bearer' } }], body: '{}' } };
    assert.deepEqual(applyCheckResponse(denied, REQUEST), { kind: 'reply', status: 401, headers: { 'www-authenticate': 'Bearer' }, body: '{}' });
    assert.equal((applyCheckResponse({ status: { code: 7 } }, REQUEST) as { status: number }).status, 403);
  });

  it('sets first, then removes: removing a header that was also set drops the new value too', () => {
    const outcome = applyCheckResponse({
      ok_response: { headers: [{ header: { key: 'authorization', value: 'Bearer upstream' }, append: { value: false } }], headers_to_remove: ['authorization', 'dpop', ':path', 'host'] },
    }, REQUEST);
    assert.equal(outcome.kind, 'forward');
    assert.equal(outcome.headers.authorization, undefined);
    assert.equal(outcome.headers.dpop, undefined);
    assert.equal(outcome.headers[':path'], '/mcp?a=1&access_token=t&b=2', 'pseudo-headers cannot be removed');
  });

  it('overwrites with append false or OVERWRITE_IF_EXISTS_OR_ADD, else appends', () => {
    const set = (option: Record<string, unknown>): string | undefined =>
      applyCheckResponse({ ok_response: { headers: [{ header: { key: 'authorization', value: 'Bearer u' }, ...option }] } }, REQUEST).headers.authorization;
    assert.equal(set({ append: { value: false } }), 'Bearer u');
    assert.equal(set({ append_action: 2 }), 'Bearer u');
    assert.equal(set({}), 'Bearer t,Bearer u');
  });

  it('query_parameters_to_remove rewrites :path', () => {
    const outcome = applyCheckResponse({ ok_response: { query_parameters_to_remove: ['access_token'] } }, REQUEST);
    assert.equal(outcome.headers[':path'], '/mcp?a=1&b=2');
  });
});
