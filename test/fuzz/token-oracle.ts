/**
 * The fuzz suite's independent judge of "is this request's token valid for this
 * policy by the rules?" (docs/contract.md §2.1–§2.6 and its conformance cases). It
 * shares no code with src/: the signature, `iss`, allow-listed `alg`, `typ` under
 * rfc9068, required claims, `exp`/`nbf` with the policy's skew are checked by
 * jose.jwtVerify against the issuer's own JWKS document; the rest of the rules are
 * written out here from the spec text — `iat` not in the future, claim types,
 * `crit`/`enc` refusal, `cnf` refusal, ID-token shape under the `jwt` profile, the
 * audience rule of docs/contract.md §2.2 and scopes with implications.
 *
 * The oracle may be laxer than the service where the spec leaves room, never
 * stricter: "the service allowed, the oracle says invalid" is a finding.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

export type OracleProfile = 'rfc9068' | 'jwt';

export interface OracleIssuer {
  readonly issuer: string;
  /** The issuer's JWKS document as published. */
  readonly jwks: JSONWebKeySet;
  readonly algorithms: readonly string[];
  readonly profile: OracleProfile;
}

/** A policy as the spec describes it (the document's fields, defaults applied), not the compiled runtime form. */
export interface OraclePolicy {
  /** `NAMESPACE/NAME`, as the service reports it in dynamic metadata. */
  readonly id: string;
  readonly resource: string;
  readonly audiences: readonly string[];
  /** Lower-case host patterns; `*.example.com` matches any subdomain. */
  readonly hosts: readonly string[];
  readonly pathPrefixes: readonly string[];
  readonly issuers: readonly OracleIssuer[];
  readonly requiredScopes: readonly string[];
  readonly scopeImplications: Readonly<Record<string, readonly string[]>>;
  readonly mode: 'Strict' | 'Permissive';
  readonly clockSkewSeconds: number;
}

export type Verdict =
  | { readonly valid: true; readonly audienceOk: boolean }
  | { readonly valid: false; readonly why: string };

const REQUIRED_CLAIMS: Readonly<Record<OracleProfile, readonly string[]>> = {
  rfc9068: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
  jwt: ['iss', 'exp', 'aud'],
};

// ---------------------------------------------------------------------------
// Credential (RFC 6750 §2.1, RFC 9110 §11.4)

const TOKEN68_CHARACTERS = new Uint8Array(128);
for (const character of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/') TOKEN68_CHARACTERS[character.charCodeAt(0)] = 1;

function isToken68Character(code: number): boolean {
  return code < 128 && TOKEN68_CHARACTERS[code] === 1;
}

/**
 * The token of `Bearer 1*SP token68` or `DPoP 1*SP token68` (RFC 6750 §2.1, RFC 9449 §7.1), or
 * undefined for anything else. A DPoP-scheme token is only extracted here; the binding rules
 * (no proof is ever sent by the fuzzer) refuse it later.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const space = authorization.indexOf(' ');
  const scheme = space === -1 ? '' : authorization.slice(0, space);
  if (space === -1 || !(isAsciiCaseInsensitive(scheme, 'bearer') || isAsciiCaseInsensitive(scheme, 'dpop'))) return undefined;
  let start = space;
  while (authorization.charAt(start) === ' ') start += 1;
  const token = authorization.slice(start);
  let index = 0;
  while (index < token.length && isToken68Character(token.charCodeAt(index))) index += 1;
  if (index === 0) return undefined;
  while (index < token.length && token.charCodeAt(index) === 0x3d) index += 1;
  return index === token.length ? token : undefined;
}

function asciiLower(value: string): string {
  let out = '';
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    out += code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 0x20) : value.charAt(index);
  }
  return out;
}

function isAsciiCaseInsensitive(value: string, lower: string): boolean {
  return asciiLower(value) === lower;
}

// ---------------------------------------------------------------------------
// Audience rule (docs/contract.md §2.2), written from the text

interface HttpAudience {
  readonly scheme: string;
  readonly host: string;
  readonly port: string | undefined;
  readonly rest: string;
}

/** Structured http(s) audience, 'never' for one that can never match, or undefined when it is not an http(s) URI. */
function httpAudience(value: string): HttpAudience | 'never' | undefined {
  const schemeEnd = value.indexOf('://');
  if (schemeEnd === -1) return undefined;
  const scheme = asciiLower(value.slice(0, schemeEnd));
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  if (value.includes('#')) return 'never'; // "never a fragment"
  const afterScheme = value.slice(schemeEnd + 3);
  let authorityEnd = afterScheme.length;
  for (const delimiter of ['/', '?']) {
    const at = afterScheme.indexOf(delimiter);
    if (at !== -1 && at < authorityEnd) authorityEnd = at;
  }
  const authority = afterScheme.slice(0, authorityEnd);
  if (authority.includes('@')) return 'never'; // userinfo is not part of a resource identifier
  let host = authority;
  let port: string | undefined;
  const bracket = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon > bracket) {
    host = authority.slice(0, colon);
    port = authority.slice(colon + 1);
  }
  // "an explicit default port equals no port" — exactly the digits of the default, nothing else folded.
  if (port === (scheme === 'https' ? '443' : '80')) port = undefined;
  let rest = afterScheme.slice(authorityEnd);
  if (rest === '' || rest.startsWith('?')) rest = `/${rest}`; // "an empty path equals /"
  return { scheme, host: asciiLower(host), port, rest };
}

function sameAudience(a: string, b: string): boolean {
  const left = httpAudience(a);
  const right = httpAudience(b);
  if (left === 'never' || right === 'never') return false;
  if (left === undefined || right === undefined) return left === undefined && right === undefined && a === b;
  return left.scheme === right.scheme && left.host === right.host && left.port === right.port && left.rest === right.rest;
}

/** True when one of the token's `aud` values is in the accepted set by the audience rule. */
export function referenceAudienceMatches(tokenAudiences: readonly string[], accepted: readonly string[]): boolean {
  return tokenAudiences.some((value) => accepted.some((candidate) => sameAudience(value, candidate)));
}

// ---------------------------------------------------------------------------
// Policy coverage (docs/contract.md §1.4), for requests through the wire

/** Host of an `:authority` (port dropped), lower-cased in ASCII only. */
export function referenceHost(authority: string): string {
  const lower = asciiLower(authority);
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end === -1 ? lower : lower.slice(0, end + 1);
  }
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

/** True when `policy` claims this host and path (segment-boundary prefix). */
export function policyCovers(policy: OraclePolicy, host: string, path: string): boolean {
  const hostOk = policy.hosts.some((pattern) => (pattern.startsWith('*.') ? host.length > pattern.length - 1 && host.endsWith(pattern.slice(1)) : host === pattern));
  const pathOk = policy.pathPrefixes.some((prefix) => prefix === '/' || path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
  return hostOk && pathOk;
}

// ---------------------------------------------------------------------------
// Token

const keySets = new WeakMap<OracleIssuer, JWTVerifyGetKey>();

function keySetOf(issuer: OracleIssuer): JWTVerifyGetKey {
  let set = keySets.get(issuer);
  if (set === undefined) {
    set = createLocalJWKSet(issuer.jwks);
    keySets.set(issuer, set);
  }
  return set;
}

function invalid(why: string): Verdict {
  return { valid: false, why };
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** `typ` per profile: a media-type comparison, ASCII case-insensitive, `application/` optional (RFC 7515 §4.1.9). */
function typeAllowed(profile: OracleProfile, typ: unknown): boolean {
  if (typ === undefined) return profile === 'jwt';
  if (typeof typ !== 'string') return false;
  const lower = asciiLower(typ);
  const subtype = lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
  // Profile jwt takes plain JWTs and also typed access tokens (README, token profiles).
  return subtype === 'at+jwt' || (profile === 'jwt' && subtype === 'jwt');
}

function grantedScopes(payload: Record<string, unknown>): Set<string> | undefined {
  const granted = new Set<string>();
  if (Object.hasOwn(payload, 'scope')) {
    if (typeof payload.scope !== 'string') return undefined;
    for (const scope of payload.scope.split(' ')) if (scope !== '') granted.add(scope);
  }
  if (Object.hasOwn(payload, 'scp')) {
    const { scp } = payload;
    if (typeof scp === 'string') for (const scope of scp.split(' ')) { if (scope !== '') granted.add(scope); }
    else if (Array.isArray(scp) && scp.every((scope) => typeof scope === 'string')) for (const scope of scp) granted.add(scope);
    else return undefined;
  }
  return granted;
}

function impliedClosure(granted: ReadonlySet<string>, implications: Readonly<Record<string, readonly string[]>>): Set<string> {
  const effective = new Set(granted);
  const pending = [...granted];
  while (pending.length > 0) {
    const scope = pending.pop()!;
    const implied = Object.hasOwn(implications, scope) ? implications[scope] ?? [] : [];
    for (const next of implied) {
      if (!effective.has(next)) {
        effective.add(next);
        pending.push(next);
      }
    }
  }
  return effective;
}

/** Claims and header rules beyond what jose checked (or all of them, in lenient mode). */
function ruleVerdict(header: Record<string, unknown>, payload: Record<string, unknown>, issuer: OracleIssuer, policy: OraclePolicy, now: number): Verdict {
  const skew = policy.clockSkewSeconds;
  if (!typeAllowed(issuer.profile, header.typ)) return invalid('typ');
  if (typeof header.alg !== 'string' || !issuer.algorithms.includes(header.alg)) return invalid('alg');
  if (Object.hasOwn(header, 'crit')) return invalid('crit'); // no extension is understood
  if (Object.hasOwn(header, 'enc')) return invalid('encrypted');
  if (payload.iss !== issuer.issuer) return invalid('iss');
  for (const claim of REQUIRED_CLAIMS[issuer.profile]) {
    if (!Object.hasOwn(payload, claim) || payload[claim] === null) return invalid(`missing ${claim}`);
  }
  for (const claim of ['sub', 'client_id', 'jti']) {
    if (Object.hasOwn(payload, claim) && typeof payload[claim] !== 'string') return invalid(`${claim} type`);
  }
  for (const claim of ['exp', 'nbf', 'iat']) {
    if (Object.hasOwn(payload, claim) && !isFiniteNumber(payload[claim])) return invalid(`${claim} type`);
  }
  if (!(now < (payload.exp as number) + skew)) return invalid('expired');
  if (isFiniteNumber(payload.nbf) && payload.nbf > now + skew) return invalid('nbf in the future');
  if (isFiniteNumber(payload.iat) && payload.iat > now + skew) return invalid('iat in the future');
  if (issuer.profile === 'jwt' && (Object.hasOwn(payload, 'nonce') || Object.hasOwn(payload, 'at_hash'))) return invalid('ID token shape');
  if (Object.hasOwn(payload, 'cnf')) return invalid('sender-constrained');
  const { aud } = payload;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.length > 0 && aud.every((value) => typeof value === 'string') ? (aud) : undefined;
  if (audiences === undefined) return invalid('aud type');
  const granted = grantedScopes(payload);
  if (granted === undefined) return invalid('scope type');
  const effective = impliedClosure(granted, policy.scopeImplications);
  if (!policy.requiredScopes.every((scope) => effective.has(scope))) return invalid('insufficient scope');
  return { valid: true, audienceOk: referenceAudienceMatches(audiences, [policy.resource, ...policy.audiences]) };
}

/** Is `token` valid for `policy` at `now` (seconds), by the rules? */
export async function tokenVerdict(token: string, policy: OraclePolicy, now: number): Promise<Verdict> {
  if (token.split('.').length !== 3) return invalid('not a compact JWS');
  let unverifiedIssuer: unknown;
  try {
    unverifiedIssuer = decodeJwt(token).iss;
  } catch {
    return invalid('undecodable');
  }
  const issuer = policy.issuers.find((candidate) => candidate.issuer === unverifiedIssuer);
  if (issuer === undefined) return invalid('unknown issuer');
  try {
    const { protectedHeader, payload } = await jwtVerify(token, keySetOf(issuer), {
      issuer: issuer.issuer,
      algorithms: [...issuer.algorithms],
      requiredClaims: [...REQUIRED_CLAIMS[issuer.profile]],
      clockTolerance: policy.clockSkewSeconds,
      currentDate: new Date(now * 1000),
      ...(issuer.profile === 'rfc9068' ? { typ: 'at+jwt' } : {}),
    });
    return ruleVerdict(protectedHeader, payload, issuer, policy, now);
  } catch (error) {
    return invalid(`jose: ${(error as { code?: string }).code ?? (error as Error).name}`);
  }
}

/** May the service allow a request with this verdict under `policy` (Permissive lets an audience failure through)? */
export function mayAllow(verdict: Verdict, policy: OraclePolicy): boolean {
  return verdict.valid && (verdict.audienceOk || policy.mode === 'Permissive');
}
