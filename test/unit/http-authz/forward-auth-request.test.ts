// One forward-auth request read into the runner's CheckInput
// (src/http-authz/forward-auth-request.ts): the peer first, then the proxy
// family's original request, then the credentials and extras, from the same
// headers the gRPC front end reads out of a CheckRequest.
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { certificateFromHeader } from '../../../src/http-authz/client-certificate.ts';
import type { DistinctHeaders } from '../../../src/http-authz/distinct-headers.ts';
import { readForwardAuth, type ForwardAuthRequest, type ForwardAuthSettings } from '../../../src/http-authz/forward-auth-request.ts';
import { DEFAULT_TRUSTED_CIDRS, TrustedPeers } from '../../../src/http-authz/trusted-peers.ts';
import type { CheckInput, RefusedInput } from '../../../src/runner/check-input.ts';

const PEM = readFileSync(new URL('../../fixtures/tls/endpoint-cert.pem', import.meta.url), 'utf8');
const FORWARDED: DistinctHeaders = {
  host: ['audience-guard:9002'],
  'x-forwarded-method': ['POST'], 'x-forwarded-proto': ['https'], 'x-forwarded-host': ['MCP.example.com:8443'], 'x-forwarded-uri': ['/mcp?s=1'],
};

function settings(overrides: Partial<ForwardAuthSettings> = {}): ForwardAuthSettings {
  return { peers: new TrustedPeers(DEFAULT_TRUSTED_CIDRS), proxy: 'auto', clientCertHeader: undefined, pathPrefix: undefined, ...overrides };
}

function request(headers: DistinctHeaders, overrides: Partial<ForwardAuthRequest> = {}): ForwardAuthRequest {
  return { peerAddress: '127.0.0.6', peerPort: 40000, method: 'GET', target: '/', headers, body: undefined, bodyCut: false, ...overrides };
}

function input(result: CheckInput | RefusedInput): CheckInput {
  assert.ok(!('refused' in result), `refused: ${'refused' in result ? result.refused : ''}`);
  return result;
}

describe('forward-auth request reading', () => {
  it('reads the original request, credentials and extras from the family\'s headers', () => {
    const read = input(readForwardAuth(request({
      ...FORWARDED,
      authorization: ['Bearer abc'], dpop: ['proof'], 'x-request-id': ['r-1'],
      'mcp-method': ['tools/call'], 'mcp-name': ['forecast'], traceparent: ['00-aa-bb-01'], 'x-other': ['x'],
    }, { body: Buffer.from('{"jsonrpc":"2.0"}') }), settings()));
    assert.deepEqual(read.view, { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization: 'Bearer abc', policyReference: undefined });
    assert.equal(read.extras.authority, 'MCP.example.com:8443', 'the host the client addressed, for the DPoP proof\'s htu');
    assert.equal(read.extras.dpopProof, 'proof');
    assert.deepEqual(read.extras.mcpHeaders, { 'mcp-method': 'tools/call', 'mcp-name': 'forecast' });
    assert.deepEqual(read.extras.traceHeaders, { traceparent: '00-aa-bb-01' });
    assert.equal(Buffer.from(read.extras.body ?? []).toString(), '{"jsonrpc":"2.0"}');
    assert.equal(read.extras.bodyPartial, undefined);
    assert.deepEqual(read.log, { request_id: 'r-1', host: 'mcp.example.com', method: 'POST', path: '/mcp', source: '127.0.0.6:40000' });
  });

  it('attack: a peer outside the trusted ranges must be refused untrusted_peer, whatever it sends', () => {
    const result = readForwardAuth(request({ ...FORWARDED, authorization: ['Bearer abc'] }, { peerAddress: '10.0.0.9' }), settings());
    assert.ok('refused' in result);
    assert.equal(result.refused, 'untrusted_peer');
    assert.equal(result.log?.host, '', 'nothing it sent is read');
    assert.equal(result.log.request_id, undefined);
    assert.equal(readForwardAuth(request(FORWARDED, { peerAddress: undefined }), settings()).log?.source, undefined);
    assert.ok('refused' in readForwardAuth(request(FORWARDED, { peerAddress: undefined }), settings()), 'an unknown peer is not trusted');
  });

  it('trusts the configured ranges only, IPv4-mapped IPv6 peers included', () => {
    const peers = new TrustedPeers(['10.244.0.0/16', 'fd00::/8']);
    assert.ok(peers.trusts('10.244.3.4'));
    assert.ok(peers.trusts('::ffff:10.244.3.4'));
    assert.ok(peers.trusts('fd00::1'));
    assert.ok(!peers.trusts('10.245.0.1'));
    assert.ok(!peers.trusts('127.0.0.1'), 'loopback is no longer trusted once ranges are given');
    assert.ok(!peers.trusts('not-an-address'));
    assert.ok(new TrustedPeers(DEFAULT_TRUSTED_CIDRS).trusts('127.0.0.6'), 'a sidecar proxy (Istio connects from 127.0.0.6)');
    assert.ok(new TrustedPeers(DEFAULT_TRUSTED_CIDRS).trusts('::1'));
  });

  it('refuses conflicting proxy headers with invalid_request, keeping the request line for the log', () => {
    const result = readForwardAuth(request({ ...FORWARDED, 'x-original-uri': ['/public'], 'x-request-id': ['r-2'] }, { target: '/check?x' }), settings());
    assert.ok('refused' in result);
    assert.equal(result.refused, 'invalid_request');
    assert.deepEqual(result.log, { request_id: 'r-2', host: '', method: 'GET', path: '/check', source: '127.0.0.6:40000' });
  });

  it('joins a repeated Authorization as Envoy does, so the credential step refuses it', () => {
    assert.equal(input(readForwardAuth(request({ ...FORWARDED, authorization: ['Bearer a', 'Bearer b'] }), settings())).view.authorization, 'Bearer a,Bearer b');
  });

  it('takes the envoy family\'s path prefix off and reads Envoy\'s partial-body mark', () => {
    const read = input(readForwardAuth(request({ host: ['mcp.example.com'], 'x-envoy-auth-partial-body': ['true'] }, {
      method: 'POST', target: '/authz/mcp', body: Buffer.from('{'),
    }), settings({ proxy: 'envoy', pathPrefix: '/authz' })));
    assert.equal(read.view.path, '/mcp');
    assert.equal(read.extras.bodyPartial, true);
  });

  it('attack: a client-sent partial-body mark must not reach a family whose proxy never sends one, and a cut body is marked', () => {
    const forged = input(readForwardAuth(request({ ...FORWARDED, 'x-envoy-auth-partial-body': ['true'] }), settings()));
    assert.equal(forged.extras.bodyPartial, undefined);
    const cut = input(readForwardAuth(request(FORWARDED, { body: Buffer.from('{"a"'), bodyCut: true }), settings()));
    assert.equal(cut.extras.bodyPartial, true);
  });

  describe('client certificate', () => {
    const escaped = encodeURIComponent(PEM);
    const der = new X509Certificate(PEM).raw.toString('base64');

    it('attack: a client-sent certificate header must be ignored unless the operator named that header', () => {
      const read = input(readForwardAuth(request({ ...FORWARDED, 'x-client-cert': [escaped], 'x-forwarded-client-cert': [escaped] }), settings()));
      assert.equal(read.extras.clientCertificate, undefined);
    });

    it('reads URL-encoded PEM and base64 DER from the named header into the same PEM', () => {
      const named = settings({ clientCertHeader: 'x-client-cert' });
      const fromPem = input(readForwardAuth(request({ ...FORWARDED, 'x-client-cert': [escaped] }), named)).extras.clientCertificate;
      const fromDer = input(readForwardAuth(request({ ...FORWARDED, 'x-client-cert': [der] }), named)).extras.clientCertificate;
      assert.ok(fromPem !== undefined && fromDer !== undefined);
      assert.equal(new X509Certificate(fromPem).fingerprint256, new X509Certificate(PEM).fingerprint256);
      assert.equal(new X509Certificate(fromDer).fingerprint256, new X509Certificate(PEM).fingerprint256);
    });

    it('attack: two values of the certificate header (one the client\'s) must refuse the request', () => {
      const result = readForwardAuth(request({ ...FORWARDED, 'x-client-cert': [escaped, escaped] }), settings({ clientCertHeader: 'x-client-cert' }));
      assert.ok('refused' in result);
      assert.equal(result.refused, 'invalid_request');
    });

    it('takes a chain, a value that does not decode, or anything else for no certificate', () => {
      assert.equal(certificateFromHeader(encodeURIComponent(`${PEM}${PEM}`)), undefined);
      assert.equal(certificateFromHeader('%E0%A4%A'), undefined);
      assert.equal(certificateFromHeader('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'), undefined);
      assert.equal(certificateFromHeader('not base64!'), undefined);
      assert.equal(certificateFromHeader(''), undefined);
    });
  });
});
