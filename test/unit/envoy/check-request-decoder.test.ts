// The hand-written CheckRequest decoder (src/envoy/check-request-decoder.ts)
// against proto-loader: requests encoded with Envoy's own protos must read
// the same through parseCheckRequest, for realistic and for arbitrary
// requests, repeated fields and map keys included; malformed bytes must fail
// with a RangeError (grpc-js then fails the call), never hang or mis-read.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { decodeCheckRequest, HEADERS_READ } from '../../../src/envoy/check-request-decoder.ts';
import { parseCheckRequest } from '../../../src/envoy/check-request.ts';
import { loadAuthorizationService, PROTO_LOADER_OPTIONS, type CheckRequest } from '../../../src/envoy/proto.ts';
import { envoyIncludeDirs } from '../../support/envoy-protos.ts';

const envoy = (loadSync('envoy/service/auth/v3/external_auth.proto', { ...PROTO_LOADER_OPTIONS, includeDirs: envoyIncludeDirs() })['envoy.service.auth.v3.Authorization'] as Record<string, MethodDefinition<object, object>>).Check!;
const protoLoader = loadAuthorizationService().service.Check!;

function encode(request: object): Buffer {
  return envoy.requestSerialize(request);
}

function reference(bytes: Buffer): CheckRequest {
  return protoLoader.requestDeserialize(bytes) as CheckRequest;
}

/** What the check reads from a decoded request: the parse result plus the raw fields behind it. */
function seen(request: CheckRequest): unknown {
  const http = request.attributes?.request?.http;
  const headers = Object.fromEntries(Object.entries(http?.headers ?? {}).filter(([name]) => HEADERS_READ.includes(name)));
  return {
    parsed: parseCheckRequest(request),
    headers,
    method: http?.method, path: http?.path, host: http?.host,
    socket: request.attributes?.source?.address?.socket_address === undefined ? undefined
      : { address: request.attributes.source.address.socket_address.address, port_value: request.attributes.source.address.socket_address.port_value },
    context: request.attributes?.context_extensions,
    body: http?.body, rawBody: http?.raw_body === undefined ? undefined : Buffer.from(http.raw_body).toString('hex'),
    certificate: request.attributes?.source?.certificate,
  };
}

const REALISTIC = {
  attributes: {
    source: { address: { socket_address: { protocol: 'TCP', address: '10.1.2.3', port_value: 51234 } }, principal: 'spiffe://cluster.local/ns/agents/sa/agent-1', labels: { app: 'agent' } },
    destination: { address: { socket_address: { address: '10.0.0.7', port_value: 8080 } }, service: 'mcp-server' },
    request: {
      time: { seconds: '1767225600', nanos: 123000000 },
      http: {
        id: '7d0e5c1a', method: 'POST', path: '/mcp?session=abc', host: 'mcp.example.com', scheme: 'https', protocol: 'HTTP/2', size: '187', body: '{"jsonrpc":"2.0"}',
        headers: { ':authority': 'MCP.example.com:443', ':path': '/mcp?session=abc', ':method': 'POST', authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln', 'x-request-id': 'req-1', 'user-agent': 'agent/1', 'mcp-protocol-version': '2025-06-18' },
        header_map: { headers: [{ key: ':path', value: '/mcp?session=abc' }] },
      },
    },
    context_extensions: { 'audienceguard.dev/policy': 'mcp/weather', other: 'x' },
  },
};

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('', 'Bearer abc.def.ghi', 'mcp.example.com'));
const headerName = fc.oneof(fc.constantFrom(...HEADERS_READ, 'user-agent', 'accept', ':scheme', 'x-forwarded-for', 'Authorization', 'authorization '), fc.string({ maxLength: 14 }));
const requestArbitrary = fc.record({
  attributes: fc.record({
    source: fc.record({ address: fc.record({ socket_address: fc.record({ address: text, port_value: fc.nat(65535) }, { requiredKeys: [] }) }, { requiredKeys: [] }), principal: text, certificate: text }, { requiredKeys: [] }),
    destination: fc.record({ address: fc.record({ socket_address: fc.record({ address: text, port_value: fc.nat(65535) }) }), service: text }, { requiredKeys: [] }),
    request: fc.record({
      time: fc.record({ seconds: fc.nat().map(String), nanos: fc.nat(999_999_999) }),
      http: fc.record({
        id: text, method: text, headers: fc.dictionary(headerName, text, { maxKeys: 12 }), path: text, host: text, scheme: text, protocol: text, body: text,
        raw_body: fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)),
      }, { requiredKeys: [] }),
    }, { requiredKeys: [] }),
    context_extensions: fc.dictionary(fc.oneof(fc.constant('audienceguard.dev/policy'), fc.string({ maxLength: 8 })), text, { maxKeys: 3 }),
  }, { requiredKeys: [] }),
}, { requiredKeys: [] });

describe('CheckRequest decoder', () => {
  it('must read a realistic Envoy request exactly as proto-loader does', () => {
    const bytes = encode(REALISTIC);
    assert.deepEqual(seen(decodeCheckRequest(bytes)), seen(reference(bytes)));
    assert.equal(parseCheckRequest(decodeCheckRequest(bytes)).view.authorization, 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln');
  });

  it('must read arbitrary requests encoded with Envoy\'s protos exactly as proto-loader does', () => {
    fc.assert(fc.property(requestArbitrary, (request) => {
      const bytes = encode(request);
      assert.deepEqual(seen(decodeCheckRequest(bytes)), seen(reference(bytes)));
    }), { numRuns: 1000 });
  });

  it('must let the last occurrence win for a repeated header, message or field, as proto-loader does', () => {
    const first = encode({ attributes: { source: { address: { socket_address: { address: '10.0.0.1', port_value: 1 } } }, request: { http: { method: 'GET', headers: { authorization: 'Bearer first', 'x-request-id': 'a' } } } } });
    const second = encode({ attributes: { source: { address: { socket_address: { address: '10.0.0.2' } } }, request: { http: { headers: { authorization: 'Bearer second' } } } } });
    const bytes = Buffer.concat([first, second]);
    assert.deepEqual(seen(decodeCheckRequest(bytes)), seen(reference(bytes)));
  });

  it('keeps only the headers a check reads', () => {
    const headers = decodeCheckRequest(encode(REALISTIC)).attributes?.request?.http?.headers ?? {};
    assert.deepEqual(Object.keys(headers).sort(), [':authority', ':method', ':path', 'authorization', 'mcp-protocol-version', 'x-request-id']);
  });

  it('must read the body (11), raw_body (12) and the peer certificate (5) at the field numbers of Envoy\'s protos', () => {
    const request = { attributes: { source: { certificate: '-----BEGIN%20CERTIFICATE-----' }, request: { http: { body: '{"a":1}', raw_body: Buffer.from([0, 255, 7]) } } } };
    const decoded = decodeCheckRequest(encode(request));
    assert.equal(decoded.attributes?.source?.certificate, '-----BEGIN%20CERTIFICATE-----');
    const http = decoded.attributes.request?.http;
    assert.equal(http?.body, '{"a":1}');
    assert.deepEqual([...(http.raw_body ?? [])], [0, 255, 7]);
  });

  it('reads an empty message as an empty request', () => {
    assert.deepEqual(decodeCheckRequest(Buffer.alloc(0)), {});
  });

  describe('malformed input', () => {
    it('must fail every truncation of a request that proto-loader fails, and agree on the ones it reads', () => {
      const bytes = encode(REALISTIC);
      for (let length = 0; length < bytes.length; length++) {
        const cut = bytes.subarray(0, length);
        let expected: unknown;
        try {
          expected = seen(reference(cut));
        } catch {
          assert.throws(() => decodeCheckRequest(cut), RangeError, `a cut at ${String(length)} must fail`);
          continue;
        }
        let actual: unknown;
        try {
          actual = seen(decodeCheckRequest(cut));
        } catch (error) {
          assert.ok(error instanceof RangeError, `a cut at ${String(length)}: only RangeErrors`);
          continue;
        }
        assert.deepEqual(actual, expected, `a cut at ${String(length)}`);
      }
    });

    it('must refuse field number 0, wire types 6 and 7, an unmatched end of group and an overlong varint', () => {
      for (const bytes of [[0x00, 0x00], [0x0e], [0x0f], [0x0c], [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]]) {
        assert.throws(() => decodeCheckRequest(Buffer.from(bytes)), RangeError, Buffer.from(bytes).toString('hex'));
      }
    });

    it('must refuse a nested length that runs past its message', () => {
      // attributes (field 1, 3 bytes) holding request (field 4) that claims 5 bytes
      assert.throws(() => decodeCheckRequest(Buffer.from([0x0a, 0x03, 0x22, 0x05, 0x00])), RangeError);
    });

    it('skips groups and fixed-width unknown fields', () => {
      const unknown = Buffer.from([0x1b, 0x08, 0x01, 0x1c, 0x21, 1, 2, 3, 4, 5, 6, 7, 8, 0x2d, 1, 2, 3, 4]); // group 3 {varint}, fixed64 4, fixed32 5
      const bytes = Buffer.concat([unknown, encode(REALISTIC)]);
      assert.deepEqual(seen(decodeCheckRequest(bytes)), seen(reference(encode(REALISTIC))));
    });

    it('throws nothing but RangeError on arbitrary bytes', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeCheckRequest(Buffer.from(bytes));
        } catch (error) {
          assert.ok(error instanceof RangeError, String(error));
        }
      }), { numRuns: 3000 });
    });
  });
});
