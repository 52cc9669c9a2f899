// The ext_authz adapter around the decision core (SPEC.md 1.1 --check-timeout,
// 2.5, 3): every Check is answered with a complete CheckResponse — a check that
// cannot finish in time is a 503 `timeout`, an unexpected error a 500
// `internal_error`, never a rejected promise; every rejection is one warn line
// with the request fields and a token hash but no part of the token; metrics
// carry only configured or closed-set labels; drained() waits for in-flight checks.
import { strict as assert } from 'node:assert';
import { createHash, KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import type { KeyLookup, KeyResolver } from '../../../src/core/key-resolver.ts';
import type { CheckRequest, CheckResponse, HeaderValueOption } from '../../../src/envoy/proto.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { Metrics } from '../../../src/obs/metrics.ts';
import type { AudiencePolicySpec } from '../../../src/policy/policy-schema.ts';
import { PolicyStore } from '../../../src/policy/policy-store.ts';
import { CheckHandler } from '../../../src/runner/check-runner.ts';
import { capturingDestination, recordToken } from '../../support/secret-ledger.ts';
import { ISSUER, policyDocument, RESOURCE } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;
const KID = 'k1';
const SOURCE = { address: { socket_address: { address: '10.1.2.3', port_value: 40000 } } };

type Behaviour =
  | { readonly kind: 'key'; readonly key: KeyObject }
  | { readonly kind: 'lookup'; readonly lookup: KeyLookup }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reject' }
  | { readonly kind: 'throw' }
  | { readonly kind: 'gate'; readonly key: KeyObject; readonly opened: Promise<void> };

/** A KeyResolver whose behaviour each test chooses. */
class ScriptedKeys implements KeyResolver {
  calls = 0;
  readonly #behaviour: Behaviour;

  constructor(behaviour: Behaviour) {
    this.#behaviour = behaviour;
  }

  resolve(): Promise<KeyLookup> {
    this.calls += 1;
    const behaviour = this.#behaviour;
    switch (behaviour.kind) {
      case 'key': return Promise.resolve({ kind: 'key', key: behaviour.key });
      case 'lookup': return Promise.resolve(behaviour.lookup);
      case 'hang': return new Promise<KeyLookup>(() => undefined);
      case 'reject': return Promise.reject(new Error('resolver exploded'));
      case 'throw': throw new Error('resolver exploded synchronously');
      case 'gate': return behaviour.opened.then(() => ({ kind: 'key', key: behaviour.key }));
    }
  }
}

interface Setup {
  readonly handler: CheckHandler;
  readonly metrics: Metrics;
  readonly keys: ScriptedKeys;
  /** Parsed log lines. */
  readonly lines: Record<string, unknown>[];
  /** Raw log output. */
  readonly raw: string[];
}

let signingKey: CryptoKey;
let verifyingKey: KeyObject;

function setup(behaviour: Behaviour, spec: Partial<AudiencePolicySpec> = {}, checkTimeoutMs = 2_000): Setup {
  const store = new PolicyStore();
  store.replace([{ origin: 'test#0', document: policyDocument({ requiredScopes: ['mcp:tools'], ...spec }), createdAt: 0 }], 0);
  const keys = new ScriptedKeys(behaviour);
  const environment = jwtCheckEnvironment({ keys, now: () => NOW, maxTokenBytes: 16_384 });
  const metrics = new Metrics({ defaultMetrics: false });
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger('info', capturingDestination((line) => {
    raw.push(line);
    lines.push(JSON.parse(line) as Record<string, unknown>);
  }));
  return { handler: new CheckHandler({ store, environment, metrics, logger, checkTimeoutMs }), metrics, keys, lines, raw };
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: RESOURCE, sub: 'user-1', client_id: 'mcp-client', jti: 'jti-1', iat: NOW - 10, exp: NOW + 300, scope: 'mcp:tools', ...overrides };
}

async function token(payload: JWTPayload = claims()): Promise<string> {
  return recordToken(await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: KID }).sign(signingKey));
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

function reasonOf(response: CheckResponse): string | undefined {
  return response.dynamic_metadata?.fields?.reason?.stringValue;
}

function assertCompleteDeny(response: CheckResponse, httpStatus: number, reason: string): void {
  assert.notEqual(response.status?.code ?? 0, 0, 'a deny has a non-zero status.code');
  assert.equal(response.ok_response, undefined);
  assert.equal(response.denied_response?.status?.code, httpStatus);
  assert.equal(headerValue(response.denied_response.headers, 'content-type'), 'application/json');
  const body = JSON.parse(response.denied_response.body ?? '') as Record<string, unknown>;
  assert.equal(typeof body.error, 'string');
  assert.equal(typeof body.error_description, 'string');
  assert.equal(reasonOf(response), reason);
}

function rejectionLines(lines: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return lines.filter((line) => line.event === 'token_rejected');
}

function sha16(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

/** The whole token and each of its segments long enough to recognise. */
function tokenPieces(value: string): string[] {
  return [value, ...value.split('.').filter((segment) => segment.length >= 8)];
}

interface Sample {
  readonly labels: Record<string, string | number | undefined>;
  readonly value: number;
  readonly metricName?: string;
}

async function samples(metrics: Metrics, name: string): Promise<Sample[]> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  assert.ok(metric !== undefined, `metric ${name} exists`);
  return metric.values;
}

async function valueOf(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const found = (await samples(metrics, name)).filter((sample) => {
    const keys = Object.keys(sample.labels).filter((key) => key !== 'le');
    return keys.length === Object.keys(labels).length && keys.every((key) => sample.labels[key] === labels[key]);
  });
  return found.find((sample) => sample.metricName === undefined || sample.metricName.endsWith('_count'))?.value;
}

describe('CheckHandler', () => {
  before(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    verifyingKey = KeyObject.from(pair.publicKey);
  });

  describe('always answers with a CheckResponse', () => {
    it('answers 503 timeout, complete with status, retry-after and body, when the check cannot finish within checkTimeoutMs', async function () {
      this.timeout(10_000);
      const { handler, keys } = setup({ kind: 'hang' }, {}, 50);
      const response = await handler.check(request(`Bearer ${await token()}`));
      assert.equal(keys.calls, 1, 'the check did reach the key lookup');
      assertCompleteDeny(response, 503, 'timeout');
      assert.equal(response.status?.code, 14, 'UNAVAILABLE');
      assert.ok(headerValue(response.denied_response?.headers, 'retry-after') !== undefined);
      assert.equal(headerValue(response.denied_response?.headers, 'www-authenticate'), undefined);
      assert.equal(response.dynamic_metadata?.fields?.policy?.stringValue, 'mcp/weather');
      assert.equal(handler.inFlight, 0);
    });

    it('answers 500 internal_error when the key resolver rejects', async () => {
      const { handler } = setup({ kind: 'reject' });
      const response = await handler.check(request(`Bearer ${await token()}`));
      assertCompleteDeny(response, 500, 'internal_error');
      assert.equal(handler.inFlight, 0);
    });

    it('answers 500 internal_error when the key resolver throws synchronously', async () => {
      const { handler } = setup({ kind: 'throw' });
      const response = await handler.check(request(`Bearer ${await token()}`));
      assertCompleteDeny(response, 500, 'internal_error');
    });

    it('answers a CheckRequest without attributes with a 403 no_policy deny', async () => {
      const { handler } = setup({ kind: 'hang' });
      assertCompleteDeny(await handler.check({}), 403, 'no_policy');
      assertCompleteDeny(await handler.check({ attributes: {} }), 403, 'no_policy');
      assertCompleteDeny(await handler.check({ attributes: { request: { http: {} } } }), 403, 'no_policy');
    });

    it('answers any shape of request headers without rejecting (property)', async () => {
      const { handler } = setup({ kind: 'lookup', lookup: { kind: 'unknown_key' } });
      const headerNames = fc.constantFrom(':authority', ':method', ':path', 'authorization', 'x-request-id', 'host', 'x-other');
      await fc.assert(fc.asyncProperty(fc.dictionary(headerNames, fc.string({ maxLength: 40 })), async (headers) => {
        const response = await handler.check({ attributes: { request: { http: { headers } } } });
        assert.ok(response.status !== undefined);
        if ((response.status.code ?? 0) !== 0) assert.ok(response.denied_response?.status?.code !== undefined);
      }), { numRuns: 200 });
      assert.equal(handler.inFlight, 0);
    });

    it('allows a valid token and strips it from the upstream request', async () => {
      const { handler, lines } = setup({ kind: 'key', key: verifyingKey });
      const response = await handler.check(request(`Bearer ${await token()}`));
      assert.equal(response.status?.code ?? 0, 0);
      assert.deepEqual(response.ok_response?.headers_to_remove, ['authorization']);
      assert.deepEqual(rejectionLines(lines), []);
    });
  });

  describe('security log', () => {
    const REQUEST_FIELDS = { request_id: 'req-42', host: 'mcp.example.com', method: 'POST', path: '/mcp', source: '10.1.2.3:40000' };

    it('logs one warn token_rejected line with every request field and the token hash, but no part of the token', async () => {
      const { handler, lines, raw } = setup({ kind: 'lookup', lookup: { kind: 'unknown_key' } });
      const presented = await token();
      await handler.check(request(`Bearer ${presented}`, { path: '/mcp?access_token=query-secret-value', host: 'MCP.example.com:443' }));
      const rejected = rejectionLines(lines);
      assert.equal(rejected.length, 1);
      const line = rejected[0]!;
      assert.equal(line.level, 'warn');
      assert.equal(line.reason, 'unknown_key');
      assert.equal(line.enforced, true);
      assert.equal(line.policy, 'mcp/weather');
      for (const [field, value] of Object.entries(REQUEST_FIELDS)) assert.equal(line[field], value, field);
      assert.match(String(line.token_sha256), /^[0-9a-f]{16}$/);
      assert.equal(line.token_sha256, sha16(presented));
      const output = raw.join('\n');
      for (const piece of tokenPieces(presented)) assert.ok(!output.includes(piece), 'the log must not contain the token or a segment of it');
      assert.ok(!output.includes('query-secret-value'), 'the query string is not logged');
      assert.ok(!('sub' in line) && !('client_id' in line), 'claims of an unverified token are not logged');
    });

    it('logs exactly one line for each kind of rejection, with reason and enforced', async function () {
      this.timeout(10_000);
      const presented = await token();
      const cases: { name: string; behaviour: Behaviour; request: CheckRequest; reason: string; hasToken: boolean; timeoutMs?: number }[] = [
        { name: 'no credentials', behaviour: { kind: 'hang' }, request: request(), reason: 'missing_token', hasToken: false },
        { name: 'two credentials', behaviour: { kind: 'hang' }, request: request(`Bearer ${presented}, Bearer ${presented}`), reason: 'invalid_request', hasToken: false },
        { name: 'not a JWS', behaviour: { kind: 'hang' }, request: request('Bearer not-a-jws'), reason: 'malformed_token', hasToken: true },
        { name: 'keys unavailable', behaviour: { kind: 'lookup', lookup: { kind: 'keys_unavailable' } }, request: request(`Bearer ${presented}`), reason: 'keys_unavailable', hasToken: true },
        { name: 'bad signature', behaviour: { kind: 'key', key: KeyObject.from((await generateKeyPair('RS256')).publicKey) }, request: request(`Bearer ${presented}`), reason: 'invalid_signature', hasToken: true },
        { name: 'no policy', behaviour: { kind: 'hang' }, request: request(`Bearer ${presented}`, { host: 'elsewhere.example.com' }), reason: 'no_policy', hasToken: false },
        { name: 'timeout', behaviour: { kind: 'hang' }, request: request(`Bearer ${presented}`), reason: 'timeout', hasToken: false, timeoutMs: 30 },
        { name: 'internal error', behaviour: { kind: 'reject' }, request: request(`Bearer ${presented}`), reason: 'internal_error', hasToken: false },
      ];
      for (const testCase of cases) {
        const { handler, lines, raw } = setup(testCase.behaviour, {}, testCase.timeoutMs ?? 2_000);
        const response = await handler.check(testCase.request);
        assert.equal(reasonOf(response), testCase.reason, testCase.name);
        const rejected = rejectionLines(lines);
        assert.equal(rejected.length, 1, `${testCase.name}: one line`);
        const line = rejected[0]!;
        assert.equal(line.level, 'warn', testCase.name);
        assert.equal(line.reason, testCase.reason, testCase.name);
        assert.equal(line.enforced, true, testCase.name);
        if (testCase.reason !== 'no_policy' && testCase.reason !== 'internal_error') assert.equal(line.policy, 'mcp/weather', testCase.name);
        for (const [field, value] of Object.entries(REQUEST_FIELDS)) {
          if (field !== 'host' || testCase.reason !== 'no_policy') assert.equal(line[field], value, `${testCase.name}: ${field}`);
        }
        if (testCase.hasToken) assert.match(String(line.token_sha256), /^[0-9a-f]{16}$/, testCase.name);
        const output = raw.join('\n');
        for (const piece of tokenPieces(presented)) assert.ok(!output.includes(piece), `${testCase.name}: no part of the token is logged`);
      }
    });

    // Regression (found by this suite, fixed): rejections decided outside the core's token path carry no
    // token_sha256 although a bearer token was presented (SPEC.md 3: every
    // rejection line has token_sha256): CheckHandler#decideWithin builds the
    // `timeout` decision and CheckHandler.check's catch builds the
    // `internal_error` decision with `tokenSHA256: undefined`. (`no_policy` is
    // decided before the credential is read, so it lacks the hash as well.)
    it('logs token_sha256 of the presented token on timeout and internal_error rejections', async function () {
      this.timeout(10_000);
      const presented = await token();
      for (const [behaviour, timeoutMs] of [[{ kind: 'hang' }, 30], [{ kind: 'reject' }, 2_000]] as const) {
        const { handler, lines } = setup(behaviour, {}, timeoutMs);
        await handler.check(request(`Bearer ${presented}`));
        assert.equal(rejectionLines(lines)[0]?.token_sha256, sha16(presented), behaviour.kind);
      }
    });

    // Regression (found by this suite, fixed): an internal_error (e.g. the key resolver throws) is logged without
    // `policy` and without token_sha256, and counted under namespace="" and
    // policy="" although the request matched mcp/weather: CheckHandler.check's
    // catch builds the decision with `policy: undefined, tokenSHA256: undefined`
    // instead of selecting the policy (as the timeout path does) and hashing the token.
    it('attributes an internal_error to the matched policy and logs the token hash', async () => {
      const { handler, lines, metrics } = setup({ kind: 'reject' });
      const presented = await token();
      const response = await handler.check(request(`Bearer ${presented}`));
      assert.equal(response.dynamic_metadata?.fields?.policy?.stringValue, 'mcp/weather');
      const line = rejectionLines(lines)[0]!;
      assert.equal(line.policy, 'mcp/weather');
      assert.equal(line.token_sha256, sha16(presented));
      assert.equal(await valueOf(metrics, 'audience_guard_rejections_total', { namespace: 'mcp', policy: 'weather', reason: 'internal_error', enforced: 'true' }), 1);
    });

    it('logs nothing at warn for an allowed request', async () => {
      const { handler, lines } = setup({ kind: 'key', key: verifyingKey });
      await handler.check(request(`Bearer ${await token()}`));
      assert.deepEqual(lines.filter((line) => line.level === 'warn'), []);
    });

    it('logs a Permissive audience failure as one not-enforced line, with only verified claims', async () => {
      const { handler, lines, raw } = setup({ kind: 'key', key: verifyingKey }, { mode: 'Permissive' });
      const presented = await token(claims({ aud: 'https://other.example.com/mcp' }));
      const response = await handler.check(request(`Bearer ${presented}`));
      assert.equal(response.status?.code ?? 0, 0, 'Permissive allows');
      assert.deepEqual(response.ok_response?.headers_to_remove, ['authorization']);
      const rejected = rejectionLines(lines);
      assert.equal(rejected.length, 1);
      const line = rejected[0]!;
      assert.equal(line.level, 'warn');
      assert.equal(line.reason, 'audience_mismatch');
      assert.equal(line.enforced, false);
      assert.equal(line.policy, 'mcp/weather');
      assert.equal(line.token_sha256, sha16(presented));
      assert.equal(line.sub, 'user-1');
      for (const piece of tokenPieces(presented)) assert.ok(!raw.join('\n').includes(piece));
    });
  });

  describe('metrics', () => {
    it('counts a deny under the policy with result denied and an enforced rejection', async () => {
      const { handler, metrics } = setup({ kind: 'hang' });
      await handler.check(request());
      assert.equal(await valueOf(metrics, 'audience_guard_checks_total', { namespace: 'mcp', policy: 'weather', result: 'denied' }), 1);
      assert.equal(await valueOf(metrics, 'audience_guard_rejections_total', { namespace: 'mcp', policy: 'weather', reason: 'missing_token', enforced: 'true' }), 1);
      assert.equal(await valueOf(metrics, 'audience_guard_check_duration_seconds', { result: 'denied' }), 1);
    });

    it('counts a timeout as result error with reason timeout', async function () {
      this.timeout(10_000);
      const { handler, metrics } = setup({ kind: 'hang' }, {}, 30);
      await handler.check(request(`Bearer ${await token()}`));
      assert.equal(await valueOf(metrics, 'audience_guard_checks_total', { namespace: 'mcp', policy: 'weather', result: 'error' }), 1);
      assert.equal(await valueOf(metrics, 'audience_guard_rejections_total', { namespace: 'mcp', policy: 'weather', reason: 'timeout', enforced: 'true' }), 1);
    });

    it('counts an internal error as result error', async () => {
      const { handler, metrics } = setup({ kind: 'reject' });
      await handler.check(request(`Bearer ${await token()}`));
      const errors = (await samples(metrics, 'audience_guard_checks_total')).filter((sample) => sample.labels.result === 'error');
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.value, 1);
      const reasons = (await samples(metrics, 'audience_guard_rejections_total')).map((sample) => sample.labels.reason);
      assert.deepEqual(reasons, ['internal_error']);
    });

    it('counts an allow as result allowed and no rejection', async () => {
      const { handler, metrics } = setup({ kind: 'key', key: verifyingKey });
      await handler.check(request(`Bearer ${await token()}`));
      assert.equal(await valueOf(metrics, 'audience_guard_checks_total', { namespace: 'mcp', policy: 'weather', result: 'allowed' }), 1);
      assert.deepEqual(await samples(metrics, 'audience_guard_rejections_total'), []);
    });

    it('counts a Permissive audience failure as allowed with a rejection enforced="false"', async () => {
      const { handler, metrics } = setup({ kind: 'key', key: verifyingKey }, { mode: 'Permissive' });
      await handler.check(request(`Bearer ${await token(claims({ aud: 'https://other.example.com/mcp' }))}`));
      assert.equal(await valueOf(metrics, 'audience_guard_checks_total', { namespace: 'mcp', policy: 'weather', result: 'allowed' }), 1);
      assert.equal(await valueOf(metrics, 'audience_guard_rejections_total', { namespace: 'mcp', policy: 'weather', reason: 'audience_mismatch', enforced: 'false' }), 1);
    });

    it('never uses request or token content as a label value', async () => {
      const { handler, metrics } = setup({ kind: 'lookup', lookup: { kind: 'unknown_key' } });
      const presented = await token();
      await handler.check(request(`Bearer ${presented}`, { host: 'attacker-chosen.example.com', path: '/attacker-path' }));
      await handler.check(request(`Bearer ${presented}`, { path: '/mcp/attacker-path' }));
      const exposition = await metrics.registry.metrics();
      assert.ok(!exposition.includes('attacker'), 'no request content in labels');
      for (const piece of tokenPieces(presented)) assert.ok(!exposition.includes(piece));
    });
  });

  describe('drain', () => {
    it('drained() resolves at once when nothing is in flight', async () => {
      const { handler } = setup({ kind: 'hang' });
      await handler.drained();
    });

    it('drained() resolves only after the in-flight checks have finished', async () => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => { open = resolve; });
      const { handler } = setup({ kind: 'gate', key: verifyingKey, opened });
      const presented = await token();
      const first = handler.check(request(`Bearer ${presented}`));
      const second = handler.check(request(`Bearer ${presented}`));
      assert.equal(handler.inFlight, 2);
      let drained = false;
      const draining = handler.drained().then(() => { drained = true; });
      for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(drained, false, 'drained() must wait for the checks');
      open();
      const responses = await Promise.all([first, second]);
      await draining;
      assert.equal(drained, true);
      assert.equal(handler.inFlight, 0);
      for (const response of responses) assert.equal(response.status?.code ?? 0, 0);
    });
  });
});
