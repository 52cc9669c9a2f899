// The rate limit of the token_rejected log (src/obs/log-rate-limiter.ts), on
// an injected clock: at most N lines per second per (policy, reason), the
// rest counted and reported at most once a second, by reason and by policy;
// and a bounded number of keys whatever is asked of it.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { REASONS, type Reason } from '../../../src/core/reasons.ts';
import { LogRateLimiter, SUMMARY_ENTRIES } from '../../../src/obs/log-rate-limiter.ts';

function limiter(linesPerSecond: number, maxPolicies = 100): { limiter: LogRateLimiter; clock: { ms: number } } {
  const clock = { ms: 5_000 };
  return { limiter: new LogRateLimiter({ linesPerSecond, maxPolicies, now: () => clock.ms }), clock };
}

function admitted(target: LogRateLimiter, times: number, policy: string | undefined, reason: Reason): number {
  let count = 0;
  for (let i = 0; i < times; i++) if (target.admit(policy, reason)) count += 1;
  return count;
}

describe('token_rejected log rate limit', () => {
  it('attack: a flood for one (policy, reason) must get at most N lines a second through, and N again the next second', () => {
    const { limiter: target, clock } = limiter(50);
    assert.equal(admitted(target, 10_000, 'mcp/weather', 'audience_mismatch'), 50);
    clock.ms += 999;
    assert.equal(admitted(target, 100, 'mcp/weather', 'audience_mismatch'), 0, 'still the same second');
    clock.ms += 1;
    assert.equal(admitted(target, 100, 'mcp/weather', 'audience_mismatch'), 50);
  });

  it('must limit each (policy, reason) on its own: a flood of one leaves the others their lines', () => {
    const { limiter: target } = limiter(3);
    admitted(target, 100, 'mcp/weather', 'audience_mismatch');
    assert.equal(admitted(target, 10, 'mcp/weather', 'expired'), 3, 'same policy, other reason');
    assert.equal(admitted(target, 10, 'mcp/files', 'audience_mismatch'), 3, 'same reason, other policy');
    assert.equal(admitted(target, 10, undefined, 'no_policy'), 3, 'no policy at all');
  });

  it('lets through exactly min(N, sent) lines per key and second, for any traffic (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.record({ tick: fc.integer({ min: 0, max: 1500 }), policy: fc.constantFrom('a/x', 'b/y', undefined), reason: fc.constantFrom(...REASONS) }), { maxLength: 200 }),
      (rate, requests) => {
        const { limiter: target, clock } = limiter(rate);
        const sent = new Map<string, number>();
        const through = new Map<string, number>();
        for (const request of requests) {
          clock.ms += request.tick;
          const key = `${String(Math.floor(clock.ms / 1000))} ${request.policy ?? '-'} ${request.reason}`;
          sent.set(key, (sent.get(key) ?? 0) + 1);
          if (target.admit(request.policy, request.reason)) through.set(key, (through.get(key) ?? 0) + 1);
        }
        for (const [key, count] of sent) assert.equal(through.get(key) ?? 0, Math.min(rate, count), key);
      },
    ));
  });

  it('reports what it suppressed by reason and by (policy, reason), then starts counting afresh', () => {
    const { limiter: target, clock } = limiter(2);
    admitted(target, 12, 'mcp/weather', 'audience_mismatch');
    admitted(target, 5, 'mcp/files', 'audience_mismatch');
    admitted(target, 4, 'mcp/weather', 'expired');
    admitted(target, 3, undefined, 'no_policy');
    assert.deepEqual(target.takeSummary(), {
      suppressed: 10 + 3 + 2 + 1,
      byReason: { audience_mismatch: 13, expired: 2, no_policy: 1 },
      byPolicy: [
        { policy: 'mcp/weather', reason: 'audience_mismatch', suppressed: 10 },
        { policy: 'mcp/files', reason: 'audience_mismatch', suppressed: 3 },
        { policy: 'mcp/weather', reason: 'expired', suppressed: 2 },
        { reason: 'no_policy', suppressed: 1 },
      ],
      omitted: 0,
    });
    assert.equal(target.pending, 0);
    clock.ms += 1000;
    admitted(target, 3, 'mcp/weather', 'audience_mismatch');
    assert.deepEqual(target.takeSummary()?.byReason, { audience_mismatch: 1 }, 'only what came after the last summary');
  });

  it('gives at most one summary a second, and none when nothing was suppressed', () => {
    const { limiter: target, clock } = limiter(1);
    assert.equal(target.takeSummary(), undefined, 'nothing suppressed');
    admitted(target, 5, 'mcp/weather', 'expired');
    assert.equal(target.takeSummary()?.suppressed, 4);
    admitted(target, 5, 'mcp/weather', 'expired');
    clock.ms += 999 - (clock.ms % 1000);
    assert.equal(target.takeSummary(), undefined, 'a second summary in the same second');
    assert.equal(target.pending, 5, 'kept for the next summary');
    clock.ms += 1;
    assert.equal(target.takeSummary()?.suppressed, 5);
    assert.equal(target.takeSummary(), undefined);
  });

  it(`names at most ${String(SUMMARY_ENTRIES)} (policy, reason) pairs in a summary, the largest, and counts the rest`, () => {
    const { limiter: target } = limiter(1);
    for (let i = 0; i < SUMMARY_ENTRIES + 5; i++) admitted(target, 2 + i, `ns/p${String(i)}`, 'invalid_signature');
    const summary = target.takeSummary();
    assert.equal(summary?.byPolicy.length, SUMMARY_ENTRIES);
    assert.equal(summary.omitted, 5);
    assert.equal(summary.byPolicy[0]?.policy, `ns/p${String(SUMMARY_ENTRIES + 4)}`);
    assert.equal(summary.suppressed, summary.byReason.invalid_signature);
  });

  it('attack: requests naming ever more policies must not grow the limiter beyond its bound, and are still limited', () => {
    const { limiter: target, clock } = limiter(1, 3);
    let through = 0;
    for (let i = 0; i < 1_000; i++) if (target.admit(`ns/p${String(i)}`, 'audience_mismatch')) through += 1;
    assert.equal(target.keys, 3);
    assert.equal(through, 3 + 1, 'three tracked policies and one shared window for the rest');
    clock.ms += 2_000;
    for (let i = 1_000; i < 1_010; i++) target.admit(`ns/p${String(i)}`, 'audience_mismatch');
    assert.equal(target.keys, 3, 'policies not seen lately make room; the bound holds');
    clock.ms += 1_000;
    assert.deepEqual(['ns/p1000', 'ns/p1001', 'ns/p1002'].map((policy) => target.admit(policy, 'audience_mismatch')), [true, true, true], 'the newly tracked ones have their own windows');
    assert.deepEqual(['ns/p1003', 'ns/p1004'].map((policy) => target.admit(policy, 'audience_mismatch')), [true, false], 'the rest share one');
  });
});
