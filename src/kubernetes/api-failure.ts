/**
 * One line for a Kubernetes API call that failed: the URL, and the HTTP status
 * with the reason and message of the API server's Status object (`GET
 * https://…/apis/…: HTTP 403 Forbidden: audiencepolicies… is forbidden: …`),
 * or how the connection failed (`unreachable (ECONNREFUSED)`). The client
 * library says only "fetch failed", or "HTTP-Code: … Body: … Headers: …" over
 * several lines. The API server's address is the operator's own
 * configuration, so naming it and the network error code is safe here.
 */
import { STATUS_CODES } from 'node:http';

/** At most this much of the API server's message is kept. */
const MAX_MESSAGE = 300;

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}…` : flat;
}

function statusOf(error: unknown): number | undefined {
  const candidate = error as { code?: unknown; statusCode?: unknown } | null;
  if (typeof candidate?.code === 'number') return candidate.code;
  if (typeof candidate?.statusCode === 'number') return candidate.statusCode;
  return undefined;
}

/** `reason: message` of a Kubernetes Status body (JSON text or an object), if it is one; the reason only when it adds to `statusText`. */
function statusMessage(body: unknown, statusText: string): string | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const status = value as { reason?: unknown; message?: unknown } | null;
  if (typeof status?.message !== 'string') return undefined;
  const redundant =
    typeof status.reason !== 'string' ||
    status.reason === '' ||
    status.reason.toLowerCase() === statusText.replace(/ /g, '').toLowerCase();
  return redundant ? status.message : `${String(status.reason)}: ${status.message}`;
}

/**
 * What lies under fetch's "fetch failed": the network error's code
 * (ECONNREFUSED, ENOTFOUND, a TLS code, …), else the innermost cause's message.
 */
function networkFailure(error: unknown): string | undefined {
  let current = error;
  let innermost: string | undefined;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    if (depth > 0) innermost = current.message;
    current = current.cause;
  }
  return innermost;
}

export function apiCallFailure(error: unknown, url: string): string {
  const status = statusOf(error);
  if (status !== undefined) {
    const statusText = STATUS_CODES[status] ?? '';
    const message = statusMessage((error as { body?: unknown }).body, statusText);
    return oneLine(`GET ${url}: HTTP ${String(status)} ${statusText}${message === undefined ? '' : `: ${message}`}`);
  }
  const network = networkFailure(error);
  if (network !== undefined) return oneLine(`GET ${url}: unreachable (${network})`);
  return oneLine(`GET ${url}: ${error instanceof Error ? error.message : String(error)}`);
}
