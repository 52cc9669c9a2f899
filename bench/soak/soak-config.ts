/** The soak's flags (bench/README.md "Soak" has the table). */
import { parseArgs } from 'node:util';
import type { ServerEntryMode } from './soak-server.ts';

export const MIX_NAMES = ['default', 'deny-heavy'] as const;
export type MixName = (typeof MIX_NAMES)[number];
/** `read`: the server's stdout is read throughout; `stalled`: the reader stops once the load starts (a stalled log pipeline) and reads again after it. */
export type LogReader = 'read' | 'stalled';

/**
 * 60% of the mixed-load rate this 2-core machine sustained in a closed-loop
 * calibration run (`--calibrate`: 1,249 checks/s with other test runs on the
 * machine; bench/README.md "Soak").
 */
export const DEFAULT_RATE = 750;

export const USAGE = `usage: npm run soak -- [--minutes 10] [--rate ${String(DEFAULT_RATE)}] [--policies 100] [--change-every 10] [--invalid-every 4]
  [--no-rotate-key] [--fresh-pool 20000] [--connections 4] [--max-in-flight 1024] [--report-every 30]
  [--seed 1] [--server auto|bin|src] [--mix default|deny-heavy] [--log-reader read|stalled] [--calibrate] [--out bench/results]`;

export interface SoakConfig {
  readonly minutes: number;
  readonly rate: number;
  readonly policies: number;
  readonly changeEverySeconds: number;
  readonly invalidEvery: number;
  readonly rotateKey: boolean;
  readonly freshPool: number;
  readonly connections: number;
  readonly maxInFlight: number;
  readonly reportEverySeconds: number;
  readonly seed: number;
  readonly server: ServerEntryMode;
  readonly mix: MixName;
  readonly logReader: LogReader;
  readonly calibrate: boolean;
  readonly out: string;
}

export type ParsedFlags = { readonly ok: true; readonly config: SoakConfig } | { readonly ok: false; readonly error: string | undefined };

/** `error` undefined: `--help`. */
export function parseSoakFlags(argv: readonly string[]): ParsedFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowNegative: true,
      options: {
        minutes: { type: 'string', default: '10' },
        rate: { type: 'string', default: String(DEFAULT_RATE) },
        policies: { type: 'string', default: '100' },
        'change-every': { type: 'string', default: '10' },
        'invalid-every': { type: 'string', default: '4' },
        'rotate-key': { type: 'boolean', default: true },
        'fresh-pool': { type: 'string', default: '20000' },
        connections: { type: 'string', default: '4' },
        // Envoy's default circuit-breaker limit on requests to one cluster (max_requests).
        'max-in-flight': { type: 'string', default: '1024' },
        'report-every': { type: 'string', default: '30' },
        seed: { type: 'string', default: '1' },
        server: { type: 'string', default: 'auto' },
        mix: { type: 'string', default: 'default' },
        'log-reader': { type: 'string', default: 'read' },
        calibrate: { type: 'boolean', default: false },
        out: { type: 'string', default: 'bench/results' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  if (values.help) return { ok: false, error: undefined };
  const problems: string[] = [];
  const positive = (name: keyof typeof values, integer = false): number => {
    const raw = String(values[name]);
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) problems.push(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${raw}`);
    return value;
  };
  const server = values.server;
  if (server !== 'auto' && server !== 'bin' && server !== 'src') problems.push(`--server must be auto, bin or src, got ${server}`);
  const mix = values.mix as MixName;
  if (!MIX_NAMES.includes(mix)) problems.push(`--mix must be ${MIX_NAMES.join(' or ')}, got ${values.mix}`);
  const logReader = values['log-reader'];
  if (logReader !== 'read' && logReader !== 'stalled') problems.push(`--log-reader must be read or stalled, got ${logReader}`);
  const config: SoakConfig = {
    minutes: positive('minutes'),
    rate: positive('rate'),
    policies: positive('policies', true),
    changeEverySeconds: positive('change-every'),
    invalidEvery: positive('invalid-every', true),
    rotateKey: values['rotate-key'] && !values.calibrate,
    freshPool: positive('fresh-pool', true),
    connections: positive('connections', true),
    maxInFlight: positive('max-in-flight', true),
    reportEverySeconds: positive('report-every'),
    seed: positive('seed', true),
    server: server as ServerEntryMode,
    mix,
    logReader: logReader as LogReader,
    calibrate: values.calibrate,
    out: values.out,
  };
  return problems.length > 0 ? { ok: false, error: problems.join('; ') } : { ok: true, config };
}
