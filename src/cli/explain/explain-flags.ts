/**
 * `audience-guard explain` flags. Parsing is pure: it returns the options or a
 * one-line error naming the flag (exit 2). Files are read later, by the
 * command. A token is never taken from the command line itself — argv ends up
 * in shell histories and process lists — only from a file or stdin, so
 * `--header authorization: …` is refused.
 */
import { parseCommandArgs } from '../args.ts';
import type { HelpEntry } from '../help-text.ts';

export interface ExplainURL {
  readonly scheme: string;
  /** The authority exactly as written (Envoy's `:authority`). */
  readonly authority: string;
  /** Path and query exactly as written, no normalisation (Envoy's `:path`); `/` when empty. */
  readonly path: string;
}

export interface ExplainOptions {
  readonly policyFiles: readonly string[];
  readonly url: ExplainURL;
  readonly method: string;
  /** Lower-case names; repeated names joined with `,` as Envoy joins them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly token: { readonly from: 'file'; readonly path: string } | { readonly from: 'stdin' } | undefined;
  readonly jwksFile: string | undefined;
  /** The clock, seconds since the epoch; undefined: now. */
  readonly at: number | undefined;
  readonly json: boolean;
  /** `NAMESPACE/NAME` as a route's context_extensions would name it. */
  readonly policyReference: string | undefined;
  readonly certFile: string | undefined;
  readonly dpopFile: string | undefined;
  readonly bodyFile: string | undefined;
}

export const EXPLAIN_FLAGS: readonly HelpEntry[] = [
  { name: '--policy-file PATH', text: 'Policy file or folder, read and validated as serve reads it (repeatable; required).' },
  { name: '--url URL', text: 'The request URL: the host of its authority selects the policy, its path as written (required).' },
  { name: '--method M', text: 'The request method. Default: GET.' },
  { name: "--header 'K: V'",
    text: 'A request header (repeatable). Not authorization: the token comes from --token-file or --token-stdin.' },
  { name: '--token-file F', text: 'Read the bearer token from file F (surrounding white space is dropped).' },
  { name: '--token-stdin', text: 'Read the bearer token from standard input.' },
  { name: '--jwks-file F', text: "Verify with the keys of this JWKS file instead of fetching the issuer's keys." },
  { name: '--at TIME', text: 'Judge time claims at TIME: ISO 8601 (2026-01-31T12:00:00Z) or seconds since the epoch. Default: now.' },
  { name: '--policy NS/NAME', text: 'Select this policy by name, as a route naming it in its ext_authz context_extensions does.' },
  { name: '--json', text: 'Print one JSON object: decision, reason, policy, steps, response, token, detail.' },
  { name: '--cert-file F', text: 'PEM client certificate as Envoy would pass it: checked against a bound token\'s cnf["x5t#S256"].' },
  { name: '--dpop-file F', text: 'DPoP proof (the dpop header): the token is sent as DPoP <token> and the proof checked as serve does.' },
  { name: '--body-file F', text: 'Request body; not used yet: the decision never reads the body.' },
];

interface Values {
  readonly 'policy-file'?: string[];
  readonly url?: string;
  readonly method?: string;
  readonly header?: string[];
  readonly 'token-file'?: string;
  readonly 'token-stdin'?: boolean;
  readonly 'jwks-file'?: string;
  readonly at?: string;
  readonly policy?: string;
  readonly json?: boolean;
  readonly 'cert-file'?: string;
  readonly 'dpop-file'?: string;
  readonly 'body-file'?: string;
}

const STRING = { type: 'string' } as const;
const OPTIONS = {
  'policy-file': { type: 'string', multiple: true }, url: STRING, method: STRING, header: { type: 'string', multiple: true },
  'token-file': STRING, 'token-stdin': { type: 'boolean' }, 'jwks-file': STRING, at: STRING, policy: STRING, json: { type: 'boolean' },
  'cert-file': STRING, 'dpop-file': STRING, 'body-file': STRING,
} as const;

const URL_FORM = /^(https?):\/\/([^/?#\s]+)([^#\s]*)(#.*)?$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const METHOD = /^[A-Za-z]+$/;
const POLICY_ID = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export type ExplainFlagsResult = { readonly ok: true; readonly options: ExplainOptions } | { readonly ok: false; readonly error: string };

/** `--at`: seconds since the epoch, or an ISO 8601 date-time. */
export function parseTime(value: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}(T|$)/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

function headersOf(entries: readonly string[]): { readonly headers: Record<string, string> } | { readonly error: string } {
  // A Map: a header named `__proto__` must stay a header.
  const headers = new Map<string, string>();
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const name = colon <= 0 ? '' : entry.slice(0, colon).trim().toLowerCase();
    if (!HEADER_NAME.test(name)) return { error: `--header: expected 'NAME: VALUE', got ${JSON.stringify(entry.slice(0, 40))}` };
    if (name === 'authorization') return { error: '--header: give the token with --token-file or --token-stdin, not on the command line' };
    if (name === 'host') return { error: '--header: the host comes from --url' };
    const value = entry.slice(colon + 1).trim();
    const earlier = headers.get(name);
    headers.set(name, earlier === undefined ? value : `${earlier},${value}`);
  }
  return { headers: Object.fromEntries(headers) };
}

export function parseExplainFlags(argv: readonly string[]): ExplainFlagsResult {
  const parsed = parseCommandArgs<Values>('explain', argv, OPTIONS, false);
  if (!parsed.ok) return parsed;
  const values = parsed.values;
  const policyFiles = values['policy-file'] ?? [];
  if (policyFiles.length === 0) return { ok: false, error: 'explain: --policy-file is required' };
  if (values.url === undefined) return { ok: false, error: 'explain: --url is required' };
  const url = URL_FORM.exec(values.url);
  if (url === null) {
    return { ok: false, error: `explain: --url: expected http(s)://HOST[:PORT]/PATH, got ${JSON.stringify(values.url.slice(0, 80))}` };
  }
  const method = values.method ?? 'GET';
  if (!METHOD.test(method)) {
    return { ok: false, error: `explain: --method: expected a method name such as GET or POST, got ${JSON.stringify(method)}` };
  }
  const headers = headersOf(values.header ?? []);
  if ('error' in headers) return { ok: false, error: `explain: ${headers.error}` };
  if (values['token-file'] !== undefined && values['token-stdin'] === true) {
    return { ok: false, error: 'explain: give --token-file or --token-stdin, not both' };
  }
  const at = values.at === undefined ? undefined : parseTime(values.at);
  if (values.at !== undefined && at === undefined) {
    return { ok: false, error: `explain: --at: expected an ISO 8601 time or seconds since the epoch, got ${JSON.stringify(values.at)}` };
  }
  if (values.policy !== undefined && !POLICY_ID.test(values.policy)) {
    return { ok: false, error: `explain: --policy: expected NAMESPACE/NAME, got ${JSON.stringify(values.policy)}` };
  }
  return {
    ok: true,
    options: {
      policyFiles,
      url: {
        scheme: (url[1] ?? 'https').toLowerCase(), authority: url[2] ?? '', path: url[3] === undefined || url[3] === '' ? '/' : url[3],
      },
      method: method.toUpperCase(),
      headers: headers.headers,
      token: values['token-file'] !== undefined ? { from: 'file', path: values['token-file'] }
        : values['token-stdin'] === true ? { from: 'stdin' } : undefined,
      jwksFile: values['jwks-file'],
      at,
      json: values.json === true,
      policyReference: values.policy,
      certFile: values['cert-file'],
      dpopFile: values['dpop-file'],
      bodyFile: values['body-file'],
    },
  };
}
