// Envoy's front end of the check runner (docs/contract.md §2.5, §3.3): every
// CheckRequest, whatever its shape, is answered with a complete CheckResponse
// — a deny always with status, headers and a body, never an RPC error; the
// request fields of the security log are read from the CheckRequest without
// its query string or any credential; nothing from the request or the token
// becomes a metric label.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import { EnvoyCheck } from '../../../src/envoy/envoy-check.ts';
import type { CheckRequest, CheckResponse, HeaderValueOption } from '../../../src/envoy/proto.ts';
import type { Metrics } from '../../../src/obs/metrics.ts';
import type { AudiencePolicySpec } from '../../../src/policy/policy-schema.ts';
import { PolicyStore } from '../../../src/policy/policy-store.ts';
import { CheckRunner } from '../../../src/runner/check-runner.ts';
import { capturedLog, newMetrics, newSigner, NOW, rejectionLines, ScriptedKeys, sha16, tokenPieces, type Behaviour, type Signer } from '../check-fixtures.ts';
import { policyDocument } from '../policy-fixtures.ts';

const SOURCE = { address: { socket_address: { address: '10.1.2.3', port_value: 40000 } } };

interface Setup {
  readonly envoy: EnvoyCheck;
  readonly runner: CheckRunner;
  readonly keys: ScriptedKeys;
  readonly metrics: Metrics;
  readonly lines: Record<string, unknown>[];
  readonly raw: string[];
}

function setup(behaviour: Behaviour, spec: Partial<AudiencePolicySpec> = {}, checkTimeoutMs = 2_000): Setup {
  const store = new PolicyStore();
  store.replace([{ origin: 'test#0', document: policyDocument({ requiredScopes: ['mcp:tools'], ...spec }), createdAt: 0 }], 0);
  const keys = new ScriptedKeys(behaviour);
  const metrics = newMetrics();
  const { logger, lines, raw } = capturedLog();
  const runner = new CheckRunner({ store, environment: jwtCheckEnvironment({ keys, now: () => NOW, maxTokenBytes: 16_384 }), metrics, logger, checkTimeoutMs });
  return { envoy: new EnvoyCheck(runner), runner, keys, metrics, lines, raw };
}

function request(authorization?: string, overrides: { path?: string; host?: string; method?: string } = {}): CheckRequest {
  const headers: Record<string, string> = {
    ':authority': overrides.host ?? 'mcp.example.com',
    ':method': overrides.method ?? 'POST',
    ':path': overrides.path ?? '/mcp',
    'x-request-id': 'req-42',
  };
  if (authorization !== undefined) headers.authorization = authorization;
  return { attributes: { source: SOURCE, request: { http: { headers } } } };
}

function headerValue(headers: readonly HeaderValueOption[] | undefined, name: string): string | undefined {
  return (headers ?? []).find((option) => option.header?.key?.toLowerCase() === name)?.header?.value;
}

function assertCompleteDeny(response: CheckResponse, httpStatus: number, reason: string): void {
  assert.notEqual(response.status?.code ?? 0, 0, 'a deny has a non-zero status.code');
  assert.equal(response.ok_response, undefined);
  assert.equal(response.denied_response?.status?.code, httpStatus);
  assert.equal(headerValue(response.denied_response.headers, 'content-type'), 'application/json');
  const body = JSON.parse(response.denied_response.body ?? '') as Record<string, unknown>;
  assert.equal(typeof body.error, 'string');
  assert.equal(typeof body.error_description, 'string');
  assert.equal(response.dynamic_metadata?.fields?.reason?.stringValue, reason);
}

describe('EnvoyCheck (the ext_authz front end of the check runner)', () => {
  let signer: Signer;

  before(async () => {
    signer = await newSigner();
  });

  describe('always answers with a CheckResponse', () => {
    it('answers 503 timeout, complete with status, retry-after and body, when the check cannot finish within checkTimeoutMs', async function () {
      this.timeout(10_000);
      const { envoy, keys, runner } = setup({ kind: 'hang' }, {}, 50);
      const response = await envoy.check(request(`Bearer ${await signer.sign()}`));
      assert.equal(keys.calls, 1, 'the check did reach the key lookup');
      assertCompleteDeny(response, 503, 'timeout');
      assert.equal(response.status?.code, 14, 'UNAVAILABLE');
      assert.ok(headerValue(response.denied_response?.headers, 'retry-after') !== undefined);
      assert.equal(headerValue(response.denied_response?.headers, 'www-authenticate'), undefined);
      assert.equal(response.dynamic_metadata?.fields?.policy?.stringValue, 'mcp/weather');
      assert.equal(runner.inFlight, 0);
    });

    it('answers 500 internal_error when the key resolver rejects or throws', async () => {
      for (const kind of ['reject', 'throw'] as const) {
        const { envoy } = setup({ kind });
        assertCompleteDeny(await envoy.check(request(`Bearer ${await signer.sign()}`)), 500, 'internal_error');
      }
    });

    it('answers a CheckRequest without attributes with a 403 no_policy deny', async () => {
      const { envoy } = setup({ kind: 'hang' });
      assertCompleteDeny(await envoy.check({}), 403, 'no_policy');
      assertCompleteDeny(await envoy.check({ attributes: {} }), 403, 'no_policy');
      assertCompleteDeny(await envoy.check({ attributes: { request: { http: {} } } }), 403, 'no_policy');
    });

    it('answers any shape of request headers without rejecting (property)', async () => {
      const { envoy, runner } = setup({ kind: 'lookup', lookup: { kind: 'unknown_key' } });
      const headerNames = fc.constantFrom(':authority', ':method', ':path', 'authorization', 'x-request-id', 'host', 'x-other');
      await fc.assert(fc.asyncProperty(fc.dictionary(headerNames, fc.string({ maxLength: 40 })), async (headers) => {
        const response = await envoy.check({ attributes: { request: { http: { headers } } } });
        assert.ok(response.status !== undefined);
        if ((response.status.code ?? 0) !== 0) assert.ok(response.denied_response?.status?.code !== undefined);
      }), { numRuns: 200 });
      assert.equal(runner.inFlight, 0);
    });

    it('allows a valid token and strips it from the upstream request', async () => {
      const { envoy, lines } = setup({ kind: 'key', key: signer.verifyingKey });
      const response = await envoy.check(request(`Bearer ${await signer.sign()}`));
      assert.equal(response.status?.code ?? 0, 0);
      assert.deepEqual(response.ok_response?.headers_to_remove, ['authorization', 'dpop']);
      assert.deepEqual(rejectionLines(lines), []);
    });

    it('answers a metadata request for HEAD with an empty body', async () => {
      const { envoy } = setup({ kind: 'hang' });
      const response = await envoy.check(request(undefined, { method: 'HEAD', path: '/.well-known/oauth-protected-resource/mcp' }));
      assert.equal(response.denied_response?.status?.code, 200);
      assert.equal(response.denied_response.body, '');
    });
  });

  it('logs one warn line with the request fields read from the CheckRequest and the token hash, but no part of the token or the query', async () => {
    const { envoy, lines, raw } = setup({ kind: 'lookup', lookup: { kind: 'unknown_key' } });
    const presented = await signer.sign();
    await envoy.check(request(`Bearer ${presented}`, { path: '/mcp?access_token=query-secret-value', host: 'MCP.example.com:443' }));
    const rejected = rejectionLines(lines);
    assert.equal(rejected.length, 1);
    const line = rejected[0]!;
    assert.deepEqual([line.level, line.reason, line.enforced, line.policy], ['warn', 'unknown_key', true, 'mcp/weather']);
    const fields = { request_id: 'req-42', host: 'mcp.example.com', method: 'POST', path: '/mcp', source: '10.1.2.3:40000' };
    for (const [field, value] of Object.entries(fields)) assert.equal(line[field], value, field);
    assert.equal(line.token_sha256, sha16(presented));
    const output = raw.join('\n');
    for (const piece of tokenPieces(presented)) assert.ok(!output.includes(piece), 'the log must not contain the token or a segment of it');
    assert.ok(!output.includes('query-secret-value'), 'the query string is not logged');
  });

  it('never uses request or token content as a label value', async () => {
    const { envoy, metrics } = setup({ kind: 'lookup', lookup: { kind: 'unknown_key' } });
    const presented = await signer.sign();
    await envoy.check(request(`Bearer ${presented}`, { host: 'attacker-chosen.example.com', path: '/attacker-path' }));
    await envoy.check(request(`Bearer ${presented}`, { path: '/mcp/attacker-path' }));
    const exposition = await metrics.registry.metrics();
    assert.ok(!exposition.includes('attacker'), 'no request content in labels');
    for (const piece of tokenPieces(presented)) assert.ok(!exposition.includes(piece));
  });
});
