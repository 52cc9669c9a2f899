// The log events are one closed table (src/obs/log-events.ts): logEvent
// writes each event at its table level with the fields it is given, and no
// source file logs around it — no `event: '…'` literal and no direct call of
// a logger's level methods outside the table's own file, and no table row
// that nothing logs.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventFieldNames, LOG_EVENTS, logEvent, TOKEN_REJECTED, type EventFields, type LoggedEvent, type LogEvent } from '../../../src/obs/log-events.ts';
import { createLogger } from '../../../src/obs/logger.ts';

const SRC = fileURLToPath(new URL('../../../src', import.meta.url));
const TABLE_FILE = 'obs/log-events.ts';

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Each source file but the table's, as [path relative to src/, text]. */
const SOURCES = sourceFiles(SRC).map((path) => [relative(SRC, path), readFileSync(path, 'utf8')] as const).filter(([path]) => path !== TABLE_FILE);

function capture(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger('trace', { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } }) };
}

const LOGGED = (Object.keys(LOG_EVENTS) as LogEvent[]).filter((event): event is LoggedEvent => event !== TOKEN_REJECTED);

describe('log events table', () => {
  for (const event of LOGGED) {
    it(`must write ${event} at level ${LOG_EVENTS[event].level} with its event name, fields and message`, () => {
      const { lines, logger } = capture();
      const fields = Object.fromEntries(eventFieldNames(event).map((field, index) => [field, `value ${String(index)}`]));
      logEvent(logger, event, fields as EventFields<typeof event>, 'what happened');
      assert.equal(lines.length, 1);
      const { time, ...line } = lines[0] ?? {};
      assert.equal(typeof time, 'string');
      assert.deepEqual(line, { level: LOG_EVENTS[event].level, service: 'audience-guard', event, ...fields, msg: 'what happened' });
    });
  }

  it('must leave an optional field without a value out of the line', () => {
    const { lines, logger } = capture();
    logEvent(logger, 'upstream_token_failed', { policy: 'mcp/weather', grant: undefined, error: undefined }, 'no token');
    assert.deepEqual(Object.keys(lines[0] ?? {}), ['level', 'time', 'service', 'event', 'policy', 'msg']);
  });

  it('must not write an event below the logger\'s level', () => {
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => { lines.push(line); } });
    logEvent(logger, 'jwks_refreshed', { issuer: 'https://idp.example.com' }, 'issuer keys loaded');
    logEvent(logger, 'jwks_refresh_failed', { issuer: 'https://idp.example.com', error: 'status 500' }, 'issuer keys could not be fetched');
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /"event":"jwks_refresh_failed"/);
  });

  it('must be the only place that names an event: no source file writes an `event` field literal', () => {
    const offenders = SOURCES.filter(([, text]) => /\bevent\s*:\s*['"`]/.test(text)).map(([path]) => path);
    assert.deepEqual(offenders, [], 'log through logEvent (src/obs/log-events.ts)');
  });

  it('must be the only way to log: no source file calls a logger\'s level methods itself', () => {
    const offenders = SOURCES.filter(([, text]) => /logger\??\.(fatal|error|warn|info|debug|trace)\s*\(/i.test(text)).map(([path]) => path);
    assert.deepEqual(offenders, [], 'log through logEvent (src/obs/log-events.ts)');
  });

  it('must hold only events the service logs', () => {
    for (const event of LOGGED) {
      const call = new RegExp(`logEvent\\([^,]+,\\s*'${event}'`);
      assert.ok(SOURCES.some(([, text]) => call.test(text)), `nothing in src/ logs ${event}; remove it from the table or log it`);
    }
    assert.ok(SOURCES.some(([path, text]) => path === 'obs/rejection-log.ts' && text.includes('TOKEN_REJECTED')), 'rejection-log.ts writes token_rejected');
  });
});
