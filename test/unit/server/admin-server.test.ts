// The admin HTTP listener (docs/contract.md §1.1, §2.9, §3.4): /healthz is
// liveness, /readyz turns 200 only when the service is ready, /metrics is the
// Prometheus exposition, the RFC 9728 documents are served at
// /.well-known/oauth-protected-resource/<host><path> with the same policy selection
// Envoy's requests get (wildcard hosts too); only GET and HEAD.
import { strict as assert } from 'node:assert';
import { request as httpRequest } from 'node:http';
import { Metrics } from '../../../src/obs/metrics.ts';
import { PolicyStore } from '../../../src/policy/policy-store.ts';
import { AdminServer, splitHostPort } from '../../../src/server/admin-server.ts';
import { policyDocument } from '../policy-fixtures.ts';

describe('AdminServer', () => {
  let server: AdminServer;
  let base: string;
  let ready: boolean;
  let metrics: Metrics;
  let store: PolicyStore;

  beforeEach(async () => {
    ready = false;
    metrics = new Metrics({ defaultMetrics: false });
    store = new PolicyStore();
    store.replace([
      { origin: 't#0', document: policyDocument({ resource: 'https://mcp.example.com/mcp', resourceMetadata: { resourceName: 'Weather MCP' } }, { name: 'weather', namespace: 'mcp' }), createdAt: 0 },
      { origin: 't#1', document: policyDocument({ resource: 'https://tools.example.com/v1/tools', hosts: ['*.example.com'] }, { name: 'tools', namespace: 'mcp' }), createdAt: 0 },
      { origin: 't#2', document: policyDocument({ resource: 'https://root.example.org' }, { name: 'root', namespace: 'mcp' }), createdAt: 0 },
    ], 0);
    server = new AdminServer('127.0.0.1:0', metrics, store, { ready: () => ready });
    const port = await server.listen();
    assert.ok(port > 0);
    base = `http://127.0.0.1:${port}`;
  });

  afterEach(async () => {
    await server.close();
  });

  describe('health', () => {
    it('/healthz answers 200 whether or not the service is ready', async () => {
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      ready = true;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
    });

    it('/readyz answers 503 before the service is ready and 200 after', async () => {
      assert.equal((await fetch(`${base}/readyz`)).status, 503);
      ready = true;
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      ready = false; // e.g. shutting down
      assert.equal((await fetch(`${base}/readyz`)).status, 503);
    });

    it('ignores a query string on health paths', async () => {
      ready = true;
      assert.equal((await fetch(`${base}/readyz?verbose=1`)).status, 200);
    });
  });

  describe('/metrics', () => {
    it('serves the Prometheus text exposition with its content type', async () => {
      metrics.rejection('mcp', 'weather', 'missing_token', true);
      const response = await fetch(`${base}/metrics`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), metrics.registry.contentType);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const body = await response.text();
      assert.match(body, /# TYPE audience_guard_checks_total counter/);
      assert.match(body, /audience_guard_rejections_total\{namespace="mcp",policy="weather",reason="missing_token",enforced="true",frontend="grpc"\} 1/);
    });
  });

  describe('methods', () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      it(`answers ${method} with 405 and Allow: GET, HEAD`, async () => {
        for (const path of ['/healthz', '/metrics', '/.well-known/oauth-protected-resource/mcp.example.com/mcp']) {
          const response = await fetch(`${base}${path}`, { method });
          assert.equal(response.status, 405, `${method} ${path}`);
          assert.equal(response.headers.get('allow'), 'GET, HEAD');
        }
      });
    }

    it('answers HEAD like GET, without a body', async () => {
      const response = await fetch(`${base}/.well-known/oauth-protected-resource/mcp.example.com/mcp`, { method: 'HEAD' });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/json');
      assert.equal(await response.text(), '');
    });
  });

  describe('protected-resource metadata', () => {
    async function metadata(path: string): Promise<{ status: number; headers: Headers; document: Record<string, unknown> | undefined }> {
      const response = await fetch(`${base}/.well-known/oauth-protected-resource/${path}`);
      const text = await response.text();
      return { status: response.status, headers: response.headers, document: response.status === 200 ? JSON.parse(text) as Record<string, unknown> : undefined };
    }

    it('serves the document of the policy for an exact host and resource path', async () => {
      const { status, headers, document } = await metadata('mcp.example.com/mcp');
      assert.equal(status, 200);
      assert.equal(headers.get('content-type'), 'application/json');
      assert.equal(headers.get('access-control-allow-origin'), '*');
      assert.equal(document?.resource, 'https://mcp.example.com/mcp');
      assert.deepEqual(document.authorization_servers, ['https://idp.example.com/realms/mcp']);
      assert.deepEqual(document.bearer_methods_supported, ['header']);
      assert.equal(document.resource_name, 'Weather MCP');
    });

    it('serves the document for a host matched by a wildcard policy', async () => {
      const { status, document } = await metadata('a.example.com/v1/tools');
      assert.equal(status, 200);
      assert.equal(document?.resource, 'https://tools.example.com/v1/tools');
    });

    it('compares the host case-insensitively', async () => {
      const { status, document } = await metadata('MCP.Example.COM/mcp');
      assert.equal(status, 200);
      assert.equal(document?.resource, 'https://mcp.example.com/mcp');
    });

    it('serves the document of a resource without a path at /<host>', async () => {
      const { status, document } = await metadata('root.example.org');
      assert.equal(status, 200);
      assert.equal(document?.resource, 'https://root.example.org');
    });

    for (const path of ['unknown.example.net/mcp', 'mcp.example.com/other', 'mcp.example.com/mcp/extra', 'mcp.example.com', 'example.com/v1/tools', '']) {
      it(`answers 404 for an unknown host or path (${JSON.stringify(path)})`, async () => {
        assert.equal((await metadata(path)).status, 404);
      });
    }

    it('follows the store: a policy removed from the snapshot is no longer served', async () => {
      assert.equal((await metadata('mcp.example.com/mcp')).status, 200);
      store.replace([], 0);
      assert.equal((await metadata('mcp.example.com/mcp')).status, 404);
    });
  });

  it('answers 404 for any other path', async () => {
    for (const path of ['/', '/health', '/metrics/extra', '/.well-known/openid-configuration']) {
      assert.equal((await fetch(`${base}${path}`)).status, 404, path);
    }
  });

  it('does not crash on a request target that is not a path', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const outgoing = httpRequest(`${base}/healthz`, { path: '*', method: 'GET' }, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
    assert.equal(status, 404);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });
});

describe('splitHostPort', () => {
  it('splits HOST:PORT, including bracketed IPv6', () => {
    assert.deepEqual(splitHostPort('127.0.0.1:9090'), { host: '127.0.0.1', port: 9090 });
    assert.deepEqual(splitHostPort('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(splitHostPort('localhost:80'), { host: 'localhost', port: 80 });
  });
});
