// The JSON-RPC message reader of per-tool scopes (src/core/mcp-message.ts,
// src/core/json-scanner.ts): the body is read exactly as JSON.parse reads
// it (JSON.parse is the oracle), a method or name is only ever one the
// message holds, and where a reader and the MCP server could see different
// methods or names — a repeated or escape-spelled member, a batch — the
// message is unreadable.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { skipWhitespace } from '../../../src/core/json-scanner.ts';
import { scanValue } from '../../../src/core/json-value.ts';
import { readMcpMessage } from '../../../src/core/mcp-message.ts';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const read = (text: string) => readMcpMessage(bytes(text));

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether the scanner takes `text` as one JSON document (a value between optional whitespace). */
function scans(text: string): boolean {
  const end = scanValue(text, 0);
  return end >= 0 && skipWhitespace(text, end) === text.length;
}

// Text that is JSON, almost JSON, or JSON cut or spliced: the characters JSON is made of.
const JSON_ALPHABET = Array.from('{}[]:,"\\/ \t\n\r0123456789-+.eEtrufalsnbx\u00e9\u2028');
const jsonishArb = fc.oneof(
  fc.json(),
  fc.string({ unit: fc.constantFrom(...JSON_ALPHABET), maxLength: 40 }),
  fc.tuple(fc.json(), fc.nat(), fc.string({ unit: fc.constantFrom(...JSON_ALPHABET), maxLength: 3 }))
    .map(([text, at, insert]) => text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1))),
);

const message = (extra: string): string => `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"delete_alert"${extra}}}`;

describe('MCP message reader (JSON-RPC 2.0 body of a POST)', () => {
  describe('JSON syntax, with JSON.parse as the oracle', () => {
    it('scans a document exactly when JSON.parse parses it', () => {
      fc.assert(fc.property(jsonishArb, (text) => {
        assert.equal(scans(text), parses(text), JSON.stringify(text));
      }), { numRuns: 3000 });
    });

    it('reads a tools/call whose arguments are any text exactly when JSON.parse parses the body', () => {
      fc.assert(fc.property(jsonishArb, (argumentsText) => {
        const body = message(`,"arguments":${argumentsText}`);
        assert.equal(read(body).kind === 'request', parses(body), body);
      }), { numRuns: 2000 });
    });

    it('never throws, whatever the bytes', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (body) => {
        readMcpMessage(body);
      }), { numRuns: 2000 });
    });

    it('never reads a method or a tool name that is not the one JSON.parse sees', () => {
      const memberArb = fc.constantFrom('jsonrpc', 'id', 'method', 'params', 'name', 'result', 'error', 'x');
      const valueArb = fc.oneof(fc.constantFrom('2.0', 'tools/call', 'ping', 1, null), fc.jsonValue({ maxDepth: 2 }));
      const objectArb = fc.dictionary(memberArb, valueArb, { maxKeys: 6 });
      const bodyArb = fc.tuple(objectArb, fc.option(fc.dictionary(memberArb, valueArb, { maxKeys: 4 }))).map(([top, params]) =>
        JSON.stringify(params === null ? top : { ...top, params }));
      fc.assert(fc.property(bodyArb, (body) => {
        const result = read(body);
        if (result.kind !== 'request') return;
        const parsed = JSON.parse(body) as { jsonrpc: unknown; method: unknown; params?: { name?: unknown } };
        assert.equal(parsed.jsonrpc, '2.0');
        assert.equal(result.method, parsed.method);
        assert.equal(result.name, typeof parsed.params?.name === 'string' ? parsed.params.name : undefined);
      }), { numRuns: 3000 });
    });

    it('reads members JSON.parse decodes from escapes in values (a tool name with \\u escapes is the decoded name)', () => {
      assert.deepEqual(read('{"jsonrpc":"2.0","id":1,"method":"tools\\/call","params":{"name":"delete\\u005falert"}}'),
        { kind: 'request', method: 'tools/call', name: 'delete_alert', uri: undefined });
    });

    it('refuses what JSON.parse refuses: a byte order mark, invalid UTF-8, trailing text, a trailing comma, a leading zero', () => {
      for (const body of [
        '\ufeff{"jsonrpc":"2.0","id":1,"method":"ping"}', '{"jsonrpc":"2.0","id":1,"method":"ping"} x',
        '{"jsonrpc":"2.0","id":1,"method":"ping",}', '{"jsonrpc":"2.0","id":01,"method":"ping"}',
      ]) assert.equal(read(body).kind, 'unreadable', body);
      assert.equal(readMcpMessage(Buffer.concat([bytes('{"jsonrpc":"2.0","id":1,"method":"ping","x":"'), Buffer.from([0xc3, 0x28]), bytes('"}')])).kind, 'unreadable');
    });

    it('reads a document nested 100,000 deep in arguments without running out of stack', () => {
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      assert.equal(read(message(`,"arguments":${deep}`)).kind, 'request');
      assert.equal(read(message(`,"arguments":${deep.slice(1)}`)).kind, 'unreadable');
    });
  });

  describe('messages a reader and the server could read differently', () => {
    for (const member of ['jsonrpc', 'id', 'method', 'params']) {
      it(`attack: a top-level "${member}" given twice must be unreadable (JSON.parse keeps the last, other parsers the first)`, () => {
        const value = member === 'params' ? '{"name":"list_alerts"}' : member === 'id' ? '8' : member === 'jsonrpc' ? '"2.0"' : '"tools/list"';
        assert.equal(read(message(`,"x":1}, "${member}":${value}, "y":{"z":1`)).kind, 'unreadable');
      });
    }

    for (const member of ['result', 'error']) {
      it(`attack: a response's "${member}" given twice must be unreadable`, () => {
        assert.equal(read(`{"jsonrpc":"2.0","id":1,"${member}":{}}`).kind, 'response');
        assert.equal(read(`{"jsonrpc":"2.0","id":1,"${member}":{},"${member}":{}}`).kind, 'unreadable');
      });
    }

    for (const member of ['name', 'uri']) {
      it(`attack: params."${member}" given twice must be unreadable`, () => {
        assert.equal(read(`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"${member}":"a","x":[],"${member}":"b"}}`).kind, 'unreadable');
      });
    }

    it('attack: a method, params or name spelled with an escape must be unreadable', () => {
      fc.assert(fc.property(fc.constantFrom('method', 'params', 'name', 'jsonrpc', 'id'), fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), (member, escape) => {
        const spelled = Array.from(member).map((character, index) => (escape[index] === true ? `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}` : character)).join('');
        fc.pre(spelled !== member);
        const body = member === 'name'
          ? `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"${spelled}":"delete_alert"}}`
          : `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"},"${spelled}":${member === 'params' ? '{"name":"y"}' : '"2.0"'}}`;
        assert.equal(read(body).kind, 'unreadable', body);
      }));
    });

    it('reads other members spelled with escapes, and a repeated member that is not one the reader or server decides on', () => {
      assert.equal(read(message(',"argu\\u006dents":{},"_meta":1,"_meta":2')).kind, 'request');
    });

    it('attack: a batch (a top-level array) must be unreadable, even of one call', () => {
      assert.equal(read('[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_alerts"}}]').kind, 'unreadable');
    });
  });

  describe('what a message is', () => {
    it('reads a request, a notification and the uri of resources/read', () => {
      assert.deepEqual(read(' {"jsonrpc" : "2.0", "id":"a", "method":"resources/read", "params":{"uri":"file:///a"}} '),
        { kind: 'request', method: 'resources/read', name: undefined, uri: 'file:///a' });
      assert.deepEqual(read('{"jsonrpc":"2.0","method":"notifications/initialized"}'),
        { kind: 'request', method: 'notifications/initialized', name: undefined, uri: undefined });
    });

    it('reads a response: an id with result, or with error (id null only with an error)', () => {
      for (const body of ['{"jsonrpc":"2.0","id":1,"result":{}}', '{"jsonrpc":"2.0","id":"s","error":{"code":-1,"message":"no"}}', '{"jsonrpc":"2.0","id":null,"error":{"code":-32700}}']) {
        assert.deepEqual(read(body), { kind: 'response' }, body);
      }
    });

    it('refuses what is neither a request, a notification nor a response', () => {
      for (const body of [
        '{"jsonrpc":"2.0","id":1}', '{"jsonrpc":"2.0","id":1,"result":1,"error":{}}', '{"jsonrpc":"2.0","id":null,"result":1}',
        '{"id":1,"method":"ping"}', '{"jsonrpc":"1.0","id":1,"method":"ping"}', '{"jsonrpc":"2.0","id":1,"method":7}',
        '{"jsonrpc":"2.0","id":{},"method":"ping"}', '{"jsonrpc":"2.0","id":1,"method":"ping","result":1}',
        '{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}', '"tools/call"', '', 'null',
      ]) assert.equal(read(body).kind, 'unreadable', body);
    });
  });
});
