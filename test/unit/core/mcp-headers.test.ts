// The MCP mirrored headers (MCP 2026-07-28, SEP-2243; src/core/mcp-headers.ts):
// trusted only with a protocol version that is a date on or after 2026-07-28,
// `=?base64?…?=` values decoded strictly (canonical base64 of UTF-8), and a
// value that cannot be decoded never read as text.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { decodeMirroredValue, mirroredHeadersTrusted, readMirroredHeaders } from '../../../src/core/mcp-headers.ts';

const encoded = (text: string): string => `=?base64?${Buffer.from(text, 'utf8').toString('base64')}?=`;

describe('MCP mirrored headers', () => {
  describe('MCP-Protocol-Version', () => {
    it('trusts 2026-07-28 and every later date, compared as dates', () => {
      for (const version of ['2026-07-28', '2026-07-29', '2026-08-01', '2026-12-31', '2027-01-01', '2100-02-03']) assert.equal(mirroredHeadersTrusted(version), true, version);
    });

    it('attack: an earlier version, no version or a value that is not a date must not make the headers trusted', () => {
      for (const version of [undefined, '', '2025-11-25', '2025-06-18', '2026-07-27', '2026-7-28', '2026-07-28 ', ' 2026-07-28', '2026-07-28,2025-11-25',
        '2026-13-01', '2026-00-10', '2026-07-32', '2026-07-00', '9999', 'latest', '2026-07-28T00:00:00Z', '２０２６-07-28']) {
        assert.equal(mirroredHeadersTrusted(version), false, String(version));
      }
    });

    it('agrees with date order for any two valid dates', () => {
      const dateArb = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2199-12-31T00:00:00Z'), noInvalidDate: true });
      fc.assert(fc.property(dateArb, (date) => {
        const version = date.toISOString().slice(0, 10);
        assert.equal(mirroredHeadersTrusted(version), version >= '2026-07-28' && date.getTime() >= Date.parse('2026-07-28T00:00:00Z'));
      }));
    });
  });

  describe('=?base64?…?= values', () => {
    it('decodes any text round trip, and passes a plain value through unchanged', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        assert.equal(decodeMirroredValue(encoded(text)), text);
      }));
      fc.assert(fc.property(fc.string({ maxLength: 40 }).filter((text) => !text.startsWith('=?')), (text) => {
        assert.equal(decodeMirroredValue(text), text);
      }));
    });

    it('accepts the base64 label in any case', () => {
      assert.equal(decodeMirroredValue('=?BASE64?ZGVsZXRlX2FsZXJ0?='), 'delete_alert');
    });

    it('attack: a non-canonical, unpadded, wrongly padded or non-base64 payload must not decode', () => {
      for (const value of ['=?base64?ZGVsZXRlX2FsZXJ0?', '=?base64?ZGVsZXRlX2FsZXJ?=', '=?base64?ZGVsZXRlX2FsZXJ0=?=', '=?base64?ZA==?=x',
        '=?base64?ZB==?=', '=?base64?ZGVs ZXRl?=', '=?base64?ZGVsZXRl_2FsZXJ0?=', '=?utf-8?ZGVsZXRlX2FsZXJ0?=', '=?base64?Z=Vs?=', '=?base64?ZGVsZXRlX2FsZXJ0']) {
        assert.equal(decodeMirroredValue(value), undefined, value);
      }
    });

    it('attack: base64 of bytes that are not UTF-8 must not decode', () => {
      assert.equal(decodeMirroredValue(`=?base64?${Buffer.from([0x64, 0xc3, 0x28]).toString('base64')}?=`), undefined);
    });
  });

  describe('reading the headers of a request', () => {
    const trusted = { 'mcp-protocol-version': '2026-07-28' };

    it('reads the method and name of a trusted request, decoded', () => {
      assert.deepEqual(readMirroredHeaders({ ...trusted, 'mcp-method': 'tools/call', 'mcp-name': encoded('löschen') }),
        { kind: 'trusted', method: 'tools/call', name: 'löschen' });
      assert.deepEqual(readMirroredHeaders({ ...trusted, 'mcp-method': 'tools/list' }), { kind: 'trusted', method: 'tools/list', name: undefined });
    });

    it('says nothing for an older protocol version, even with the headers present', () => {
      assert.deepEqual(readMirroredHeaders({ 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/call', 'mcp-name': 'x' }), { kind: 'untrusted' });
      assert.deepEqual(readMirroredHeaders(undefined), { kind: 'untrusted' });
    });

    it('attack: a repeated Mcp-Method (joined with ",") or an undecodable value must make the headers invalid', () => {
      for (const headers of [
        { ...trusted, 'mcp-method': 'tools/list,tools/call' },
        { ...trusted, 'mcp-method': 'tools/call', 'mcp-name': 'list_alerts,delete_alert' },
        { ...trusted, 'mcp-method': '=?base64?dG9vbHMvY2FsbA?=' },
        { ...trusted, 'mcp-method': 'tools/call', 'mcp-name': '=?base64?***?=' },
        { ...trusted, 'mcp-method': '' },
      ]) assert.deepEqual(readMirroredHeaders(headers), { kind: 'invalid' }, JSON.stringify(headers));
    });
  });
});
