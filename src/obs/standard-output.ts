/**
 * Standard output, where the service's log lines go: sonic-boom (pino's
 * destination), asynchronous, in sonic-boom's buffer mode: each line is turned
 * into a Buffer once and the lines waiting behind a write are kept as a list.
 * In its default string mode sonic-boom appends a line to the pending string
 * and measures that whole string's UTF-8 length on every write, so under load
 * (many lines behind one write) each deny paid for re-reading kilobytes of
 * earlier lines: 5% of the main thread's time with wrong-audience tokens
 * (bench/README.md). Lines still pending are written synchronously when the
 * process exits (pino.destination registers that).
 *
 * Bounded: when whoever reads stdout stops (a stalled log pipeline), lines
 * pile up behind the write that does not finish. Beyond LOG_BUFFER_BYTES
 * waiting, sonic-boom drops further lines (its `maxLength`); they are counted
 * (`dropped`, the `buffer_full` reason of the suppressed-lines metric), so a
 * stalled stdout costs at most that much memory.
 *
 * Non-blocking: when stdout is a pipe or a socket, the fd is opened as a libuv
 * stream first (by touching `process.stdout`), which puts it in non-blocking
 * mode. A write to a full pipe then fails at once with EAGAIN and sonic-boom
 * retries it on a timer (every 100 ms). On a blocking fd the write would sit
 * in one of libuv's four pool threads until the reader came back — the pool
 * that signature verification runs on — and the process could not exit
 * while it did.
 */
import { pino, type DestinationStream } from 'pino';

/** Bytes of log lines that may wait for stdout; lines beyond it are dropped. */
export const LOG_BUFFER_BYTES = 4 * 1024 * 1024;

/** What the logs are written to: pino's stream, plus the flushes pino calls when present. */
export interface LogDestination extends DestinationStream {
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
}

export interface StandardOutput extends LogDestination {
  /** Lines dropped so far because LOG_BUFFER_BYTES were already waiting. */
  readonly dropped: number;
  /**
   * Resolves true once every line accepted so far is written, or false after
   * `ms` without that: then the waiting lines are given up (and not written
   * at exit either), so that a stalled stdout cannot hold the process; the
   * caller should exit.
   */
  close(ms: number): Promise<boolean>;
}

export function standardOutput(options: { maxBufferedBytes?: number } = {}): StandardOutput {
  let givenUp = false;
  const stream = pino.destination({
    // process.stdout, not a bare 1: reading it makes Node open fd 1 as a libuv stream (non-blocking for a pipe or socket).
    dest: process.stdout.fd,
    sync: false,
    contentMode: 'buffer',
    maxLength: options.maxBufferedBytes ?? LOG_BUFFER_BYTES,
    retryEAGAIN: () => !givenUp,
  });
  let dropped = 0;
  /** Bytes accepted and not yet written. */
  let waiting = 0;
  let allWritten: (() => void) | undefined;
  stream.on('drop', () => { dropped += 1; });
  stream.on('write', (bytes: number) => {
    waiting -= bytes;
    if (waiting <= 0) allWritten?.();
  });
  return {
    write: (line: string | Buffer) => {
      const data = typeof line === 'string' ? Buffer.from(line) : line;
      const before = dropped;
      // In buffer mode sonic-boom's write takes a Buffer; its typings only know strings.
      stream.write(data as unknown as string);
      if (dropped === before) waiting += data.length;
    },
    flush: (callback) => { stream.flush(callback); },
    flushSync: () => { stream.flushSync(); },
    get dropped() {
      return dropped;
    },
    close: (ms) => new Promise((resolve) => {
      if (waiting <= 0) {
        resolve(true);
        return;
      }
      const timer = setTimeout(() => {
        allWritten = undefined;
        givenUp = true;
        // A write still failing with EAGAIN now ends in an error event instead of another retry.
        stream.on('error', () => undefined);
        stream.destroy();
        resolve(false);
      }, ms);
      allWritten = () => {
        clearTimeout(timer);
        allWritten = undefined;
        resolve(true);
      };
    }),
  };
}
