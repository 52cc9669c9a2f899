// The forward-auth listener over real loopback HTTP (src/http-authz/http-authz-server.ts),
// with the real check runner behind it: who may ask, what a repeated header
// does on the wire, how much body is read, and what the metrics and the
// security log say about the front end.
import { strict as assert } from 'node:assert';
import { request as httpRequest } from 'node:http';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import { createHttpAuthzServer } from '../../../src/http-authz/http-authz-listener.ts';
import { httpAuthzFrontEnd } from '../../../src/http-authz/http-authz-front-end.ts';
import { HttpAuthzServer } from '../../../src/http-authz/http-authz-server.ts';
import { TrustedPeers } from '../../../src/http-authz/trusted-peers.ts';
import { PolicyStore } from '../../../src/policy/policy-store.ts';
import { CheckRunner } from '../../../src/runner/check-runner.ts';
import { forwardAuth, forwardedFamily } from '../../support/forward-auth-client.ts';
import { capturedLog, newMetrics, NOW, rejectionLines, ScriptedKeys, valueOf } from '../check-fixtures.ts';
import { policyDocument } from '../policy-fixtures.ts';

async function start(trustedCidrs: readonly string[], maxRequestBytes = 1024) {
  const store = new PolicyStore();
  store.replace([{ origin: 'test#0', document: policyDocument(), createdAt: 0 }], 0);
  const metrics = newMetrics();
  const { logger, lines } = capturedLog();
  const environment = jwtCheckEnvironment({ keys: new ScriptedKeys({ kind: 'hang' }), now: () => NOW, maxTokenBytes: 16_384 });
  const runner = new CheckRunner({ store, environment, metrics, logger, checkTimeoutMs: 2_000 });
  const server = createHttpAuthzServer(runner, {
    address: '127.0.0.1:0', trustedCidrs, proxy: 'auto', clientCertHeader: undefined, pathPrefix: undefined,
  }, { maxRequestBytes, maxTokenBytes: 16_384 });
  const port = await server.listen();
  return { server, port, metrics, lines, runner };
}

describe('forward-auth listener', () => {
  let running: HttpAuthzServer | undefined;
  afterEach(async () => {
    await running?.close(100);
    running = undefined;
  });

  it('attack: a peer outside the trusted ranges must get 403 untrusted_peer before its body is read', async () => {
    const { server, port, metrics, lines } = await start(['127.0.0.2/32']);
    running = server;
    // The request body never ends: only an answer that does not wait for it can arrive.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: forwardedPairs(), agent: false }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
        response.on('end', () => { resolve({ status: response.statusCode ?? 0, body }); request.destroy(); });
      });
      request.on('error', reject);
      request.write('x'.repeat(100));
    });
    assert.equal(answer.status, 403);
    assert.equal((JSON.parse(answer.body) as { error: string }).error, 'access_denied');
    assert.equal(await valueOf(metrics, 'audience_guard_rejections_total', { namespace: '', policy: '', reason: 'untrusted_peer', enforced: 'true', frontend: 'http' }), 1);
    const [line] = rejectionLines(lines);
    assert.equal(line?.reason, 'untrusted_peer');
    assert.equal(line.frontend, 'http');
  });

  it('answers a peer inside the trusted ranges (127.0.0.2 here) with the decision', async () => {
    const { server, port } = await start(['127.0.0.2/32']);
    running = server;
    const response = await forwardAuth(port, { headers: forwardedFamily('POST', 'mcp.example.com', '/mcp'), localAddress: '127.0.0.2' });
    assert.equal(response.status, 401);
    assert.match(response.headers['www-authenticate'] ?? '', /^Bearer resource_metadata=/);
  });

  it('attack: two X-Forwarded-Uri header lines on the wire must be refused 400 invalid_request, counted under frontend http', async () => {
    const { server, port, metrics } = await start(['127.0.0.0/8']);
    running = server;
    const response = await forwardAuth(port, { headers: [...forwardedFamily('POST', 'mcp.example.com', '/mcp'), ['X-Forwarded-Uri', '/public']] });
    assert.equal(response.status, 400);
    assert.equal((JSON.parse(response.body) as { error: string }).error, 'invalid_request');
    assert.equal(await valueOf(metrics, 'audience_guard_checks_total', { namespace: '', policy: '', result: 'denied', frontend: 'http' }), 1);
  });

  it('attack: a second Host header must not hide from the nginx family (Node\'s plain headers keep only the first)', async () => {
    const { server, port } = await start(['127.0.0.0/8']);
    running = server;
    const response = await forwardAuth(port, { headers: [['Host', 'mcp.example.com'], ['Host', 'other.example.com'], ['X-Original-Method', 'GET'], ['X-Original-URI', '/mcp']] });
    assert.equal(response.status, 400);
  });

  it('reads a body up to the limit and answers a longer one without buffering it', async () => {
    const { server, port } = await start(['127.0.0.0/8'], 64);
    running = server;
    const response = await forwardAuth(port, { method: 'POST', headers: forwardedFamily('POST', 'mcp.example.com', '/mcp'), body: 'x'.repeat(10_000) });
    assert.equal(response.status, 401, 'still a complete decision');
  });

  it('answers the complete 500 deny when an answer cannot be written (a header value Node refuses)', async () => {
    const store = new PolicyStore();
    const { logger } = capturedLog();
    const environment = jwtCheckEnvironment({ keys: new ScriptedKeys({ kind: 'hang' }), now: () => NOW, maxTokenBytes: 16_384 });
    const runner = new CheckRunner({ store, environment, metrics: newMetrics(), logger, checkTimeoutMs: 2_000 });
    const frontEnd = {
      ...httpAuthzFrontEnd({ peers: new TrustedPeers(['127.0.0.0/8']), proxy: 'auto', clientCertHeader: undefined, pathPrefix: undefined }),
      answer: () => ({ status: 200, headers: { 'x-envoy-auth-headers-to-remove': 'dpop', authorization: 'Bearer a\r\nx-injected: 1' }, body: '' }),
    };
    running = new HttpAuthzServer(runner, frontEnd, new TrustedPeers(['127.0.0.0/8']), { address: '127.0.0.1:0', maxBodyBytes: 64, maxHeaderBytes: 16_384 });
    const port = await running.listen();
    const response = await forwardAuth(port, { headers: forwardedFamily('POST', 'mcp.example.com', '/mcp') });
    assert.equal(response.status, 500);
    assert.equal((JSON.parse(response.body) as { error: string }).error, 'server_error');
    assert.equal(response.headers['x-envoy-auth-headers-to-remove'], undefined, 'nothing of the failed allow is left');
    assert.equal(response.headers['x-injected'], undefined);
  });

  it('closes with checks answered and no connection left open', async () => {
    const { server, port, runner } = await start(['127.0.0.0/8']);
    const response = await forwardAuth(port, { headers: forwardedFamily('GET', 'mcp.example.com', '/.well-known/oauth-protected-resource/mcp') });
    assert.equal(response.status, 200);
    await server.close(100);
    assert.equal(runner.inFlight, 0);
    await assert.rejects(forwardAuth(port, { headers: forwardedFamily('POST', 'mcp.example.com', '/mcp') }));
  });
});

function forwardedPairs(): Record<string, string> {
  return Object.fromEntries(forwardedFamily('POST', 'mcp.example.com', '/mcp'));
}
