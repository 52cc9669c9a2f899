/**
 * The suite-wide leak scan (test/support/root-hooks.ts) must be able to fail:
 * prove that its matcher finds a whole token and each segment of one, and
 * ignores output that only carries the token's SHA-256 prefix; and that it
 * covers exported spans (what the OTLP receiver double gets) like log lines.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { tokenSHA256 } from '../../src/core/token-hash.ts';
import { ServiceTracing } from '../../src/tracing/service-tracing.ts';
import { startOTLPReceiver } from '../support/otlp-receiver.ts';
import { leaksIn, ledgerSize } from '../support/secret-ledger.ts';

describe('token leak scan', function () {
  const token = 'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ1c2VyLTEiLCJhdWQiOiJodHRwczovL21jcC5leGFtcGxlLmNvbS9tY3AifQ.c2lnbmF0dXJlLWJ5dGVzLWZvci10ZXN0';

  it('finds a whole token in output', function () {
    assert.equal(leaksIn([token], `{"msg":"x","authorization":"Bearer ${token}"}`).leaks.length > 0, true);
  });

  it('finds a lone payload or signature segment in output', function () {
    for (const segment of token.split('.')) {
      assert.equal(leaksIn([token], `{"msg":"x","claims":"${segment}"}`).leaks.length, 1, segment.slice(0, 10));
    }
  });

  it('covers exported spans: what the service exports reaches the scanned output, where a token would be found', async function () {
    const receiver = await startOTLPReceiver();
    const tracing = new ServiceTracing({ sampler: { name: 'always_on', ratio: 1 }, serviceName: 'leak-scan', tracesURL: receiver.tracesURL });
    const before = ledgerSize().outputLines;
    const check = tracing.checks.start('grpc', performance.now(), undefined, undefined);
    // A URL that (wrongly) carried a token would put it into a child span's url.full. The token is one
    // of random segments: this exported body reaches the suite's scanned output, where a common JWT
    // header segment would match the tokens other tests recorded.
    const secret = [24, 48, 32].map((bytes) => randomBytes(bytes).toString('base64url')).join('.');
    const send = tracing.fetch(() => Promise.resolve(new Response('{}')));
    await check.within(() => send(`https://idp.example.com/keys/${secret}`, { method: 'GET' }));
    check.end({ kind: 'deny', reason: 'missing_token', policy: undefined, challengeScopes: [], tokenSHA256: undefined, principal: undefined });
    await tracing.shutdown();
    await receiver.close();
    assert.ok(receiver.bodies.length > 0);
    assert.equal(ledgerSize().outputLines, before + receiver.bodies.length, 'every exported body is in the scanned output');
    assert.equal(leaksIn([secret], receiver.bodies.join('\n')).leaks.length, 4, 'the whole token and each of its three segments');
  });

  it('does not flag the token_sha256 correlation id', function () {
    assert.deepEqual(leaksIn([token], `{"token_sha256":"${tokenSHA256(token)}"}`).leaks, []);
  });

  describe('an opaque token (introspection)', function () {
    const opaque = 'Vd2Nq7hKxQmWf3J0pLr8sTzYbC4eGuA1iO6nX9kHwE5';

    it('finds it whole in output', function () {
      assert.equal(leaksIn([opaque], `{"msg":"x","token":"${opaque}"}`).leaks.length, 1);
    });

    it('does not flag its token_sha256 correlation id', function () {
      assert.deepEqual(leaksIn([opaque], `{"token_sha256":"${tokenSHA256(opaque)}"}`).leaks, []);
    });
  });
});
