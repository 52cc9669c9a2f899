// The readings of a request path that some server or proxy might route by:
// percent-decoded, dot segments removed, slashes merged, `;parameters` and
// trailing dots dropped, `\` as `/` — in every combination, repeated until
// nothing changes, and bounded.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { foldCase, mayReadDifferently, MAX_PATH_READINGS, MAX_READING_CHARACTERS, PATH_TRANSFORMS, pathReadings, removeDotSegments } from '../../../src/core/path-readings.ts';

const readingsOf = (path: string): readonly string[] => pathReadings(path).readings;

describe('path readings', () => {
  const cases: [string, string][] = [
    ['/admin;x', '/admin'],
    ['/admin%2Fx', '/admin/x'],
    ['/admin%2fx', '/admin/x'],
    ['//admin', '/admin'],
    ['/admin.', '/admin'],
    ['/admin.../x', '/admin/x'],
    ['\\admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['/admin%252Fx', '/admin/x'],
    ['/public/%2e%2e/admin', '/admin'],
    ['/public/..%2Fadmin', '/admin'],
    ['/public/..%5Cadmin', '/admin'],
    ['/public/.%2E/admin', '/admin'],
    ['/a;p=1/../admin;q/', '/admin/'],
    ['/public\\..\\admin', '/admin'],
  ];
  for (const [raw, reading] of cases) {
    it(`reads ${raw} also as ${reading}`, () => {
      assert.ok(mayReadDifferently(raw));
      assert.ok(readingsOf(raw).includes(reading), readingsOf(raw).join(' '));
    });
  }

  it('keeps the raw spelling first', () => {
    assert.equal(readingsOf('/a%2Fb')[0], '/a%2Fb');
  });

  it('keeps partial readings too: escaped slashes decoded without dot segments removed, and the reverse', () => {
    const readings = readingsOf('/admin%2F..%2Fpublic');
    assert.ok(readings.includes('/admin/../public'));
    assert.ok(readings.includes('/public'));
  });

  it('decodes only ASCII octets, and leaves a stray % alone', () => {
    assert.deepEqual(readingsOf('/caf%C3%A9'), ['/caf%C3%A9']);
    assert.deepEqual(readingsOf('/100%'), ['/100%']);
  });

  it('removes dot segments as RFC 3986 §5.2.4 does', () => {
    assert.equal(removeDotSegments('/a/b/c/./../../g'), '/a/g');
    assert.equal(removeDotSegments('/a/b/..'), '/a/');
    assert.equal(removeDotSegments('/a/b/.'), '/a/b/');
    assert.equal(removeDotSegments('/../a'), '/a');
    assert.equal(removeDotSegments('/a//../b'), '/a/b');
    assert.equal(removeDotSegments('/a/..b/c.'), '/a/..b/c.');
    assert.equal(removeDotSegments('\\a'), '\\a');
  });

  it('folds ASCII letters only (no Kelvin sign to k)', () => {
    assert.equal(foldCase('/ADMIN/Tools'), '/admin/tools');
    assert.equal(foldCase('/\u212Aey'), '/\u212Aey');
  });

  it('must stop at the bound and say the readings are incomplete', () => {
    const result = pathReadings('/%255C%2E%2E%2F%2e%2F%2e%3B//%5C;x//.\\%2E%2E'); // over a thousand readings in all
    assert.equal(result.complete, false);
    assert.ok(result.readings.length <= MAX_PATH_READINGS);
  });

  it('must stop when the readings of a long path would exceed the character budget', () => {
    const path = `/x%2F${'a'.repeat(MAX_READING_CHARACTERS / 2)}`;
    assert.equal(pathReadings(path).complete, false);
    assert.equal(pathReadings(`/x%2F${'a'.repeat(1000)}`).complete, true);
  });

  const piece = fc.constantFrom('/', '//', 'a', 'A', 'mcp', '.', '..', ';x', '%2F', '%2f', '%5C', '%2e', '%25', '%41', '\\', '-', '~', 'b.', '%');
  const path = fc.array(piece, { maxLength: 8 }).map((pieces) => `/${pieces.join('')}`);

  it('is the identity on paths mayReadDifferently passes over (property)', () => {
    fc.assert(fc.property(path, (candidate) => {
      if (mayReadDifferently(candidate)) return;
      for (const transform of PATH_TRANSFORMS) assert.equal(transform(candidate), candidate);
    }), { numRuns: 2000 });
  });

  it('is closed: no transform of a reading leads outside the set, unless the bound was reached (property)', () => {
    fc.assert(fc.property(path, (candidate) => {
      const { readings, complete } = pathReadings(candidate);
      assert.equal(new Set(readings).size, readings.length);
      if (!complete) return;
      const all = new Set(readings);
      for (const reading of readings) for (const transform of PATH_TRANSFORMS) assert.ok(all.has(transform(reading)), `${candidate}: ${transform(reading)}`);
    }), { numRuns: 1000 });
  });
});
