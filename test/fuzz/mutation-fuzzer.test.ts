/**
 * The mutation fuzzer itself (test/support/mutation-fuzzer.ts): reproducible
 * from its seed (a reported seed and case number must replay the same input),
 * and able to produce every kind of mutation the fuzz suite relies on.
 */
import { strict as assert } from 'node:assert';
import { caseSeed, decodeSegmentJSON, MutationFuzzer, SeededRandom } from '../support/mutation-fuzzer.ts';

const TOKEN = [
  { alg: 'ES256', typ: 'at+jwt', kid: 'k1' },
  { iss: 'https://idp.example.com', aud: 'https://mcp.example.com/mcp', sub: 'u', exp: 1_700_000_300, scope: 'mcp:tools' },
].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2lnbmF0dXJlLWJ5dGVzLWZvci10aGUtdGVzdA';

describe('mutation fuzzer', function () {
  it('implements xoshiro128** (reference vector from state 1, 2, 3, 4)', function () {
    const random = SeededRandom.fromState(1, 2, 3, 4);
    assert.deepEqual([random.nextUint32(), random.nextUint32(), random.nextUint32(), random.nextUint32()], [11520, 0, 5927040, 70819200]);
  });

  it('is pinned: seed 1 gives the same stream on every machine, so reported seeds replay', function () {
    const random = new SeededRandom(1);
    assert.deepEqual([random.nextUint32(), random.nextUint32(), random.nextUint32(), random.nextUint32()], [2442144158, 3238099751, 3819917871, 2104621829]);
    assert.deepEqual([caseSeed(1, 0), caseSeed(1, 1), caseSeed(0x5eed0007, 0)], [543097909, 502018598, 4094312622]);
  });

  it('keeps below(), between() and pick() in range and covers the range', function () {
    const random = new SeededRandom(7);
    const seen = new Set<number>();
    for (let index = 0; index < 10_000; index += 1) {
      const value = random.below(10);
      assert.ok(value >= 0 && value < 10);
      seen.add(value);
      const between = random.between(-2, 2);
      assert.ok(between >= -2 && between <= 2);
    }
    assert.equal(seen.size, 10);
  });

  it('makes the same mutants from the same seed, and different ones from another seed', function () {
    const run = (seed: number): string[] => {
      const fuzzer = new MutationFuzzer(seed);
      const out: string[] = [];
      for (let index = 0; index < 200; index += 1) {
        out.push(fuzzer.mutateToken(TOKEN, [TOKEN]).value, fuzzer.mutateBytes(Buffer.from(TOKEN)).value.toString('hex'), JSON.stringify(fuzzer.mutateDocument({ a: [1, { b: 'x' }] }).value));
      }
      return out;
    };
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
  });

  it('produces every token mutation kind, and offers JSON-level mutants for re-signing', function () {
    const fuzzer = new MutationFuzzer(3);
    const kinds = new Set<string>();
    let resignable = 0;
    for (let index = 0; index < 2_000; index += 1) {
      const mutant = fuzzer.mutateToken(TOKEN, [TOKEN]);
      for (const step of mutant.steps) kinds.add(step.split(':')[0]!);
      if (mutant.resign !== undefined) {
        resignable += 1;
        assert.equal(mutant.value.split('.').slice(0, 2).join('.'), `${mutant.resign.header.toString('base64url')}.${mutant.resign.payload.toString('base64url')}`);
      }
    }
    assert.deepEqual([...kinds].sort(), ['base64', 'json', 'segments', 'text']);
    assert.ok(resignable > 500);
  });

  it('writes what JSON.stringify cannot: duplicated keys, 1e309, -0, invalid UTF-8, deep nesting', function () {
    const fuzzer = new MutationFuzzer(11);
    const found = { duplicate: false, infinity: false, negativeZero: false, invalidUTF8: false, deep: false, nanString: false };
    for (let index = 0; index < 5_000; index += 1) {
      const bytes = fuzzer.mutateJSON({ iss: 'i', aud: 'a', exp: 1, scope: 's' }).value;
      const text = bytes.toString('utf8');
      if (/"(\w+)":.*"\1":/.test(text)) found.duplicate = true;
      if (text.includes('1e309')) found.infinity = true;
      if (/[:[,]-0[,}\]]/.test(text)) found.negativeZero = true;
      if (text.includes('"NaN"')) found.nanString = true;
      if (text.includes('['.repeat(1000)) || text.includes('{"a":'.repeat(1000))) found.deep = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        found.invalidUTF8 = true;
      }
    }
    assert.deepEqual(found, { duplicate: true, infinity: true, negativeZero: true, invalidUTF8: true, deep: true, nanString: true });
  });

  it('decodes a base64url JSON segment, and gives undefined for anything else', function () {
    assert.deepEqual(decodeSegmentJSON(TOKEN.split('.')[0]!), { alg: 'ES256', typ: 'at+jwt', kid: 'k1' });
    assert.equal(decodeSegmentJSON('!!!'), undefined);
  });
});
