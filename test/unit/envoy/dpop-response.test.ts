// The CheckResponse of DPoP denies: the challenge depends on the scheme the
// client used (the shared, frozen deny parts are kept apart per scheme), and a
// `use_dpop_nonce` answer carries the nonce in `DPoP-Nonce` without changing
// the parts every other call shares.
import { strict as assert } from 'node:assert';
import { denyResponse } from '../../../src/envoy/check-response.ts';
import type { CheckResponse, HeaderValueOption } from '../../../src/envoy/proto.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

function header(response: CheckResponse, name: string): string | undefined {
  const headers: readonly HeaderValueOption[] | undefined = response.denied_response?.headers;
  return headers?.find((option) => option.header?.key === name)?.header?.value;
}

describe('DPoP deny responses', () => {
  const policy = runtimePolicy();

  it('answers the same reason with the error in the DPoP challenge for a DPoP credential, in the Bearer one for Bearer', () => {
    const viaDpop = header(denyResponse('expired', policy, [], undefined, { scheme: 'dpop' }), 'www-authenticate');
    const viaBearer = header(denyResponse('expired', policy, [], undefined, { scheme: 'bearer' }), 'www-authenticate');
    assert.match(viaDpop ?? '', /^Bearer resource_metadata="[^"]+", DPoP error="invalid_token"/);
    assert.match(viaBearer ?? '', /^Bearer error="invalid_token".*, DPoP algs="[^"]+"$/);
  });

  it('adds DPoP-Nonce to a use_dpop_nonce answer, and only to that answer', () => {
    const withNonce = denyResponse('dpop_nonce_required', policy, [], undefined, { scheme: 'dpop', dpopNonce: 'nonce-1' });
    assert.equal(withNonce.denied_response?.status?.code, 401);
    assert.equal(header(withNonce, 'dpop-nonce'), 'nonce-1');
    assert.match(header(withNonce, 'www-authenticate') ?? '', /DPoP error="use_dpop_nonce"/);
    const next = denyResponse('dpop_nonce_required', policy, [], undefined, { scheme: 'dpop' });
    assert.equal(header(next, 'dpop-nonce'), undefined, 'the shared parts were not changed');
  });

  it('answers a full replay cache with 503 and retry-after, no challenge', () => {
    const response = denyResponse('dpop_unavailable', policy, [], undefined, { scheme: 'dpop' });
    assert.equal(response.denied_response?.status?.code, 503);
    assert.equal(header(response, 'retry-after'), '5');
    assert.equal(header(response, 'www-authenticate'), undefined);
  });
});
