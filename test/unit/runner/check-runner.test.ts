// The check runner, protocol-neutral (docs/contract.md §1.1 --check-timeout,
// §2.1, §3.3): every check ends in a decision — one that cannot finish in
// time is a 503 `timeout`, an unexpected error a 500 `internal_error`, never
// a rejected promise; both are attributed to the policy and token of the one
// snapshot reading the check made; every rejection is one warn line with the
// request fields and a token hash but no part of the token; metrics carry only
// configured or closed-set labels; drained() waits for in-flight checks.
// Driven through a front end that hands the decision back as it is.
import { strict as assert } from 'node:assert';
import { KeyObject } from 'node:crypto';
import { generateKeyPair } from 'jose';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import type { Decision } from '../../../src/core/decision.ts';
import type { HttpRequestView } from '../../../src/core/http-request.ts';
import type { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import { NO_EXTRAS } from '../../../src/core/request-extras.ts';
import type { Metrics } from '../../../src/obs/metrics.ts';
import type { AudiencePolicySpec } from '../../../src/policy/policy-schema.ts';
import { PolicyStore } from '../../../src/policy/policy-store.ts';
import type { CheckInput, FrontEnd } from '../../../src/runner/check-input.ts';
import { CheckRunner } from '../../../src/runner/check-runner.ts';
import {
  capturedLog, claims, newMetrics, newSigner, NOW, rejectionLines, samples, ScriptedKeys, sha16, tokenPieces, valueOf,
  type Behaviour, type Signer,
} from '../check-fixtures.ts';
import { policyDocument } from '../policy-fixtures.ts';

/** A front end whose request is the CheckInput itself and whose answer is the decision. */
const DECISIONS: FrontEnd<CheckInput, Decision | 'failed'> = { name: 'http', read: (input) => input, answer: (decision) => decision, failed: () => 'failed' };

const LOG = { request_id: 'req-42', host: 'mcp.example.com', method: 'POST', path: '/mcp', source: '10.1.2.3:40000' };

function input(authorization?: string, view: Partial<HttpRequestView> = {}): CheckInput {
  return { view: { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization, policyReference: undefined, ...view }, extras: NO_EXTRAS, log: LOG };
}

/** A policy store that counts how often the snapshot is read. */
class CountingStore {
  reads = 0;
  readonly #snapshots: readonly PolicySnapshot[];
  constructor(...snapshots: readonly PolicySnapshot[]) {
    this.#snapshots = snapshots;
  }
  current(): PolicySnapshot {
    const snapshot = this.#snapshots[Math.min(this.reads, this.#snapshots.length - 1)];
    this.reads += 1;
    assert.ok(snapshot !== undefined);
    return snapshot;
  }
}

function snapshotOf(spec: Partial<AudiencePolicySpec> = {}, name = 'weather'): PolicySnapshot {
  const store = new PolicyStore();
  store.replace([{ origin: 'test#0', document: policyDocument({ requiredScopes: ['mcp:tools'], ...spec }, { name }), createdAt: 0 }], 0);
  return store.current();
}

interface Setup {
  readonly runner: CheckRunner;
  readonly store: CountingStore;
  readonly metrics: Metrics;
  readonly keys: ScriptedKeys;
  readonly lines: Record<string, unknown>[];
  readonly raw: string[];
  readonly check: (request: CheckInput) => Promise<Decision>;
}

function setup(behaviour: Behaviour, spec: Partial<AudiencePolicySpec> = {}, checkTimeoutMs = 2_000, store = new CountingStore(snapshotOf(spec))): Setup {
  const keys = new ScriptedKeys(behaviour);
  const metrics = newMetrics();
  const { logger, lines, raw } = capturedLog();
  const runner = new CheckRunner({ store, environment: jwtCheckEnvironment({ keys, now: () => NOW, maxTokenBytes: 16_384 }), metrics, logger, checkTimeoutMs });
  const check = async (request: CheckInput): Promise<Decision> => {
    const answer = await runner.run(DECISIONS, request);
    assert.notEqual(answer, 'failed');
    return answer as Decision;
  };
  return { runner, store, metrics, keys, lines, raw, check };
}

function reasonOf(decision: Decision): string {
  return decision.kind === 'deny' ? decision.reason : decision.kind;
}

describe('CheckRunner', () => {
  let signer: Signer;
  let strangerKey: KeyObject;

  before(async () => {
    signer = await newSigner();
    strangerKey = KeyObject.from((await generateKeyPair('RS256')).publicKey);
  });

  describe('always ends in a decision', () => {
    it('decides 503 timeout, attributed to the policy with the token hash, when decide() cannot finish within checkTimeoutMs', async () => {
      const { runner, keys, check } = setup({ kind: 'hang' }, {}, 50);
      const token = await signer.sign();
      const decision = await check(input(`Bearer ${token}`));
      assert.equal(keys.calls, 1, 'the check did reach the key lookup');
      assert.ok(decision.kind === 'deny');
      assert.equal(decision.reason, 'timeout');
      assert.equal(decision.policy?.id, 'mcp/weather');
      assert.equal(decision.tokenSHA256, sha16(token));
      assert.deepEqual(decision.challengeScopes, ['mcp:tools']);
      assert.equal(runner.inFlight, 0);
    });

    for (const kind of ['reject', 'throw'] as const) {
      it(`decides 500 internal_error when the key resolver ${kind === 'reject' ? 'rejects' : 'throws synchronously'}`, async () => {
        const { runner, check } = setup({ kind });
        assert.equal(reasonOf(await check(input(`Bearer ${await signer.sign()}`))), 'internal_error');
        assert.equal(runner.inFlight, 0);
      });
    }

    it('decides 500 internal_error, with no policy, when the front end cannot read its request', async () => {
      const { runner, metrics } = setup({ kind: 'hang' });
      const unreadable: FrontEnd<string, Decision | 'failed'> = { ...DECISIONS, read: () => { throw new Error('unreadable'); } };
      const decision = await runner.run(unreadable, 'garbage');
      assert.ok(decision !== 'failed' && decision.kind === 'deny');
      assert.equal(decision.reason, 'internal_error');
      assert.equal(decision.policy, undefined);
      assert.equal(await valueOf(metrics, 'audience_guard_checks_total', { namespace: '', policy: '', result: 'error', frontend: 'http' }), 1);
      assert.equal(runner.inFlight, 0);
    });

    it('answers with the front end\'s failed() when its answer throws, and never rejects', async () => {
      const { runner } = setup({ kind: 'key', key: signer.verifyingKey });
      const throwing: FrontEnd<CheckInput, Decision | 'failed'> = { ...DECISIONS, answer: () => { throw new Error('cannot encode'); } };
      assert.equal(await runner.run(throwing, input(`Bearer ${await signer.sign()}`)), 'failed');
    });

    it('allows a valid token', async () => {
      const { check, lines } = setup({ kind: 'key', key: signer.verifyingKey });
      assert.equal(reasonOf(await check(input(`Bearer ${await signer.sign()}`))), 'allow');
      assert.deepEqual(rejectionLines(lines), []);
    });
  });

  describe('reads the policy snapshot once per check', () => {
    for (const [name, behaviour, timeoutMs] of [['that times out', { kind: 'hang' }, 30], ['that fails', { kind: 'reject' }, 2_000], ['that is decided', { kind: 'lookup', lookup: { kind: 'unknown_key' } }, 2_000]] as const) {
      it(`reads the store exactly once for a check ${name}`, async () => {
        const { store, check } = setup(behaviour, {}, timeoutMs);
        await check(input(`Bearer ${await signer.sign()}`));
        assert.equal(store.reads, 1);
      });
    }

    it('attack: a snapshot swapped in while a check waits must not change the policy its timeout deny is attributed to', async () => {
      const store = new CountingStore(snapshotOf({}, 'weather'), snapshotOf({ requiredScopes: ['other:scope'] }, 'newcomer'));
      const { check } = setup({ kind: 'hang' }, {}, 30, store);
      const decision = await check(input(`Bearer ${await signer.sign()}`));
      assert.ok(decision.kind === 'deny' && decision.reason === 'timeout');
      assert.equal(decision.policy?.id, 'mcp/weather', 'the policy of the snapshot the check read');
      assert.deepEqual(decision.challengeScopes, ['mcp:tools']);
    });
  });

  describe('security log', () => {
    it('logs exactly one warn line for each kind of rejection, with reason, enforced, the request fields and the token hash, but no part of the token', async function () {
      this.timeout(10_000);
      const token = await signer.sign();
      /** `hashed`: the token whose hash the line carries. */
      const cases: { name: string; behaviour: Behaviour; request: CheckInput; reason: string; policy: boolean; hashed?: string; timeoutMs?: number }[] = [
        { name: 'no credentials', behaviour: { kind: 'hang' }, request: input(), reason: 'missing_token', policy: true },
        { name: 'two credentials', behaviour: { kind: 'hang' }, request: input(`Bearer ${token}, Bearer ${token}`), reason: 'invalid_request', policy: true },
        { name: 'not a JWS', behaviour: { kind: 'hang' }, request: input('Bearer not-a-jws'), reason: 'malformed_token', policy: true, hashed: 'not-a-jws' },
        { name: 'keys unavailable', behaviour: { kind: 'lookup', lookup: { kind: 'keys_unavailable' } }, request: input(`Bearer ${token}`), reason: 'keys_unavailable', policy: true, hashed: token },
        { name: 'bad signature', behaviour: { kind: 'key', key: strangerKey }, request: input(`Bearer ${token}`), reason: 'invalid_signature', policy: true, hashed: token },
        { name: 'no policy', behaviour: { kind: 'hang' }, request: input(`Bearer ${token}`, { host: 'elsewhere.example.com' }), reason: 'no_policy', policy: false },
        { name: 'timeout', behaviour: { kind: 'hang' }, request: input(`Bearer ${token}`), reason: 'timeout', policy: true, hashed: token, timeoutMs: 30 },
        { name: 'internal error', behaviour: { kind: 'reject' }, request: input(`Bearer ${token}`), reason: 'internal_error', policy: true, hashed: token },
      ];
      for (const testCase of cases) {
        const { check, lines, raw } = setup(testCase.behaviour, {}, testCase.timeoutMs ?? 2_000);
        assert.equal(reasonOf(await check(testCase.request)), testCase.reason, testCase.name);
        const rejected = rejectionLines(lines);
        assert.equal(rejected.length, 1, `${testCase.name}: one line`);
        const line = rejected[0]!;
        assert.equal(line.level, 'warn', testCase.name);
        assert.equal(line.reason, testCase.reason, testCase.name);
        assert.equal(line.enforced, true, testCase.name);
        assert.equal(line.policy, testCase.policy ? 'mcp/weather' : undefined, testCase.name);
        for (const [field, value] of Object.entries(LOG)) assert.equal(line[field], value, `${testCase.name}: ${field}`);
        assert.equal(line.token_sha256, testCase.hashed === undefined ? undefined : sha16(testCase.hashed), testCase.name);
        for (const piece of tokenPieces(token)) assert.ok(!raw.join('\n').includes(piece), `${testCase.name}: no part of the token is logged`);
        assert.ok(!('sub' in line) && !('client_id' in line), `${testCase.name}: claims of an unverified token are not logged`);
      }
    });

    it('attributes an internal_error to the matched policy, in the log and the metrics', async () => {
      const { check, lines, metrics } = setup({ kind: 'reject' });
      await check(input(`Bearer ${await signer.sign()}`));
      assert.equal(rejectionLines(lines)[0]?.policy, 'mcp/weather');
      assert.equal(await valueOf(metrics, 'audience_guard_rejections_total', { namespace: 'mcp', policy: 'weather', reason: 'internal_error', enforced: 'true', frontend: 'http' }), 1);
    });

    it('logs a Permissive audience failure as one not-enforced line, with only verified claims', async () => {
      const { check, lines, raw } = setup({ kind: 'key', key: signer.verifyingKey }, { mode: 'Permissive' });
      const token = await signer.sign(claims({ aud: 'https://other.example.com/mcp' }));
      assert.equal(reasonOf(await check(input(`Bearer ${token}`))), 'allow');
      const rejected = rejectionLines(lines);
      assert.equal(rejected.length, 1);
      assert.deepEqual([rejected[0]?.reason, rejected[0]?.enforced, rejected[0]?.policy, rejected[0]?.token_sha256, rejected[0]?.sub],
        ['audience_mismatch', false, 'mcp/weather', sha16(token), 'user-1']);
      for (const piece of tokenPieces(token)) assert.ok(!raw.join('\n').includes(piece));
    });
  });

  describe('metrics', () => {
    it('counts a deny under the policy with result denied and an enforced rejection', async () => {
      const { check, metrics } = setup({ kind: 'hang' });
      await check(input());
      assert.equal(await valueOf(metrics, 'audience_guard_checks_total', { namespace: 'mcp', policy: 'weather', result: 'denied', frontend: 'http' }), 1);
      assert.equal(await valueOf(metrics, 'audience_guard_rejections_total', { namespace: 'mcp', policy: 'weather', reason: 'missing_token', enforced: 'true', frontend: 'http' }), 1);
      assert.equal(await valueOf(metrics, 'audience_guard_check_duration_seconds', { result: 'denied' }), 1);
    });

    it('counts a timeout and an internal error as result error', async () => {
      for (const [behaviour, timeoutMs, reason] of [[{ kind: 'hang' }, 30, 'timeout'], [{ kind: 'reject' }, 2_000, 'internal_error']] as const) {
        const { check, metrics } = setup(behaviour, {}, timeoutMs);
        await check(input(`Bearer ${await signer.sign()}`));
        assert.equal(await valueOf(metrics, 'audience_guard_checks_total', { namespace: 'mcp', policy: 'weather', result: 'error', frontend: 'http' }), 1, reason);
        assert.deepEqual((await samples(metrics, 'audience_guard_rejections_total')).map((sample) => sample.labels.reason), [reason]);
      }
    });

    it('counts an allow as result allowed and no rejection', async () => {
      const { check, metrics } = setup({ kind: 'key', key: signer.verifyingKey });
      await check(input(`Bearer ${await signer.sign()}`));
      assert.equal(await valueOf(metrics, 'audience_guard_checks_total', { namespace: 'mcp', policy: 'weather', result: 'allowed', frontend: 'http' }), 1);
      assert.deepEqual(await samples(metrics, 'audience_guard_rejections_total'), []);
    });

    it('counts a Permissive audience failure as allowed with a rejection enforced="false"', async () => {
      const { check, metrics } = setup({ kind: 'key', key: signer.verifyingKey }, { mode: 'Permissive' });
      await check(input(`Bearer ${await signer.sign(claims({ aud: 'https://other.example.com/mcp' }))}`));
      assert.equal(await valueOf(metrics, 'audience_guard_checks_total', { namespace: 'mcp', policy: 'weather', result: 'allowed', frontend: 'http' }), 1);
      assert.equal(await valueOf(metrics, 'audience_guard_rejections_total', { namespace: 'mcp', policy: 'weather', reason: 'audience_mismatch', enforced: 'false', frontend: 'http' }), 1);
    });
  });

  describe('drain', () => {
    it('drained() resolves at once when nothing is in flight', async () => {
      await setup({ kind: 'hang' }).runner.drained();
    });

    it('drained() resolves only after the in-flight checks have finished', async () => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => { open = resolve; });
      const { runner, check } = setup({ kind: 'gate', key: signer.verifyingKey, opened });
      const token = await signer.sign();
      const checks = [check(input(`Bearer ${token}`)), check(input(`Bearer ${token}`))];
      assert.equal(runner.inFlight, 2);
      let drained = false;
      const draining = runner.drained().then(() => { drained = true; });
      for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(drained, false, 'drained() must wait for the checks');
      open();
      const decisions = await Promise.all(checks);
      await draining;
      assert.equal(drained, true);
      assert.equal(runner.inFlight, 0);
      for (const decision of decisions) assert.equal(reasonOf(decision), 'allow');
    });
  });
});
