/**
 * Remembered introspection answers, on lru-cache. Keyed by the endpoint
 * identity and the SHA-256 of the token — never the token itself. An active
 * answer is kept for the earlier of `cacheSeconds` and its `exp`; an inactive
 * one (or one without a usable `exp`) for 5 seconds, so a token that was just
 * issued is not refused for long, and a repeated bad token costs one request
 * every 5 s. No timers: an entry past its time is dropped when read. Bounded
 * by `--introspection-cache-size` entries and their estimated bytes; a full
 * cache drops its least recently used entry (a limit hit).
 */
import { LRUCache } from 'lru-cache';

/** How long an inactive answer is reused, seconds. */
export const INACTIVE_ANSWER_SECONDS = 5;
/** Memory bound per configured entry: typical answers are a few hundred bytes. */
const BYTES_PER_ENTRY = 2048;

export type Answer = Readonly<Record<string, unknown>>;

interface Entry {
  readonly answer: Answer;
  /** Seconds since the epoch on this cache's clock. */
  readonly until: number;
  readonly bytes: number;
}

export interface IntrospectionAnswersOptions {
  readonly maxEntries: number;
  /** Seconds since the epoch (the checks' clock). */
  readonly now: () => number;
  /** A live entry was pushed out because the cache was full. */
  readonly onEvict?: () => void;
}

/** Until when (seconds) `answer` may be reused, from `now`; not after `now` means never. */
export function reuseUntil(answer: Answer, cacheSeconds: number, now: number): number {
  const { exp } = answer;
  if (answer.active !== true || typeof exp !== 'number' || !Number.isFinite(exp) || exp <= now) return now + INACTIVE_ANSWER_SECONDS;
  return Math.min(now + cacheSeconds, exp);
}

export class IntrospectionAnswers {
  readonly #entries: LRUCache<string, Entry>;
  readonly #now: () => number;

  constructor(options: IntrospectionAnswersOptions) {
    const { onEvict } = options;
    this.#entries = new LRUCache<string, Entry>({
      max: options.maxEntries,
      maxSize: options.maxEntries * BYTES_PER_ENTRY,
      sizeCalculation: (entry) => entry.bytes,
      ...(onEvict === undefined ? {} : {
        dispose: (_entry: Entry, _key: string, reason: LRUCache.DisposeReason) => { if (reason === 'evict') onEvict(); },
      }),
    });
    this.#now = options.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The keys held now (tests check that no token is in them). */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  get(key: string): Answer | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.answer;
  }

  remember(key: string, answer: Answer, cacheSeconds: number): void {
    const now = this.#now();
    const until = reuseUntil(answer, cacheSeconds, now);
    if (until <= now) return;
    // The answer's own size bounds memory (an answer is at most 64 KiB: the client refuses larger ones).
    this.#entries.set(key, { answer, until, bytes: key.length + JSON.stringify(answer).length });
  }
}
