/**
 * The README's reference tables must match the code they describe: the deny
 * reasons (src/core/reasons.ts), the metrics (src/obs/metrics.ts), the
 * `serve` flags (src/cli/serve-flags.ts) and the log events
 * (src/obs/log-events.ts). A new reason, metric, flag or event fails this test
 * until the README documents it.
 */
import { strict as assert } from 'node:assert';
import { environmentName, SERVE_FLAGS } from '../../src/cli/serve-flags.ts';
import { REASON_TABLE, REASONS, type ChallengeKind } from '../../src/core/reasons.ts';
import { eventFieldNames, LOG_EVENTS, TOKEN_REJECTED, type LogEvent } from '../../src/obs/log-events.ts';
import { Metrics } from '../../src/obs/metrics.ts';
import { README_LINES, tableRows, unquoted } from '../support/readme.ts';

const LINES = README_LINES;

const REASONS_HEADER = '| reason | HTTP | gRPC code | WWW-Authenticate error | meaning |';
const METRICS_HEADER = '| metric | type | labels | meaning |';
const EVENTS_HEADER = '| event | level | fields | meaning |';
const TOKEN_REJECTED_HEADER = '| field | content |';

/** `` `a`, `b` `` → `['a', 'b']`: the names of a cell that lists names only. */
function names(cell: string | undefined): string[] {
  return (cell ?? '').split(',').map((name) => unquoted(name.trim()) ?? '');
}

function challengeCell(challenge: ChallengeKind): string {
  switch (challenge) {
    case 'none':
      return '(no challenge)';
    case 'no_error':
      return '(no error; resource_metadata, scope)';
    case 'invalid_request':
    case 'invalid_token':
    case 'insufficient_scope':
      return `\`${challenge}\``;
    case 'invalid_dpop_proof':
    case 'use_dpop_nonce':
      return `\`${challenge}\` (DPoP)`;
  }
}

describe('README reference tables', () => {
  describe('deny reasons', () => {
    const rows = tableRows(REASONS_HEADER);

    it('must list every reason of REASONS exactly once, in the same order', () => {
      assert.deepEqual(rows.map((row) => unquoted(row[0])), [...REASONS]);
    });

    it('must write each reason in backticks', () => {
      for (const row of rows) assert.match(row[0] ?? '', /^`[a-z_]+`$/, `reason cell "${row[0] ?? ''}"`);
    });

    it('must give each reason the HTTP status and gRPC code of REASON_TABLE', () => {
      for (const row of rows) {
        const reason = unquoted(row[0]) as (typeof REASONS)[number];
        const spec = REASON_TABLE[reason];
        assert.equal(row[1], String(spec.httpStatus), `HTTP status of ${reason}`);
        assert.equal(row[2], String(spec.grpcCode), `gRPC code of ${reason}`);
      }
    });

    it('must name the challenge each reason gets', () => {
      for (const row of rows) {
        const reason = unquoted(row[0]) as (typeof REASONS)[number];
        assert.equal(row[3], challengeCell(REASON_TABLE[reason].challenge), `WWW-Authenticate error of ${reason}`);
      }
    });

    it('must explain every reason', () => {
      for (const row of rows) {
        assert.equal(row.length, 5, `row of ${row[0] ?? '?'} must have 5 cells`);
        assert.notEqual(row[4] ?? '', '', `meaning of ${row[0] ?? '?'}`);
      }
    });
  });

  describe('metrics', () => {
    it('must list exactly the audience_guard_* metrics the service registers', async () => {
      const registered = (await new Metrics({ defaultMetrics: false }).registry.getMetricsAsJSON())
        .map((metric) => metric.name)
        .filter((name) => name.startsWith('audience_guard_'));
      assert.notEqual(registered.length, 0);
      const documented = tableRows(METRICS_HEADER).map((row) => unquoted(row[0]));
      assert.deepEqual([...documented].sort(), [...registered].sort());
      assert.equal(new Set(documented).size, documented.length, 'no metric may be listed twice');
    });

    it('must give each metric the type it is registered with', async () => {
      const types = new Map((await new Metrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((metric) => [metric.name, String(metric.type)]));
      for (const row of tableRows(METRICS_HEADER)) {
        const name = unquoted(row[0]) ?? '';
        assert.equal(row[1], types.get(name), `type of ${name}`);
      }
    });
  });

  describe('serve flags', () => {
    for (const [flag, spec] of Object.entries(SERVE_FLAGS)) {
      it(`must document --${flag} with ${environmentName(flag)}`, () => {
        const flagPattern = new RegExp(`\`--${flag}[\\s\`]`);
        const rows = LINES.filter((line) => line.trim().startsWith('|') && flagPattern.test(line) && line.includes(`\`${environmentName(flag)}\``));
        assert.equal(rows.length, 1, `one README table row must name --${flag} and ${environmentName(flag)}`);
        if (spec.default !== undefined) assert.ok(rows[0]?.includes(`\`${spec.default}\``), `the row of --${flag} must give its default ${spec.default}`);
      });
    }
  });

  describe('log events', () => {
    const rows = tableRows(EVENTS_HEADER);
    const others = (Object.keys(LOG_EVENTS) as LogEvent[]).filter((event) => event !== TOKEN_REJECTED);

    it('must list every event of LOG_EVENTS but token_rejected exactly once, in the same order', () => {
      assert.deepEqual(rows.map((row) => unquoted(row[0])), others);
    });

    it('must give each event its level and exactly its fields, in the table\'s order', () => {
      for (const row of rows) {
        const event = unquoted(row[0]) as LogEvent;
        assert.equal(row[1], LOG_EVENTS[event].level, `level of ${event}`);
        assert.deepEqual(names(row[2]), eventFieldNames(event), `fields of ${event}`);
        assert.notEqual(row[3] ?? '', '', `meaning of ${event}`);
      }
    });

    it('must document each field of token_rejected, in the order it is written, at its level', () => {
      const fields = tableRows(TOKEN_REJECTED_HEADER).flatMap((row) => names(row[0]));
      assert.deepEqual(fields, ['event', ...eventFieldNames(TOKEN_REJECTED)]);
      const intro = LINES[LINES.findIndex((line) => line.trim() === TOKEN_REJECTED_HEADER) - 2] ?? '';
      assert.ok(intro.includes(`one \`${LOG_EVENTS[TOKEN_REJECTED].level}\` line`), `the sentence before the token_rejected fields must name its level: ${intro}`);
    });
  });
});
