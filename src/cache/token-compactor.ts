/**
 * Sharing for the verified-token cache's entries: most of a token's claims
 * repeat from token to token (issuer, audience, client, scopes) and so does
 * its header, but each decoded token has its own copy of every string.
 * Entries keep one shared copy instead (src/cache/verified-token-cache.ts).
 */
import type { RememberedToken } from '../core/verified-token-cache.ts';

/** Claims whose values usually repeat across tokens; `sub` has a table of its own; other claims (jti, times) are kept as decoded. */
const SHARED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'azp', 'client_id', 'scope', 'scp', 'acr', 'amr', 'typ', 'token_use']);
/** Longest header (as JSON) that is shared rather than kept per entry. */
const SHARED_HEADER_MAX_CHARS = 512;
/** Distinct values each sharing table holds before it starts over (a bound, not a cache of tokens). */
const SHARED_VALUES_MAX = 4_096;

/** One copy of each distinct value, bounded: when full it starts over, which only costs sharing. */
class SharedValues<T> {
  readonly #values = new Map<string, T>();

  get(key: string, value: T): T {
    const known = this.#values.get(key);
    if (known !== undefined) return known;
    if (this.#values.size >= SHARED_VALUES_MAX) this.#values.clear();
    this.#values.set(key, value);
    return value;
  }
}

/** The same token with repeated header and claim values replaced by shared copies. */
export class TokenCompactor {
  readonly #strings = new SharedValues<string>();
  /** `sub` apart: per-user values would churn the table the other claims share. */
  readonly #subjects = new SharedValues<string>();
  readonly #headers = new SharedValues<Readonly<Record<string, unknown>>>();

  compact(token: RememberedToken): RememberedToken {
    return { header: this.#header(token.header), payload: this.#payload(token.payload), keySetId: token.keySetId };
  }

  #header(header: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    const key = JSON.stringify(header);
    return key.length > SHARED_HEADER_MAX_CHARS ? header : this.#headers.get(key, Object.freeze({ ...header }));
  }

  #payload(payload: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    // fromEntries defines own properties, so a claim named "__proto__" stays a claim.
    return Object.fromEntries(
      Object.entries(payload).map(([name, value]) => [name, this.#claim(name, value)]),
    );
  }

  #claim(name: string, value: unknown): unknown {
    if (name === 'sub' && typeof value === 'string') return this.#subjects.get(value, value);
    return SHARED_CLAIMS.has(name) ? this.#shared(value) : value;
  }

  #shared(value: unknown): unknown {
    if (typeof value === 'string') return this.#strings.get(value, value);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.map((item) => this.#strings.get(item, item));
    return value;
  }
}
