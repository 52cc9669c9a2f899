// The DPoP replay cache (RFC 9449 §11.1) and the stateless nonces (§9), on a clock
// the test moves: an entry lives exactly until its expiry, a full cache refuses
// instead of evicting, and nonces of the current and previous slot are accepted.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { HmacNonceSource, NONCE_SLOT_SECONDS } from '../../../src/dpop/nonce-source.ts';
import { BoundedReplayCache } from '../../../src/dpop/replay-cache.ts';

describe('the DPoP replay cache', () => {
  it('answers replayed for a live key, fresh again once it expired', () => {
    let now = 1000;
    const cache = new BoundedReplayCache(10, () => now);
    assert.equal(cache.remember('a', 1300), 'fresh');
    assert.equal(cache.remember('a', 1300), 'replayed');
    now = 1299;
    assert.equal(cache.remember('a', 1600), 'replayed');
    now = 1300;
    assert.equal(cache.remember('a', 1600), 'fresh');
  });

  it('attack: a flood of fresh proofs must not evict a live entry; new ones are refused as full', () => {
    let now = 1000;
    const cache = new BoundedReplayCache(2, () => now);
    assert.equal(cache.remember('victim', 1300), 'fresh');
    assert.equal(cache.remember('flood-1', 1300), 'fresh');
    assert.equal(cache.remember('flood-2', 1300), 'full');
    assert.equal(cache.remember('victim', 1300), 'replayed', 'the first proof is still remembered');
    now = 1301;
    assert.equal(cache.remember('flood-2', 1600), 'fresh', 'room again once entries expired');
  });

  it('frees an expired entry that is not the oldest when full (one full sweep a second at most)', () => {
    let now = 1000;
    const cache = new BoundedReplayCache(2, () => now);
    assert.equal(cache.remember('long', 2000), 'fresh');
    assert.equal(cache.remember('short', 1010), 'fresh');
    now = 1011;
    assert.equal(cache.remember('new', 1300), 'fresh');
    assert.equal(cache.size, 2);
  });

  it('never holds more than its bound, whatever the order of keys and expiries', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 5 })), { maxLength: 200 }),
      (steps) => {
        let now = 0;
        const cache = new BoundedReplayCache(5, () => now);
        const live = new Map<string, number>();
        for (const [key, lifetime, advance] of steps) {
          now += advance;
          const name = String(key);
          const verdict = cache.remember(name, now + lifetime);
          const expiry = live.get(name);
          if (expiry !== undefined && expiry > now) assert.equal(verdict, 'replayed');
          if (verdict === 'fresh') live.set(name, now + lifetime);
          assert.ok(cache.size <= 5);
        }
      },
    ));
  });
});

describe('stateless DPoP nonces', () => {
  const KEY = Buffer.alloc(32, 1);

  it('accepts the current and the previous slot\'s nonce, on any replica with the same key', () => {
    let now = 10 * NONCE_SLOT_SECONDS;
    const issuer = new HmacNonceSource(KEY, () => now);
    const other = new HmacNonceSource(Buffer.from(KEY), () => now);
    const nonce = issuer.current();
    assert.ok(other.accepts(nonce));
    now += NONCE_SLOT_SECONDS;
    assert.ok(other.accepts(nonce), 'previous slot');
    now += NONCE_SLOT_SECONDS;
    assert.ok(!other.accepts(nonce), 'two slots later');
  });

  it('refuses a nonce of another key, and garbage', () => {
    const now = (): number => 5000;
    const nonce = new HmacNonceSource(Buffer.alloc(32, 2), now).current();
    const source = new HmacNonceSource(KEY, now);
    assert.ok(!source.accepts(nonce));
    assert.ok(!source.accepts(''));
    assert.ok(!source.accepts('x'.repeat(43)));
  });

  it('refuses a key shorter than 32 bytes', () => {
    assert.throws(() => new HmacNonceSource(Buffer.alloc(31), () => 0), /at least 32 bytes/);
  });
});
