/**
 * Structured JSON logs on stdout (pino). Tokens are secrets: log call sites
 * never pass one, and redaction of credential-carrying keys is a second guard.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { standardOutput } from './standard-output.ts';

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
export { standardOutput, type LogDestination, type StandardOutput } from './standard-output.ts';
