/**
 * Bounded JSON fetch for key sets and discovery documents. jose's SECURITY
 * notes leave these jobs to the caller: a time limit, a size limit, no
 * redirects (a redirect could move key material to another origin), a 200 with
 * a JSON object or nothing. Errors carry a message safe to log and to put in a
 * policy's status: what failed (`timeout`, `unreachable`, `refused: …`, `bad
 * answer (…)`), never the body nor the network stack's text, which names
 * resolved addresses.
 */
import { endpointFailure, type EndpointFetch } from '../net/endpoint-failure.ts';

export interface FetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** Key sets and metadata documents: 5 s, 512 KiB (`--max-jwks-bytes` changes the size for key sets). */
export const DEFAULT_FETCH_LIMITS: FetchLimits = Object.freeze({ timeoutMs: 5_000, maxBytes: 512 * 1024 });

export class FetchJSONError extends Error {
  override readonly name = 'FetchJSONError';
  /** Set when the answer broke the size limit. */
  readonly limit: 'size' | undefined;
  constructor(message: string, limit?: 'size') {
    super(message);
    this.limit = limit;
  }
}

/** The body as text, at most `maxBytes` (a FetchJSONError beyond). */
export async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw new FetchJSONError(`bad answer (larger than ${maxBytes} bytes)`, 'size');
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new FetchJSONError(`bad answer (larger than ${maxBytes} bytes)`, 'size');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `fetcher`: the global fetch, or the guarded one of Kubernetes mode (src/net/endpoint-guard.ts). */
export async function fetchJSONObject(url: string, limits: FetchLimits, fetcher: EndpointFetch = fetch): Promise<Record<string, unknown>> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const timeout = `timeout (no answer within ${limits.timeoutMs} ms)`;
  let response: Response;
  try {
    response = await fetcher(url, { redirect: 'manual', signal, headers: { accept: 'application/json' } });
  } catch (error) {
    throw new FetchJSONError(signal.aborted ? timeout : endpointFailure(error));
  }
  try {
    if (response.status !== 200) throw new FetchJSONError(`bad answer (HTTP ${response.status})`);
    const text = await readCapped(response, limits.maxBytes);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new FetchJSONError('bad answer (malformed JSON)');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new FetchJSONError('bad answer (JSON that is not an object)');
    }
    return value as Record<string, unknown>;
  } catch (error) {
    await response.body?.cancel().catch(() => undefined);
    if (error instanceof FetchJSONError) throw error;
    throw new FetchJSONError(signal.aborted ? timeout : 'unreachable (connection lost while reading)');
  }
}
