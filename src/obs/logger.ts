/**
 * Structured JSON logs on stdout (pino). Tokens are secrets: log call sites
 * never pass one, and redaction of credential-carrying keys is a second guard.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * pino's `isoTime` format, but the string is built once per millisecond: under
 * load many lines share a millisecond, and Date#toISOString showed in the
 * check path's profile.
 */
export function isoTimeOncePerMillisecond(): () => string {
  let last = Number.NaN;
  let field = '';
  return () => {
    const now = Date.now();
    if (now !== last) {
      last = now;
      field = `,"time":"${new Date(now).toISOString()}"`;
    }
    return field;
  };
}

/** What the logs are written to: pino's stream, plus the flushes pino calls when present. */
export interface LogDestination extends DestinationStream {
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
}

/**
 * Standard output through sonic-boom (pino's destination), asynchronous, in
 * sonic-boom's buffer mode: each line is turned into a Buffer once and the
 * lines waiting behind a write are kept as a list. In its default string mode
 * sonic-boom appends a line to the pending string and measures that whole
 * string's UTF-8 length on every write, so under load (many lines behind one
 * write) each deny paid for re-reading kilobytes of earlier lines: 5% of the
 * main thread's time with wrong-audience tokens (bench/README.md).
 * Lines still pending are written synchronously when the process exits
 * (pino.destination registers that).
 */
export function standardOutput(): LogDestination {
  const stream = pino.destination({ dest: 1, sync: false, contentMode: 'buffer' });
  return {
    // In buffer mode sonic-boom's write takes a Buffer; its typings only know strings.
    write: (line: string | Buffer) => stream.write((typeof line === 'string' ? Buffer.from(line) : line) as unknown as string),
    flush: (callback) => { stream.flush(callback); },
    flushSync: () => { stream.flushSync(); },
  };
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'audience-guard' },
    timestamp: isoTimeOncePerMillisecond(),
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['authorization', 'token', '*.authorization', '*.token', 'headers', '*.headers'], censor: '[redacted]' },
  }, destination ?? standardOutput());
}

export type { Logger };
