// The token_rejected line (src/obs/rejection-log.ts) is written past pino's
// generic path for speed, so it must be the line pino would write for the
// same record: same fields, same order, same level label and bindings — and
// nothing when warn is not enabled.
import { strict as assert } from 'node:assert';
import { createLogger, type LogLevel } from '../../../src/obs/logger.ts';
import { RejectionLog, type RejectionRecord } from '../../../src/obs/rejection-log.ts';

function capture(level: LogLevel): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger(level, { write: (line: string) => { lines.push(line); } }) };
}

const RECORD: RejectionRecord = {
  reason: 'audience_mismatch',
  enforced: true,
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
});
