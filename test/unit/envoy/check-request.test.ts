// Reading Envoy's CheckRequest (docs/contract.md §6.1): host of
// :authority without port and lower-cased, :path without query, the raw
// Authorization value (repeats arrive comma-joined), the explicit policy
// reference; missing input never throws.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { hostOfAuthority, parseCheckRequest, pathWithoutQuery, POLICY_REFERENCE_KEY } from '../../../src/envoy/check-request.ts';
import type { CheckRequest } from '../../../src/envoy/proto.ts';

function checkRequest(headers: Record<string, string>, extra: { contextExtensions?: Record<string, string>; http?: Record<string, string> } = {}): CheckRequest {
  return {
    attributes: {
      source: { address: { socket_address: { address: '10.1.2.3', port_value: 51234 } } },
      request: { http: { ...extra.http, headers } },
      ...(extra.contextExtensions === undefined ? {} : { context_extensions: extra.contextExtensions }),
    },
  };
}

const BASE = { ':method': 'POST', ':authority': 'mcp.example.com', ':path': '/mcp' };

describe('CheckRequest parsing', () => {
  describe(':authority', () => {
    const cases: readonly (readonly [string, string])[] = [
      ['mcp.example.com', 'mcp.example.com'],
      ['mcp.example.com:443', 'mcp.example.com'],
      ['mcp.example.com:8443', 'mcp.example.com'],
      ['MCP.Example.COM', 'mcp.example.com'],
      ['MCP.Example.COM:8080', 'mcp.example.com'],
      ['[::1]:8080', '[::1]'],
      ['[::1]', '[::1]'],
      ['[2001:DB8::1]:443', '[2001:db8::1]'],
      ['127.0.0.1:9000', '127.0.0.1'],
      ['', ''],
    ];
    for (const [authority, host] of cases) {
      it(`reads the host of ${JSON.stringify(authority)} as ${JSON.stringify(host)}`, () => {
        assert.equal(hostOfAuthority(authority), host);
        assert.equal(parseCheckRequest(checkRequest({ ...BASE, ':authority': authority })).view.host, host);
      });
    }

    it('falls back to attributes.request.http.host when :authority is absent', () => {
      const { ':authority': _authority, ...headers } = BASE;
      assert.equal(parseCheckRequest(checkRequest(headers, { http: { host: 'Fallback.example.com:443' } })).view.host, 'fallback.example.com');
    });

    it('never keeps a port or upper-case letters in the host (property)', () => {
      const label = fc.stringMatching(/^[A-Za-z0-9]{1,8}$/);
      fc.assert(fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), fc.option(fc.integer({ min: 0, max: 65535 })), (labels, port) => {
        const host = labels.join('.');
        const authority = port === null ? host : `${host}:${port}`;
        assert.equal(hostOfAuthority(authority), host.toLowerCase());
      }), { numRuns: 500 });
    });
  });

  describe(':path', () => {
    const cases: readonly (readonly [string, string])[] = [
      ['/mcp', '/mcp'],
      ['/mcp?access_token=abc', '/mcp'],
      ['/mcp?', '/mcp'],
      ['/mcp#frag', '/mcp'],
      ['/mcp/x?y=1#z', '/mcp/x'],
      ['/?a=b', '/'],
      ['/MCP', '/MCP'],
      ['/%6Dcp', '/%6Dcp'],
    ];
    for (const [raw, path] of cases) {
      it(`reads ${raw} as path ${path}`, () => {
        assert.equal(pathWithoutQuery(raw), path);
        assert.equal(parseCheckRequest(checkRequest({ ...BASE, ':path': raw })).view.path, path);
      });
    }

    it('keeps the query out of the log fields too', () => {
      const parsed = parseCheckRequest(checkRequest({ ...BASE, ':path': '/mcp?access_token=secret-token' }));
      assert.equal(parsed.log.path, '/mcp');
      assert.equal(JSON.stringify(parsed.log).includes('secret-token'), false);
    });

    it('falls back to attributes.request.http.path when :path is absent', () => {
      const { ':path': _path, ...headers } = BASE;
      assert.equal(parseCheckRequest(checkRequest(headers, { http: { path: '/mcp?x=1' } })).view.path, '/mcp');
    });
  });

  describe(':method', () => {
    it('upper-cases the method', () => {
      assert.equal(parseCheckRequest(checkRequest({ ...BASE, ':method': 'get' })).view.method, 'GET');
    });

    it('falls back to attributes.request.http.method', () => {
      const { ':method': _method, ...headers } = BASE;
      assert.equal(parseCheckRequest(checkRequest(headers, { http: { method: 'head' } })).view.method, 'HEAD');
    });
  });

  describe('authorization', () => {
    it('passes the header value through unchanged', () => {
      assert.equal(parseCheckRequest(checkRequest({ ...BASE, authorization: 'Bearer abc' })).view.authorization, 'Bearer abc');
    });

    it('passes a repeated header joined by a comma as it arrives', () => {
      assert.equal(parseCheckRequest(checkRequest({ ...BASE, authorization: 'Bearer a,Bearer b' })).view.authorization, 'Bearer a,Bearer b');
    });

    it('reports no header as undefined', () => {
      assert.equal(parseCheckRequest(checkRequest(BASE)).view.authorization, undefined);
    });

    it('never reads a token from the query string', () => {
      assert.equal(parseCheckRequest(checkRequest({ ...BASE, ':path': '/mcp?access_token=abc' }, { http: { query: 'access_token=abc' } })).view.authorization, undefined);
    });

    it('keeps the Authorization value out of the log fields', () => {
      const parsed = parseCheckRequest(checkRequest({ ...BASE, authorization: 'Bearer secret-token', 'x-request-id': 'r-1' }));
      assert.equal(JSON.stringify(parsed.log).includes('secret-token'), false);
      assert.equal(parsed.log.request_id, 'r-1');
    });
  });

  describe('context extensions', () => {
    it('reads the explicit policy reference', () => {
      assert.equal(POLICY_REFERENCE_KEY, 'audienceguard.dev/policy');
      const parsed = parseCheckRequest(checkRequest(BASE, { contextExtensions: { [POLICY_REFERENCE_KEY]: 'mcp/weather', other: 'x' } }));
      assert.equal(parsed.view.policyReference, 'mcp/weather');
    });

    it('has no policy reference without the extension', () => {
      assert.equal(parseCheckRequest(checkRequest(BASE, { contextExtensions: { other: 'x' } })).view.policyReference, undefined);
      assert.equal(parseCheckRequest(checkRequest(BASE)).view.policyReference, undefined);
    });
  });

  describe('log fields', () => {
    it('records the peer address as address:port', () => {
      assert.equal(parseCheckRequest(checkRequest(BASE)).log.source, '10.1.2.3:51234');
    });

    it('clips very long values', () => {
      const parsed = parseCheckRequest(checkRequest({ ...BASE, ':path': `/${'a'.repeat(5000)}`, 'x-request-id': 'r'.repeat(5000) }));
      assert.ok(parsed.log.path.length < 1000);
      assert.ok((parsed.log.request_id ?? '').length < 1000);
    });
  });

  describe('missing input', () => {
    const partial: readonly (readonly [string, CheckRequest])[] = [
      ['an empty request', {}],
      ['empty attributes', { attributes: {} }],
      ['an empty request attribute', { attributes: { request: {} } }],
      ['an empty http attribute', { attributes: { request: { http: {} } } }],
      ['empty headers', { attributes: { request: { http: { headers: {} } } } }],
      ['a source without a socket address', { attributes: { source: { address: {} } } }],
      ['a socket address without a port', { attributes: { source: { address: { socket_address: { address: '10.0.0.1' } } } } }],
    ];
    for (const [what, value] of partial) {
      it(`never throws for ${what}`, () => {
        const parsed = parseCheckRequest(value);
        assert.equal(parsed.view.authorization, undefined);
        assert.equal(parsed.view.policyReference, undefined);
        assert.equal(typeof parsed.view.host, 'string');
        assert.equal(typeof parsed.view.path, 'string');
        assert.equal(typeof parsed.view.method, 'string');
      });
    }

    it('never throws for any header map (property)', () => {
      const name = fc.oneof(fc.constantFrom(':authority', ':path', ':method', 'authorization', 'x-request-id'), fc.string({ maxLength: 10 }));
      fc.assert(fc.property(fc.dictionary(name, fc.string({ unit: 'binary', maxLength: 40 })), (headers) => {
        const parsed = parseCheckRequest({ attributes: { request: { http: { headers } } } });
        assert.equal(parsed.view.path.includes('?'), false);
        assert.equal(/[A-Z]/.test(parsed.view.host), false, 'hosts are lower-cased in ASCII (and only in ASCII)');
      }), { numRuns: 1000 });
    });
  });
  describe('request extras', () => {
    it('takes raw_body (pack_as_bytes) over body, and the body text when raw_body is absent', () => {
      const both = parseCheckRequest({ attributes: { request: { http: { headers: BASE, body: 'text', raw_body: Buffer.from('bytes') } } } });
      assert.equal(Buffer.from(both.extras.body ?? []).toString(), 'bytes');
      const text = parseCheckRequest({ attributes: { request: { http: { headers: BASE, body: '{"jsonrpc":"2.0"}' } } } });
      assert.equal(Buffer.from(text.extras.body ?? []).toString(), '{"jsonrpc":"2.0"}');
      assert.equal(parseCheckRequest(checkRequest(BASE)).extras.body, undefined);
    });

    it('marks a body Envoy cut short (x-envoy-auth-partial-body: true), and only then', () => {
      assert.equal(parseCheckRequest(checkRequest({ ...BASE, 'x-envoy-auth-partial-body': 'true' })).extras.bodyPartial, true);
      assert.equal(parseCheckRequest(checkRequest({ ...BASE, 'x-envoy-auth-partial-body': 'false' })).extras.bodyPartial, undefined);
    });

    it('URL-decodes the peer certificate, and treats one that does not decode as absent', () => {
      const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      const sent = parseCheckRequest({ attributes: { source: { certificate: encodeURIComponent(pem) }, request: { http: { headers: BASE } } } });
      assert.equal(sent.extras.clientCertificate, pem);
      const broken = parseCheckRequest({ attributes: { source: { certificate: '%E0%A4%A' }, request: { http: { headers: BASE } } } });
      assert.equal(broken.extras.clientCertificate, undefined);
    });

    it('passes the DPoP proof, the raw authority, the MCP and the trace headers, and no others', () => {
      const parsed = parseCheckRequest(checkRequest({
        ...BASE, ':authority': 'MCP.example.com:8443', dpop: 'proof', 'mcp-method': 'tools/call', traceparent: '00-ab-cd-01', 'user-agent': 'x',
      }));
      assert.equal(parsed.extras.authority, 'MCP.example.com:8443');
      assert.equal(parsed.extras.dpopProof, 'proof');
      assert.deepEqual(parsed.extras.mcpHeaders, { 'mcp-method': 'tools/call' });
      assert.deepEqual(parsed.extras.traceHeaders, { traceparent: '00-ab-cd-01' });
      assert.equal(parseCheckRequest(checkRequest(BASE)).extras.mcpHeaders, undefined);
    });
  });
});
