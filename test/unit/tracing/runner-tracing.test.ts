// The check runner with tracing (README "Tracing", docs/contract.md §3.5):
// one span per check — started with the call's metadata and the request's
// extras, active while decide() runs, ended with the decision after the
// answer is built — also for a request that could not be read; the
// token_rejected line carries the span's ids; and a runner without tracing
// runs nothing of it.
import { strict as assert } from 'node:assert';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import type { Decision } from '../../../src/core/decision.ts';
import type { RequestExtras } from '../../../src/core/request-extras.ts';
import type { CheckInput, FrontEnd } from '../../../src/runner/check-input.ts';
import { CheckRunner } from '../../../src/runner/check-runner.ts';
import type { CallMetadata, CheckSpan, CheckTracing } from '../../../src/tracing/check-tracing.ts';
import { PolicyStore } from '../../../src/policy/policy-store.ts';
import { capturedLog, newMetrics, NOW, rejectionLines, ScriptedKeys } from '../check-fixtures.ts';
import { policyDocument } from '../policy-fixtures.ts';

const EXTRAS: RequestExtras = { traceHeaders: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } };
const INPUT: CheckInput = {
  view: { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization: undefined, policyReference: undefined },
  extras: EXTRAS,
  log: { request_id: 'req-1', host: 'mcp.example.com', method: 'POST', path: '/mcp', source: undefined },
};
const FRONT_END: FrontEnd<CheckInput, Decision | 'failed'> = { name: 'grpc', read: (input) => input, answer: (decision) => decision, failed: () => 'failed' };
const CALL: CallMetadata = { get: () => [] };

/** A CheckTracing that records what the runner asks of it. */
class RecordingTracing implements CheckTracing {
  readonly started: { call: CallMetadata | undefined; extras: RequestExtras | undefined }[] = [];
  readonly ended: Decision[] = [];
  insideDecide = 0;

  start(_frontEnd: 'grpc' | 'http', _startedAt: number, call: CallMetadata | undefined, extras: RequestExtras | undefined): CheckSpan {
    this.started.push({ call, extras });
    return {
      within: async (work) => { this.insideDecide += 1; return work(); },
      logFields: { trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: '00f067aa0ba902b7' },
      end: (decision) => { this.ended.push(decision); },
    };
  }
}

function runnerWith(tracing: CheckTracing | undefined): { runner: CheckRunner; lines: Record<string, unknown>[] } {
  const store = new PolicyStore();
  store.replace([{ origin: 'test#0', document: policyDocument({}, { name: 'weather' }), createdAt: 0 }], 0);
  const { logger, lines } = capturedLog();
  const environment = jwtCheckEnvironment({ keys: new ScriptedKeys({ kind: 'hang' }), now: () => NOW, maxTokenBytes: 16_384 });
  return { runner: new CheckRunner({ store, environment, metrics: newMetrics(), logger, checkTimeoutMs: 2_000, tracing }), lines };
}

describe('CheckRunner with tracing', () => {
  it('starts one span per check with the call\'s metadata and the request\'s extras, runs decide() inside it, and ends it with the decision', async () => {
    const tracing = new RecordingTracing();
    const { runner } = runnerWith(tracing);
    const decision = await runner.run(FRONT_END, INPUT, CALL);
    assert.deepEqual(tracing.started, [{ call: CALL, extras: EXTRAS }]);
    assert.equal(tracing.insideDecide, 1);
    assert.deepEqual(tracing.ended, [decision]);
  });

  it('gives a request that could not be read its span too, under the call\'s trace only', async () => {
    const tracing = new RecordingTracing();
    const { runner } = runnerWith(tracing);
    const unreadable: FrontEnd<CheckInput, Decision | 'failed'> = { ...FRONT_END, read: () => { throw new Error('unreadable'); } };
    const decision = await runner.run(unreadable, INPUT, CALL);
    assert.ok(decision !== 'failed' && decision.kind === 'deny' && decision.reason === 'internal_error');
    assert.deepEqual(tracing.started, [{ call: CALL, extras: undefined }]);
    assert.equal(tracing.ended.length, 1);
  });

  it('writes the span\'s trace_id and span_id into the token_rejected line, after the request fields', async () => {
    const { runner, lines } = runnerWith(new RecordingTracing());
    await runner.run(FRONT_END, INPUT);
    const [line] = rejectionLines(lines);
    assert.equal(line?.trace_id, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(line.span_id, '00f067aa0ba902b7');
    assert.deepEqual(Object.keys(line).slice(-3), ['trace_id', 'span_id', 'msg']);
  });

  it('without tracing writes no trace fields and decides the same', async () => {
    const { runner, lines } = runnerWith(undefined);
    const decision = await runner.run(FRONT_END, INPUT, CALL);
    assert.ok(decision !== 'failed' && decision.kind === 'deny' && decision.reason === 'missing_token');
    assert.equal('trace_id' in (rejectionLines(lines)[0] ?? {}), false);
  });
});
