// The hand-written CheckResponse encoder (src/envoy/check-response-encoder.ts)
// must write the very bytes proto-loader writes — for every decision the
// service can make and for arbitrary responses of the proto.ts types — hand
// anything it does not cover to the fallback, and reuse the bytes only of
// frozen parts.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { REASONS } from '../../../src/core/reasons.ts';
import type { Decision } from '../../../src/core/decision.ts';
import { encodeCheckResponse } from '../../../src/envoy/check-response-encoder.ts';
import { checkResponseFor } from '../../../src/envoy/check-response.ts';
import { loadAuthorizationService, type CheckResponse } from '../../../src/envoy/proto.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const protoLoader = loadAuthorizationService().service.Check!;
const serialize = (response: CheckResponse): Buffer => protoLoader.responseSerialize(response);

function fallbackSpy(): { calls: CheckResponse[]; fallback: (response: CheckResponse) => Buffer } {
  const calls: CheckResponse[] = [];
  return { calls, fallback: (response) => { calls.push(response); return serialize(response); } };
}

function assertSameBytes(response: CheckResponse, label = ''): void {
  const spy = fallbackSpy();
  const bytes = encodeCheckResponse(response, spy.fallback);
  assert.equal(spy.calls.length, 0, `${label}: encoded without the fallback`);
  assert.equal(bytes.toString('hex'), serialize(response).toString('hex'), label);
}

const POLICY = runtimePolicy({ requiredScopes: ['mcp:tools', 'offline_access'] }, { name: 'weather' });
const PRINCIPAL = { issuer: 'https://idp.example.com', subject: 'user-1', clientId: 'mcp-client', audiences: ['https://mcp.example.com/mcp'] };

const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ minLength: 120, maxLength: 300 }));
const option = fc.record({
  header: fc.record({ key: text, value: text }, { requiredKeys: [] }),
  append: fc.record({ value: fc.boolean() }),
  append_action: fc.constantFrom('APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS', 0, 1, 2, 3),
  keep_empty_value: fc.boolean(),
}, { requiredKeys: [] });
const value = fc.oneof(
  fc.record({ stringValue: text }),
  fc.record({ numberValue: fc.double({ noNaN: true }) }),
  fc.record({ boolValue: fc.boolean() }),
  fc.record({ nullValue: fc.constant('NULL_VALUE' as const) }),
  fc.record({ listValue: fc.record({ values: fc.array(fc.record({ stringValue: text }), { maxLength: 3 }) }) }),
  fc.record({ structValue: fc.record({ fields: fc.dictionary(fc.string({ maxLength: 6 }), fc.record({ stringValue: text }), { maxKeys: 3 }) }) }),
);
const responseArbitrary = fc.record({
  status: fc.record({ code: fc.nat(16), message: text, details: fc.array(fc.record({ type_url: text, value: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 2 }) }, { requiredKeys: [] }),
  denied_response: fc.record({ status: fc.record({ code: fc.constantFrom(200, 400, 401, 403, 500, 503) }), headers: fc.array(option, { maxLength: 4 }), body: text }, { requiredKeys: [] }),
  ok_response: fc.record({
    headers: fc.array(option, { maxLength: 3 }), headers_to_remove: fc.array(text, { maxLength: 3 }), response_headers_to_add: fc.array(option, { maxLength: 2 }),
    query_parameters_to_set: fc.array(fc.record({ key: text, value: text }, { requiredKeys: [] }), { maxLength: 2 }), query_parameters_to_remove: fc.array(text, { maxLength: 2 }),
  }, { requiredKeys: [] }),
  dynamic_metadata: fc.record({ fields: fc.dictionary(fc.string({ maxLength: 10 }), value, { maxKeys: 5 }) }),
}, { requiredKeys: [] }).map((response) => response as CheckResponse);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('CheckResponse encoder', () => {
  it('must write the bytes proto-loader writes for every deny reason, with and without a policy and principal', () => {
    for (const reason of REASONS) {
      for (const policy of [POLICY, undefined]) {
        for (const principal of [PRINCIPAL, undefined]) {
          const decision: Decision = { kind: 'deny', reason, policy, challengeScopes: policy?.requiredScopes ?? [], tokenSHA256: '0123456789abcdef', principal };
          assertSameBytes(checkResponseFor(decision, 'POST'), `${reason} ${policy === undefined ? 'without' : 'with'} policy`);
        }
      }
    }
  });

  it('must write the bytes proto-loader writes for allows and metadata answers', () => {
    const allow = { kind: 'allow', policy: POLICY, principal: PRINCIPAL, notEnforced: undefined, tokenSHA256: undefined, upstreamCredential: undefined } as const;
    assertSameBytes(checkResponseFor(allow, 'POST'), 'allow');
    assertSameBytes(checkResponseFor({ ...allow, notEnforced: 'audience_mismatch', tokenSHA256: '0123456789abcdef' }, 'POST'), 'allow not enforced');
    assertSameBytes(checkResponseFor({ ...allow, principal: { ...PRINCIPAL, subject: undefined, clientId: undefined } }, 'POST'), 'allow without sub');
    assertSameBytes(checkResponseFor({ kind: 'metadata', policy: POLICY }, 'GET'), 'metadata GET');
    assertSameBytes(checkResponseFor({ kind: 'metadata', policy: POLICY }, 'HEAD'), 'metadata HEAD');
  });

  it('must write the bytes proto-loader writes for arbitrary responses, frozen or not', () => {
    fc.assert(fc.property(responseArbitrary, fc.boolean(), (response, frozen) => {
      assertSameBytes(frozen ? deepFreeze(structuredClone(response)) : response);
    }), { numRuns: 1000 });
  });

  it('must write lengths of 128 bytes and more, and multi-byte text', () => {
    for (const length of [127, 128, 200, 16_383, 16_384, 70_000]) {
      assertSameBytes({ status: { code: 16, message: 'x' }, denied_response: { status: { code: 401 }, body: 'é'.repeat(length) } }, String(length));
    }
  });

  describe('what it does not cover goes to the fallback', () => {
    const cases: [string, CheckResponse][] = [
      ['an unknown top-level field', { status: { code: 0 }, extra: 1 } as CheckResponse],
      ['an unknown ok_response field', { ok_response: { headers_to_remove: ['authorization'], dynamic_metadata: {} } as never }],
      ['an unknown header option field', { ok_response: { headers: [{ header: { key: 'a', value: 'b' }, append_when: 1 } as never] } }],
      ['an unknown append_action name', { ok_response: { headers: [{ header: { key: 'a', value: 'b' }, append_action: 'REPLACE' as never }] } }],
      ['a negative status code', { status: { code: -1 } }],
    ];
    for (const [what, response] of cases) {
      it(`must hand ${what} to the fallback`, () => {
        const spy = fallbackSpy();
        const bytes = encodeCheckResponse(response, spy.fallback);
        assert.equal(spy.calls.length, 1);
        assert.equal(spy.calls[0], response);
        assert.deepEqual(bytes, serialize(response));
      });
    }
  });

  it('reuses the bytes of a frozen part, and encodes an unfrozen part anew each time', () => {
    const shared = { headers_to_remove: ['authorization'], query_parameters_to_remove: ['access_token'] };
    const first = encodeCheckResponse({ ok_response: shared }, serialize);
    shared.headers_to_remove.push('cookie');
    assert.notDeepEqual(encodeCheckResponse({ ok_response: shared }, serialize), first, 'an unfrozen part is not cached');
    const frozen = deepFreeze({ headers_to_remove: ['authorization'], query_parameters_to_remove: ['access_token'] });
    assert.deepEqual(encodeCheckResponse({ ok_response: frozen }, serialize), encodeCheckResponse({ ok_response: frozen }, serialize));
    assert.deepEqual(encodeCheckResponse({ ok_response: frozen }, serialize), first);
  });
});
