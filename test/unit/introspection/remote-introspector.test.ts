// The edge of token introspection (README "Opaque tokens"): how long answers are reused, the
// size bound of the answer cache, and that failures are neither remembered nor a rejection.
import { strict as assert } from 'node:assert';
import { INACTIVE_ANSWER_SECONDS, IntrospectionAnswers, reuseUntil } from '../../../src/introspection/introspection-answers.ts';
import { RemoteIntrospector, type IntrospectionRequestResult } from '../../../src/introspection/remote-introspector.ts';
import { tokenDigest } from '../../../src/core/token-hash.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;
const policy = runtimePolicy({ issuers: [{ issuer: 'https://idp.example.com', introspection: { clientId: 'guard', clientSecretFile: '/run/secret' } }] });
const issuer = policy.issuerList[0]!;
const introspection = issuer.introspection!;
const token = (value: string) => ({ value, digest: tokenDigest(value) });

describe('introspection answers: how long they are reused', () => {
  it('keeps an active answer until the earlier of cacheSeconds and exp', () => {
    assert.equal(reuseUntil({ active: true, exp: NOW + 300 }, 60, NOW), NOW + 60);
    assert.equal(reuseUntil({ active: true, exp: NOW + 10 }, 60, NOW), NOW + 10);
    assert.equal(reuseUntil({ active: true, exp: NOW + 10 }, 0, NOW), NOW, 'cacheSeconds 0: not reused');
  });

  it('keeps inactive answers, and active ones without a usable exp, for 5 seconds only', () => {
    for (const answer of [{ active: false }, { active: true }, { active: true, exp: 'soon' }, { active: true, exp: NOW - 1 }]) {
      assert.equal(reuseUntil(answer, 3600, NOW), NOW + INACTIVE_ANSWER_SECONDS);
    }
  });

  it('counts a live answer pushed out of a full cache as a limit hit, and never keys by the token', () => {
    let evicted = 0;
    const answers = new IntrospectionAnswers({ maxEntries: 2, now: () => NOW, onEvict: () => { evicted += 1; } });
    for (const key of ['a', 'b', 'c']) answers.remember(key, { active: true, exp: NOW + 60 }, 60);
    assert.equal(answers.size, 2);
    assert.equal(evicted, 1);
  });
});

describe('RemoteIntrospector', () => {
  const events: IntrospectionRequestResult[] = [];
  const answers = () => new IntrospectionAnswers({ maxEntries: 10, now: () => NOW });

  it('answers unavailable when the secret cannot be read, and asks again next time (failures are not remembered)', async () => {
    let calls = 0;
    const introspector = new RemoteIntrospector(
      { introspect: () => { calls += 1; return Promise.resolve({ active: true }); } },
      { resolve: () => Promise.reject(new Error('client secret file /run/secret: ENOENT')) },
      answers(), { request: (_issuer, result) => { events.push(result); } }, { maxInFlight: 4, timeoutMs: 100 },
    );
    assert.deepEqual(await introspector.introspect(token('t1'), issuer, introspection), { kind: 'unavailable' });
    assert.deepEqual(await introspector.introspect(token('t1'), issuer, introspection), { kind: 'unavailable' });
    assert.equal(calls, 0);
    assert.deepEqual(events.splice(0), ['failure', 'failure']);
  });

  it('remembers answers by the token\'s digest and the endpoint, never by the token', async () => {
    const cache = answers();
    const introspector = new RemoteIntrospector(
      { introspect: () => Promise.resolve({ active: true, exp: NOW + 60 }) }, { resolve: () => Promise.resolve('secret') },
      cache, { request: (_issuer, result) => { events.push(result); } }, { maxInFlight: 4, timeoutMs: 100 },
    );
    const secret = 'opaque-token-value-that-must-not-be-a-key';
    await introspector.introspect(token(secret), issuer, introspection);
    await introspector.introspect(token(secret), issuer, introspection);
    assert.deepEqual(events.splice(0), ['active']);
    assert.equal(cache.keys().some((key) => key.includes(secret)), false);
  });
});
