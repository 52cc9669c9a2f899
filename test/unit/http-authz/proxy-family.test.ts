// Which proxy family describes the original request (src/http-authz/proxy-family.ts):
// exactly one family's headers, complete and each once, or no request at all. A
// client can add any of these headers itself, so every ambiguity is a refusal.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { DistinctHeaders } from '../../../src/http-authz/distinct-headers.ts';
import { familyOf, originalRequest, type ProxySetting, type RequestLine } from '../../../src/http-authz/proxy-family.ts';

const LINE: RequestLine = { method: 'GET', target: '/check', pathPrefix: undefined };
const FORWARDED: DistinctHeaders = {
  'x-forwarded-method': ['POST'], 'x-forwarded-proto': ['https'], 'x-forwarded-host': ['mcp.example.com'], 'x-forwarded-uri': ['/mcp?x=1'],
};
const NGINX: DistinctHeaders = { host: ['mcp.example.com:8443'], 'x-original-method': ['POST'], 'x-original-uri': ['/mcp'] };
const INGRESS_NGINX: DistinctHeaders = { host: ['auth.internal'], 'x-original-method': ['post'], 'x-original-url': ['https://mcp.example.com/mcp?a=b'] };

const read = (headers: DistinctHeaders, setting: ProxySetting = 'auto', line = LINE) => originalRequest(headers, line, setting);

describe('proxy families (forward-auth request mapping)', () => {
  it('reads the forwarded family (Traefik, Caddy) from X-Forwarded-Method, -Host and -Uri', () => {
    assert.deepEqual(read(FORWARDED), { family: 'forwarded', method: 'POST', authority: 'mcp.example.com', target: '/mcp?x=1' });
  });

  it('reads the nginx family from X-Original-Method, X-Original-URI and Host', () => {
    assert.deepEqual(read(NGINX), { family: 'nginx', method: 'POST', authority: 'mcp.example.com:8443', target: '/mcp' });
  });

  it('reads the ingress-nginx family from the absolute X-Original-URL and X-Original-Method, not from Host', () => {
    assert.deepEqual(read(INGRESS_NGINX), { family: 'ingress-nginx', method: 'POST', authority: 'mcp.example.com', target: '/mcp?a=b' });
    assert.equal(read({ ...INGRESS_NGINX, 'x-original-url': ['/mcp'] }), undefined, 'a relative URL is not the ingress-nginx family');
    assert.equal(read({ ...INGRESS_NGINX, 'x-original-url': ['https://user@mcp.example.com/mcp'] }), undefined, 'userinfo is refused');
  });

  it('reads the envoy family from the request line and Host, with the path prefix taken off', () => {
    const headers = { host: ['mcp.example.com'] };
    assert.deepEqual(read(headers, 'auto', { method: 'post', target: '/mcp', pathPrefix: undefined }),
      { family: 'envoy', method: 'POST', authority: 'mcp.example.com', target: '/mcp' });
    assert.deepEqual(read(headers, 'envoy', { method: 'POST', target: '/authz/mcp?q', pathPrefix: '/authz' }),
      { family: 'envoy', method: 'POST', authority: 'mcp.example.com', target: '/mcp?q' });
  });

  it('attack: a request outside the path prefix, or only sharing its first letters, must not be read as Envoy\'s', () => {
    const headers = { host: ['mcp.example.com'] };
    assert.equal(read(headers, 'envoy', { method: 'POST', target: '/mcp', pathPrefix: '/authz' }), undefined);
    assert.equal(read(headers, 'envoy', { method: 'POST', target: '/authzmcp', pathPrefix: '/authz' }), undefined);
  });

  it('takes X-Forwarded-Proto, -Host and -For alone for no family (many proxies add them)', () => {
    const headers = { host: ['mcp.example.com'], 'x-forwarded-proto': ['https'], 'x-forwarded-host': ['evil.example.com'], 'x-forwarded-for': ['10.0.0.1'] };
    assert.equal(familyOf(headers, 'auto'), 'envoy');
    assert.equal(read(headers)?.authority, 'mcp.example.com');
  });

  it('attack: a client forging X-Original-URI next to the proxy\'s X-Forwarded-Uri must get no request read at all', () => {
    assert.equal(read({ ...FORWARDED, 'x-original-uri': ['/public'] }), undefined);
    assert.equal(read({ ...FORWARDED, 'x-original-uri': ['/public'] }, 'forwarded'), undefined, 'not even with the family pinned');
    assert.equal(read({ ...NGINX, 'x-original-url': ['https://other.example.com/'] }), undefined);
  });

  it('attack: two X-Forwarded-Uri values (one the client\'s, one the proxy\'s) must be refused, not resolved to either', () => {
    assert.equal(read({ ...FORWARDED, 'x-forwarded-uri': ['/public', '/mcp'] }), undefined);
    assert.equal(read({ ...FORWARDED, 'x-forwarded-host': ['other.example.com', 'mcp.example.com'] }), undefined);
    assert.equal(read({ ...NGINX, host: ['a.example.com', 'mcp.example.com'] }), undefined);
  });

  it('attack: a family present only in part (a client-sent X-Forwarded-Method alone) must be refused', () => {
    assert.equal(read({ host: ['mcp.example.com'], 'x-forwarded-method': ['GET'] }), undefined);
    const { 'x-forwarded-proto': _proto, ...withoutProto } = FORWARDED;
    assert.equal(read(withoutProto), undefined);
    assert.equal(read({ host: ['mcp.example.com'], 'x-original-uri': ['/mcp'] }), undefined, 'nginx without X-Original-Method');
    assert.equal(read({ 'x-original-url': ['https://mcp.example.com/mcp'] }), undefined, 'ingress-nginx without X-Original-Method');
  });

  it('refuses a pinned family whose headers are missing, and never falls back to another', () => {
    assert.equal(read({ host: ['mcp.example.com'] }, 'forwarded'), undefined);
    assert.equal(read(FORWARDED, 'nginx'), undefined);
  });

  it('refuses targets that are not origin-form and methods that are not tokens', () => {
    assert.equal(read({ ...FORWARDED, 'x-forwarded-uri': ['mcp'] }), undefined);
    assert.equal(read({ ...FORWARDED, 'x-forwarded-uri': ['https://mcp.example.com/mcp'] }), undefined);
    assert.equal(read({ ...FORWARDED, 'x-forwarded-method': ['PO ST'] }), undefined);
    assert.equal(read({ ...FORWARDED, 'x-forwarded-host': ['mcp.example.com/evil'] }), undefined);
  });

  it('reads at most one family, from its own headers only, whatever headers a client adds (property)', () => {
    const names = fc.constantFrom('host', 'x-forwarded-method', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-uri',
      'x-forwarded-for', 'x-original-method', 'x-original-uri', 'x-original-url');
    const values = fc.array(fc.constantFrom('GET', '/mcp', 'https://mcp.example.com/mcp', 'mcp.example.com', '', '/a b'), { minLength: 1, maxLength: 2 });
    const settings = fc.constantFrom<ProxySetting>('auto', 'forwarded', 'nginx', 'ingress-nginx', 'envoy');
    fc.assert(fc.property(fc.dictionary(names, values), settings, (headers, setting) => {
      const request = read(headers, setting);
      if (request === undefined) return;
      if (setting !== 'auto') assert.equal(request.family, setting);
      const defining = { forwarded: ['x-forwarded-method', 'x-forwarded-uri'], nginx: ['x-original-uri'], 'ingress-nginx': ['x-original-url'] };
      for (const [family, headerNames] of Object.entries(defining)) {
        if (family !== request.family) assert.ok(headerNames.every((name) => headers[name] === undefined), `no ${family} header next to ${request.family}`);
      }
    }), { numRuns: 500 });
  });
});
