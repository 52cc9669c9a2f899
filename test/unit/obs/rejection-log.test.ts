// The token_rejected line (src/obs/rejection-log.ts) is written past pino's
// generic path for speed, so it must be the line pino would write for the
// same record: same fields, same order, same level label and bindings — and
// nothing when warn is not enabled. Beyond the rate limit (--log-rate) lines
// are counted instead, and a log_suppressed line says how many.
import { strict as assert } from 'node:assert';
import { createLogger, type LogLevel } from '../../../src/obs/logger.ts';
import { detailFields, RejectionLog, type RejectionRecord } from '../../../src/obs/rejection-log.ts';

/** Resolves once `condition` holds, polling on the event loop. */
async function eventually(condition: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
  }
}

function capture(level: LogLevel): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger(level, { write: (line: string) => { lines.push(line); } }) };
}

const RECORD: RejectionRecord = {
  reason: 'audience_mismatch',
  enforced: true,
  frontend: 'http',
  policy: 'mcp/weather',
  request_id: 'req-"42"\u2028',
  host: 'mcp.example.com',
  method: 'POST',
  path: '/mcp/ünïcode',
  source: '10.1.2.3:40000',
  token_sha256: '0123456789abcdef',
  iss: 'https://idp.example.com',
  sub: 'user-1',
  client_id: undefined,
  aud: ['https://other.example.com/mcp'],
};

function withoutTime(line: string): [string[], Record<string, unknown>] {
  assert.ok(line.endsWith('\n'), 'one line, newline-terminated');
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.match(String(parsed.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  delete parsed.time;
  return [Object.keys(JSON.parse(line) as object), parsed];
}

describe('token_rejected log line', () => {
  for (const enforced of [true, false]) {
    it(`must equal pino's line for the same record (enforced: ${String(enforced)})`, () => {
      const viaPino = capture('info');
      viaPino.logger.warn({ event: 'token_rejected', ...RECORD, enforced }, enforced ? 'request denied' : 'audience failure not enforced (Permissive)');
      const direct = capture('info');
      new RejectionLog(direct.logger).write({ ...RECORD, enforced });
      assert.equal(direct.lines.length, 1);
      assert.deepEqual(withoutTime(direct.lines[0]!), withoutTime(viaPino.lines[0]!));
    });
  }

  it('must write a deny\'s closed-set detail (missing_claim, typ, granted_scopes) as pino would', () => {
    const record: RejectionRecord = { ...RECORD, ...detailFields({ missingClaim: 'sub', typ: 'JWT', grantedScopes: ['mcp:read'] }) };
    const viaPino = capture('info');
    viaPino.logger.warn({ event: 'token_rejected', ...record }, 'request denied');
    const direct = capture('info');
    new RejectionLog(direct.logger).write(record);
    assert.deepEqual(withoutTime(direct.lines[0]!), withoutTime(viaPino.lines[0]!));
    const line = JSON.parse(direct.lines[0]!) as Record<string, unknown>;
    assert.deepEqual([line.missing_claim, line.typ, line.granted_scopes], ['sub', 'JWT', ['mcp:read']]);
  });

  it('must carry the bindings of the logger it is given', () => {
    const { lines, logger } = capture('info');
    new RejectionLog(logger.child({ component: 'grpc' })).write(RECORD);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(line.service, 'audience-guard');
    assert.equal(line.component, 'grpc');
  });

  it('must write nothing when warn is not enabled', () => {
    for (const level of ['error', 'fatal', 'silent'] as const) {
      const { lines, logger } = capture(level);
      new RejectionLog(logger).write(RECORD);
      assert.deepEqual(lines, [], level);
    }
  });

  it('attack: a flood of denies must be written up to the rate only, counted beyond it, and summed up in one log_suppressed line', async () => {
    const { lines, logger } = capture('info');
    const counted: string[] = [];
    const log = new RejectionLog(logger, { limit: { linesPerSecond: 3, now: () => 42_000 }, suppressed: (reason) => counted.push(reason) });
    for (let i = 0; i < 100; i++) log.write(RECORD);
    for (let i = 0; i < 10; i++) log.write({ ...RECORD, policy: undefined, reason: 'no_policy' });
    assert.equal(lines.length, 3 + 3);
    assert.equal(counted.length, 97 + 7);
    assert.deepEqual(new Set(counted), new Set(['audience_mismatch', 'no_policy']));
    await eventually(() => lines.length > 6, 5_000);
    const summary = JSON.parse(lines[6]!) as Record<string, unknown>;
    assert.deepEqual({ ...summary, time: undefined }, {
      level: 'warn', time: undefined, service: 'audience-guard', event: 'log_suppressed',
      suppressed: 104,
      by_reason: { audience_mismatch: 97, no_policy: 7 },
      by_policy: [{ policy: 'mcp/weather', reason: 'audience_mismatch', suppressed: 97 }, { reason: 'no_policy', suppressed: 7 }],
      msg: 'token_rejected lines over --log-rate were suppressed',
    });
  });
});
