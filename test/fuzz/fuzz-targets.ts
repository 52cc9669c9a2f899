/**
 * One fuzz case per call, per target, shared by the CI suite and the long run.
 * Each case draws everything from the fuzzer's seeded PRNG, runs the target,
 * and records its outcome in `FuzzStats`; a broken invariant is a violation
 * (described without token bytes), unless a known finding explains it exactly.
 *
 *   parsers — extractBearer, decodeCompactJWS, checkHeader, checkClaims,
 *             canonicalAudience, parseCheckRequest never throw; bearer and
 *             audience agree with the oracle's reference where it matters.
 *   decide  — never rejects; an allow only when the oracle says the token is
 *             valid for the selected policy; every CheckResponse well formed;
 *             every allow removes `authorization`.
 *   grpc    — through the real server: a CheckResponse for every request the
 *             service can decode (INTERNAL from grpc-js for the rest), never an
 *             allow the oracle refuses, never token bytes in the response.
 *   policy  — validatePolicy / readPolicyStream never throw; every problem has
 *             origin, path and message; every valid document compiles.
 */
import { audienceMatches, canonicalAudience } from '../../src/core/audience.ts';
import { extractBearer } from '../../src/core/bearer.ts';
import type { CheckEnvironment } from '../../src/core/check-environment.ts';
import { decide } from '../../src/core/check-pipeline.ts';
import { checkClaims } from '../../src/core/claims.ts';
import { decodeCompactJWS } from '../../src/core/compact-jws.ts';
import type { Decision } from '../../src/core/decision.ts';
import type { HttpRequestView } from '../../src/core/http-request.ts';
import { checkHeader } from '../../src/core/jws-header.ts';
import { parseCheckRequest } from '../../src/envoy/check-request.ts';
import { checkResponseFor } from '../../src/envoy/check-response.ts';
import type { CheckRequest } from '../../src/envoy/proto.ts';
import { compilePolicy } from '../../src/policy/compile-policy.ts';
import { readPolicyStream } from '../../src/policy/policy-documents.ts';
import { PolicySnapshot } from '../../src/core/policy-snapshot.ts';
import { validatePolicy } from '../../src/policy/validate-policy.ts';
import { stringify } from 'yaml';
import { checkRequest } from '../support/envoy-check-client.ts';
import { decodeSegmentJSON, fingerprint, PROTOTYPE_NAMES, SeededRandom, type MutationFuzzer, type TokenMutant } from '../support/mutation-fuzzer.ts';
import { recordToken, secretPieces } from '../support/secret-ledger.ts';
import { encodeCheckRequest, envoyDecode, withDeepStruct, isTransportRefusal, serviceDecode, type DecodedCheckResponse, type RawCheckClient } from './envoy-wire.ts';
import { MAX_TOKEN_BYTES, SPOTS, type FuzzWorld, type RequestSpot, type Seed } from './fuzz-world.ts';
import { FuzzStats, type KnownFindingId } from './fuzz-stats.ts';
import { isRecordable } from './leak-index.ts';
import { bearerToken, mayAllow, policyCovers, referenceAudienceMatches, referenceHost, tokenVerdict, type OraclePolicy } from './token-oracle.ts';

// ---------------------------------------------------------------------------
// Helpers

function caseLabel(seed: Seed, steps: readonly string[], token: string): string {
  return `seed "${seed.label}" steps [${steps.join(', ')}] token ${fingerprint(token)}`;
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.slice(0, 80)}` : String(error).slice(0, 80);
}

/** Deepest `[`/`{` nesting of JSON text (outside strings). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text.charAt(index);
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '[' || character === '{') deepest = Math.max(deepest, (depth += 1));
    else if (character === ']' || character === '}') depth -= 1;
  }
  return deepest;
}

function isValidUTF8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Header and claims bytes of a compact JWS (undefined unless it has three segments). */
function jwsParts(token: string): { header: Buffer; payload: Buffer } | undefined {
  const segments = token.split('.');
  if (segments.length !== 3) return undefined;
  return { header: Buffer.from(segments[0] ?? '', 'base64url'), payload: Buffer.from(segments[1] ?? '', 'base64url') };
}

/** The bytes as the service reads them (invalid UTF-8 becomes U+FFFD), encoded as UTF-8 again. */
function asServiceReadsIt(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('utf8'), 'utf8');
}

/**
 * Which known finding explains an allow the oracle refused, if one does
 * exactly. Each candidate is checked by repairing only the defect the finding
 * names and asking the oracle again: F1 drops the lone last signature
 * character; F2 and F6 re-sign (with the fuzzer's issuer, the only one that can
 * have signed such bytes) the header and claims as the service decoded them, or
 * without the empty `kid`.
 */
async function explainAllow(world: FuzzWorld, token: string, policy: OraclePolicy): Promise<KnownFindingId | undefined> {
  const valid = async (candidate: string): Promise<boolean> => mayAllow(await tokenVerdict(candidate, policy, world.now), policy);
  const parts = jwsParts(token);
  if (parts === undefined) return undefined;
  if ((token.split('.')[2] ?? '').length % 4 === 1 && await valid(token.slice(0, -1))) return 'F1-jws-signature-not-base64url';
  const resign = (header: Buffer, payload: Buffer): string => world.fuzzIssuer.resign(header, payload, new SeededRandom(0));
  if ((!isValidUTF8(parts.header) || !isValidUTF8(parts.payload)) && await valid(resign(asServiceReadsIt(parts.header), asServiceReadsIt(parts.payload)))) {
    return 'F2-claims-invalid-utf8';
  }
  const header = asRecord(decodeSegmentJSON(parts.header.toString('base64url')));
  if (header?.kid === '') {
    const { kid: _kid, ...withoutKid } = header;
    if (await valid(resign(Buffer.from(JSON.stringify(withoutKid)), parts.payload))) return 'F6-empty-kid-cache-collision';
  }
  return undefined;
}

interface ResponseLike {
  status?: { code?: number; message?: string } | undefined;
  denied_response?: { status?: { code?: number | string } | undefined; headers?: { header?: { key?: string; value?: string } | undefined }[] | undefined; body?: string | undefined } | undefined;
  ok_response?: { headers_to_remove?: string[] | undefined; query_parameters_to_remove?: string[] | undefined } | undefined;
}

const PRINTABLE_DESCRIPTION = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** What is wrong with a CheckResponse (docs/contract.md §2.5, §2.7), or undefined. */
export function responseProblem(response: ResponseLike): string | undefined {
  const code = response.status?.code ?? 0;
  if (typeof code !== 'number') return 'status.code is not a number';
  if (code === 0) {
    if (response.denied_response !== undefined) return 'allow carries a denied_response';
    if (response.ok_response?.headers_to_remove?.includes('authorization') !== true) return 'allow does not remove authorization';
    if (response.ok_response.query_parameters_to_remove?.includes('access_token') !== true) return 'allow does not remove access_token';
    return undefined;
  }
  const denied = response.denied_response;
  if (denied === undefined) return 'deny without denied_response';
  const http = denied.status?.code;
  if (typeof http !== 'number' || http < 200 || http > 599) return `deny with HTTP status ${String(http)}`;
  const headers = denied.headers ?? [];
  if (headers.length === 0 || headers.some((option) => typeof option.header?.key !== 'string')) return 'deny without well-formed headers';
  if (response.status?.message === 'protected_resource_metadata') return http === 200 ? undefined : 'metadata answer is not a 200';
  let body: unknown;
  try {
    body = JSON.parse(denied.body ?? '');
  } catch {
    return 'deny body is not JSON';
  }
  const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
  if (typeof error !== 'string' || typeof description !== 'string' || !PRINTABLE_DESCRIPTION.test(description)) return 'deny body lacks error/error_description';
  return undefined;
}

function responseEchoes(response: unknown, tokens: readonly string[]): boolean {
  const text = JSON.stringify(response);
  return tokens.some((token) => secretPieces(token).some((piece) => piece.length >= 16 && text.includes(piece)));
}

// ---------------------------------------------------------------------------
// Building mutated tokens

export interface TokenCase {
  readonly seed: Seed;
  readonly token: string;
  readonly steps: readonly string[];
  /** Signed again after a JSON-level mutation (so the signature can verify). */
  readonly resigned: boolean;
}

/**
 * A token for one case: a seed as it is, or a mutant — unsigned, re-signed
 * byte for byte with the fuzzer's issuer, or (when `oidcResign`) re-signed
 * with the oidc-provider's key through signCustomToken.
 */
export async function tokenCase(world: FuzzWorld, fuzzer: MutationFuzzer, options: { oidcResign: boolean; asIs?: number }): Promise<TokenCase> {
  const r = fuzzer.random;
  const seed = r.pick(world.seeds);
  if (r.chance(options.asIs ?? 0.05)) return { seed, token: seed.token, steps: ['as-is'], resigned: false };
  const corpus = world.seeds.map((entry) => entry.token);
  const mutant: TokenMutant = fuzzer.mutateToken(seed.token, corpus);
  if (mutant.resign === undefined || r.chance(0.3)) return { seed, token: mutant.value, steps: mutant.steps, resigned: false };
  const { header, payload } = mutant.resign;
  if (options.oidcResign && seed.signer === 'oidc' && r.chance(0.3)) {
    const headerObject = parseObject(header);
    const payloadObject = parseObject(payload);
    const alg = headerObject?.alg;
    if (headerObject !== undefined && payloadObject !== undefined && typeof alg === 'string' && /^(RS|PS)(256|384|512)$/.test(alg)) {
      try {
        const token = await world.signWithOidc(payloadObject, { typ: undefined, kid: undefined, ...headerObject });
        return { seed, token, steps: [...mutant.steps, 'resign:oidc'], resigned: true };
      } catch {
        // jose refuses some headers (e.g. crit); fall through to the fuzzer's own key.
      }
    }
  }
  return { seed, token: world.fuzzIssuer.resign(header, payload, r), steps: [...mutant.steps, 'resign:fuzz'], resigned: true };
}

function parseObject(bytes: Buffer): Record<string, unknown> | undefined {
  const value = decodeSegmentJSON(bytes.toString('base64url'));
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

// ---------------------------------------------------------------------------
// parsers

const PROFILES = ['rfc9068', 'jwt'] as const;

/** Mutated tokens and Authorization values into each parser of the decision core and the Envoy adapter. */
export function parserCase(world: FuzzWorld, fuzzer: MutationFuzzer, wireSeeds: readonly Buffer[], stats: FuzzStats): void {
  const r = fuzzer.random;
  const seed = r.pick(world.seeds);
  const corpus = world.seeds.map((entry) => entry.token);
  const mutant = fuzzer.mutateToken(seed.token, corpus);
  const token = mutant.value;
  const authorization = fuzzer.authorizationFor(token).value;
  const where = caseLabel(seed, mutant.steps, token);
  const guard = <T>(name: string, run: () => T): T | undefined => {
    stats.input(`parsers:${name}`);
    try {
      return run();
    } catch (error) {
      stats.violation('parsers', `${name} threw ${errorName(error)} for ${where}`);
      return undefined;
    }
  };

  const credential = guard('extractBearer', () => extractBearer(authorization));
  if (credential !== undefined) {
    stats.outcome(`extractBearer:${credential.kind}`);
    const reference = bearerToken(authorization);
    if (credential.kind === 'token' && credential.token !== reference) stats.violation('parsers', `extractBearer took a token the RFC 6750 grammar refuses: ${where}`);
  }
  const decoded = guard('decodeCompactJWS', () => decodeCompactJWS(token, MAX_TOKEN_BYTES));
  if (decoded !== undefined) stats.outcome(`decodeCompactJWS:${decoded.kind}`);
  // Header and claims: the decoded ones, or whatever JSON the mutated segments hold.
  const header = decoded?.kind === 'decoded' ? decoded.jws.header : asRecord(decodeSegmentJSON(token.split('.')[0] ?? ''));
  const payload = decoded?.kind === 'decoded' ? decoded.jws.payload : asRecord(decodeSegmentJSON(token.split('.')[1] ?? ''));
  const issuers = [...world.snapshot.policies.flatMap((policy) => policy.issuerList)];
  const candidates = r.chance(0.5) ? issuers : [r.pick(issuers)];
  if (header !== undefined) {
    const verdict = guard('checkHeader', () => checkHeader(header, candidates));
    if (verdict === 'ok' && !candidates.some((issuer) => typeof header.alg === 'string' && issuer.algorithms.includes(header.alg))) {
      stats.violation('parsers', `checkHeader passed an alg no candidate allows: ${where}`);
    }
  }
  if (payload !== undefined) {
    const now = world.now + r.pick([0, -86_400, 86_400, 1e10]);
    const skew = r.pick([0, 60, 300]);
    const verdict = guard('checkClaims', () => checkClaims(payload, r.pick(PROFILES), now, skew));
    if (verdict === 'ok' && !(typeof payload.exp === 'number' && Number.isFinite(payload.exp) && now < payload.exp + skew)) {
      stats.violation('parsers', `checkClaims passed a token without a live exp: ${where}`);
    }
    const audiences = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((value): value is string => typeof value === 'string') : [];
    for (const audience of audiences) audienceCase(world, audience, stats, where);
  }
  audienceCase(world, fuzzer.mutateText(r.pick(['https://mcp.example.com/mcp', 'https://MCP.example.com:443/alt', 'api://mcp-tools', 'https://kiwi.example.com/api'])).value, stats, where);

  const bytes = fuzzer.mutateBytes(r.pick(wireSeeds), wireSeeds).value;
  const request = serviceDecode(bytes);
  if (request !== undefined) {
    const parsed = guard('parseCheckRequest', () => parseCheckRequest(request));
    const authority = request.attributes?.request?.http?.headers?.[':authority'] ?? request.attributes?.request?.http?.host ?? '';
    if (parsed !== undefined && parsed.view.host !== referenceHost(authority)) {
      if (!/^[\x20-\x7e]*$/.test(authority)) stats.knownFinding('F4-unicode-host-fold', `authority ${JSON.stringify(authority).slice(0, 60)}`);
      else stats.violation('parsers', `parseCheckRequest host differs from the ASCII rule for authority ${JSON.stringify(authority).slice(0, 60)}`);
    }
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** canonicalAudience never throws and is idempotent; audienceMatches never says yes where the reference says no. */
function audienceCase(world: FuzzWorld, audience: string, stats: FuzzStats, where: string): void {
  stats.input('parsers:canonicalAudience');
  try {
    const canonical = canonicalAudience(audience);
    if (canonical !== undefined && canonicalAudience(canonical) !== canonical) stats.violation('parsers', `canonicalAudience is not idempotent for ${JSON.stringify(audience).slice(0, 80)}`);
    for (const policy of world.snapshot.policies) {
      const oracle = world.oracles.get(policy.id)!;
      const implementation = audienceMatches([audience], policy.acceptedAudiences);
      const reference = referenceAudienceMatches([audience], [oracle.resource, ...oracle.audiences]);
      if (implementation && !reference) stats.violation('parsers', `audience ${JSON.stringify(audience).slice(0, 80)} matched ${policy.id} against the rule (${where})`);
      if (!implementation && reference) stats.note('audience: stricter than the reference');
    }
  } catch (error) {
    stats.violation('parsers', `canonicalAudience threw ${errorName(error)} for ${JSON.stringify(audience).slice(0, 80)}`);
  }
}

// ---------------------------------------------------------------------------
// decide

export interface DecideOptions {
  /** Re-sign some oidc mutants with its key (slower: RSA signing through jose). */
  readonly oidcResign: boolean;
}

/** One token through decide() with the real key resolver, judged by the oracle. */
export async function decideCase(world: FuzzWorld, fuzzer: MutationFuzzer, stats: FuzzStats, options: DecideOptions): Promise<void> {
  const r = fuzzer.random;
  const made = await tokenCase(world, fuzzer, { oidcResign: options.oidcResign });
  const authorization = r.chance(0.85) ? `Bearer ${made.token}` : fuzzer.authorizationFor(made.token).value;
  const spot = r.weighted<RequestSpot>(SPOTS.map((candidate) => [candidate.host === 'other.example.com' || candidate.path.startsWith('/.well-known') ? 1 : 4, candidate]));
  const view: HttpRequestView = {
    ...spot,
    authorization,
    policyReference: r.chance(0.05) ? r.pick(['fuzz/mcp', 'fuzz/kiwi', 'fuzz/none', '', 'constructor']) : undefined,
  };
  stats.input(made.resigned ? 'decide:resigned' : 'decide:unsigned-or-seed');
  await judgeDecision(world, { view, cached: r.chance(0.5), token: made.token, resigned: made.resigned, label: caseLabel(made.seed, made.steps, made.token) }, stats);
}

export interface DecisionInput {
  readonly view: HttpRequestView;
  /** Run with the real verified-token cache. */
  readonly cached: boolean;
  /** The token inside `view.authorization` (to look for in the response). */
  readonly token: string;
  /** Signed again after mutation: the oracle also looks for decisions stricter than the rules. */
  readonly resigned: boolean;
  readonly label: string;
}

/** Runs decide() and checks every invariant of the decision and of its CheckResponse. */
export async function judgeDecision(world: FuzzWorld, input: DecisionInput, stats: FuzzStats): Promise<void> {
  const { view } = input;
  const environment: CheckEnvironment = input.cached ? world.environments.cached : world.environments.plain;
  const where = `${input.label} at ${view.method} ${view.host}${view.path}${input.cached ? ' (cache)' : ''}`;
  let decision: Decision;
  try {
    decision = await decide(view, world.snapshot, environment);
  } catch (error) {
    const depth = Math.max(...input.token.split('.').slice(0, 2).map((segment) => jsonDepth(Buffer.from(segment, 'base64url').toString('utf8'))));
    if (error instanceof RangeError && input.cached && depth >= 1000) stats.knownFinding('F3-deep-claim-cache-rangeerror', `nesting depth ${depth}, ${fingerprint(input.token)}`);
    else stats.violation('decide', `decide() rejected with ${errorName(error)}: ${where}`);
    return;
  }
  stats.outcome(decision.kind === 'deny' ? `deny:${decision.reason}` : decision.kind);

  let response;
  try {
    response = checkResponseFor(decision, view.method);
  } catch (error) {
    stats.violation('decide', `checkResponseFor threw ${errorName(error)}: ${where}`);
    return;
  }
  const problem = responseProblem(response);
  if (problem !== undefined) stats.violation('decide', `${problem}: ${where}`);
  if (responseEchoes(response, [input.token])) stats.violation('decide', `the CheckResponse carries token bytes: ${where}`);

  const oracle = decision.policy === undefined ? undefined : world.oracles.get(decision.policy.id);
  if (decision.kind === 'allow') {
    if (oracle === undefined) {
      stats.violation('decide', `allow under an unknown policy: ${where}`);
      return;
    }
    if (view.policyReference === undefined && !policyCovers(oracle, view.host, view.path)) stats.violation('decide', `allow under ${oracle.id}, which does not cover the request: ${where}`);
    const token = bearerToken(view.authorization);
    const verdict = token === undefined ? { valid: false as const, why: 'no Bearer token68' } : await tokenVerdict(token, oracle, world.now);
    if (!mayAllow(verdict, oracle)) {
      const known = token === undefined ? undefined : await explainAllow(world, token, oracle);
      if (known !== undefined) stats.knownFinding(known, where);
      else stats.violation('decide', `allow, but the oracle says ${verdict.valid ? 'audience mismatch under Strict' : verdict.why}: ${where}`);
    }
    if (verdict.valid && !verdict.audienceOk && decision.notEnforced !== 'audience_mismatch') stats.violation('decide', `audience failure allowed without being reported as not enforced: ${where}`);
  } else if (decision.kind === 'deny' && input.resigned && oracle !== undefined) {
    // Informational: a token the oracle would let through, refused by the service (stricter than the rules).
    const token = bearerToken(view.authorization);
    if (token !== undefined && mayAllow(await tokenVerdict(token, oracle, world.now), oracle)) stats.note(`stricter than the oracle: ${decision.reason}`);
  }
}

// ---------------------------------------------------------------------------
// grpc

const AUTHORITY_VARIANTS = [
  'MCP.EXAMPLE.COM', 'mcp.example.com:443', 'mcp.example.com:8443', '\u212aiwi.example.com', 'KIWI.example.com', 'kiwi.example.com.', 'kiwi.example.com:1',
  'a.kiwi.example.com', 'xkiwi.example.com', '.kiwi.example.com', 'mcp.example.com\u0000', 'user@mcp.example.com', '[::1]:443', '', ' ', 'mcp.example.com ',
  'm\u0441p.example.com', 'mcp.example.com, kiwi.example.com',
];
const PATH_VARIANTS = [
  '/mcp', '/mcp/', '/mcp?x=1', '/mcp#f', '/mcpx', '/MCP', '//mcp', '/mcp/../admin', '/mcp%2Fx', '', '*', '/api', '/api/', '/apix', '/tools', '/tools/x',
  '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource/api', '/.well-known/oauth-protected-resource',
];
const METHOD_VARIANTS = ['GET', 'HEAD', 'POST', 'get', 'head', 'OPTIONS', '', 'DELETE', 'HEAD ', 'G\u0000ET'];
const CREDENTIAL_HEADERS = ['proxy-authorization', 'cookie', 'x-api-key', 'x-forwarded-authorization', 'x-access-token'];
const POLICY_REFERENCES = ['fuzz/mcp', 'fuzz/kiwi', 'fuzz/none', '', '/', 'fuzz/mcp ', 'FUZZ/MCP', '__proto__', 'constructor'];

/** Seed CheckRequests (Envoy's encoding) for the wire-byte mutations: real tokens in the Authorization header only. */
export function wireSeeds(world: FuzzWorld): Buffer[] {
  const token = (index: number): string => world.seeds[index % world.seeds.length]!.token;
  const shapes = [
    { headers: { authorization: `Bearer ${token(0)}` } },
    { authority: 'kiwi.example.com', path: '/api/x?access_token=1', headers: { authorization: `Bearer ${token(5)}` } },
    { authority: 'eu.kiwi.example.com', path: '/tools', method: 'GET', headers: { authorization: `bearer ${token(17)}` } },
    { method: 'GET', path: '/.well-known/oauth-protected-resource/mcp' },
    { headers: { authorization: `Bearer ${token(11)}` }, contextExtensions: { 'audienceguard.dev/policy': 'fuzz/kiwi' } },
    { authority: 'mcp.example.com:443', headers: { authorization: `Bearer ${token(18)}` } },
  ];
  return shapes.map((shape) => encodeCheckRequest(checkRequest(shape)));
}

interface WireInput {
  readonly bytes: Buffer;
  readonly kind: string;
  readonly label: string;
  /** Tokens placed in the request (recorded; none may show up in logs or the response). */
  readonly tokens: readonly string[];
}

async function wireInput(world: FuzzWorld, fuzzer: MutationFuzzer, seeds: readonly Buffer[], oidcResign: boolean): Promise<WireInput> {
  const r = fuzzer.random;
  const kind = r.weighted<string>([[4, 'authorization'], [2, 'headers'], [1, 'odd-request'], [3, 'wire-bytes']]);
  if (kind === 'wire-bytes') {
    const mutant = fuzzer.mutateBytes(r.pick(seeds), seeds);
    return { bytes: mutant.value, kind, label: `wire [${mutant.steps.join(', ')}]`, tokens: [] };
  }
  const made = await tokenCase(world, fuzzer, { oidcResign });
  const spot = r.pick(SPOTS);
  const base = { authority: spot.host, path: spot.path, method: spot.method };
  if (kind === 'authorization') {
    const authorization = r.chance(0.7) ? `Bearer ${made.token}` : fuzzer.authorizationFor(made.token).value;
    const request = checkRequest({ ...base, headers: { authorization } });
    return { bytes: encodeCheckRequest(request), kind, label: caseLabel(made.seed, made.steps, made.token), tokens: [made.token] };
  }
  if (kind === 'headers') {
    const headers: Record<string, string> = { authorization: `Bearer ${made.token}` };
    const steps: string[] = [];
    const shape: { authority?: string; path?: string; method?: string; headers: Record<string, string>; contextExtensions?: Record<string, string> } = { ...base, headers };
    for (let round = r.between(1, 3); round > 0; round -= 1) {
      const op = r.pick(['authority', 'path', 'method', 'credential-header', 'query-token', 'repeated-authorization', 'drop-authorization', 'request-id', 'policy-reference', 'many-headers', 'upper-case-name']);
      steps.push(op);
      switch (op) {
        case 'authority': shape.authority = r.chance(0.7) ? r.pick(AUTHORITY_VARIANTS) : fuzzer.mutateText(spot.host).value; break;
        case 'path': shape.path = r.chance(0.7) ? r.pick(PATH_VARIANTS) : fuzzer.mutateText(spot.path).value; break;
        case 'method': shape.method = r.pick(METHOD_VARIANTS); break;
        case 'credential-header': headers[r.pick(CREDENTIAL_HEADERS)] = r.chance(0.5) ? made.token : `Bearer ${made.token}`; break;
        case 'query-token': shape.path = `${spot.path}?access_token=${made.token}`; break;
        case 'repeated-authorization': headers.authorization = `Bearer ${made.token},Bearer ${made.token}`; break;
        case 'drop-authorization': Reflect.deleteProperty(headers, 'authorization'); headers.Authorization = `Bearer ${made.token}`; break;
        case 'request-id': headers['x-request-id'] = r.pick(['', '\u0000', '\ud800', 'x'.repeat(20_000), '"}\n{"level":"fatal"', '\u202e']); break;
        case 'policy-reference': shape.contextExtensions = { 'audienceguard.dev/policy': r.pick(POLICY_REFERENCES) }; break;
        case 'many-headers': for (let index = 0; index < 500; index += 1) headers[`x-h-${index}`] = 'v'.repeat(r.below(64)); break;
        default: headers[r.pick(['AUTHORIZATION', 'Authorization ', ' authorization', 'authorization\u0000'])] = `Bearer ${made.token}`; break;
      }
    }
    return { bytes: encodeCheckRequest(checkRequest(shape)), kind, label: `${caseLabel(made.seed, made.steps, made.token)} headers [${steps.join(', ')}]`, tokens: [made.token] };
  }
  const template = r.below(10);
  const auth = { authorization: `Bearer ${made.token}` };
  const requests: Record<string, unknown>[] = [
    {},
    { attributes: {} },
    { attributes: { request: {} } },
    { attributes: { request: { http: {} } } },
    { attributes: { request: { http: { method: 'POST', host: 'mcp.example.com', path: '/mcp' } } } },
    { attributes: { request: { http: { headers: auth } } } },
    { attributes: { source: { address: { pipe: { path: '/tmp/x', mode: 7 } } }, request: { http: { headers: { ':authority': 'mcp.example.com', ':path': '/mcp', ...auth } } } } },
    { attributes: { request: { http: { header_map: { headers: [{ key: 'authorization', value: auth.authorization }] }, headers: { ':authority': 'mcp.example.com', ':path': '/mcp' } } } } },
    { attributes: { ...checkRequest({ headers: auth }).attributes as Record<string, unknown>, context_extensions: Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`k${index}`, 'v'])) } },
    { attributes: { ...checkRequest({ headers: auth }).attributes as Record<string, unknown>, destination: { address: { socket_address: { address: '::1', named_port: 'grpc' } }, principal: 'spiffe://cluster.local/ns/x/sa/y' }, tls_session: { sni: 'mcp.example.com' } } },
  ];
  const request = requests[template]!;
  // Nesting protobufjs would not encode (and refuses to decode past 100 levels): a Struct in metadata_context.
  const bytes = r.chance(0.2) ? withDeepStruct(request, r.pick([1, 30, 60, 500])) : encodeCheckRequest(request);
  return { bytes, kind, label: `${caseLabel(made.seed, made.steps, made.token)} odd-request #${template}`, tokens: [made.token] };
}

/**
 * Request fields the service may log (docs/contract.md §3.3): a token placed
 * there by the client would be logged by design.
 */
function loggedFields(request: CheckRequest): string[] {
  const http = request.attributes?.request?.http;
  const headers = http?.headers ?? {};
  const socket = request.attributes?.source?.address?.socket_address;
  const withoutQuery = (path: string | undefined): string | undefined => path?.split(/[?#]/, 1)[0];
  return [headers[':authority'], withoutQuery(headers[':path']), headers[':method'], headers['x-request-id'], http?.host, withoutQuery(http?.path), http?.method, socket?.address]
    .filter((value): value is string => typeof value === 'string');
}

export interface GrpcOptions {
  readonly oidcResign: boolean;
  /** Record every token sent in the suite-wide secret ledger (the CI suite does; the long run checks leaks itself). */
  readonly record: boolean;
  /** Collects every credential the service received, for the caller's own leak scan. */
  readonly sent: string[];
}

/** One request through the real gRPC server. */
export async function grpcCase(world: FuzzWorld, fuzzer: MutationFuzzer, client: RawCheckClient, seeds: readonly Buffer[], stats: FuzzStats, options: GrpcOptions): Promise<void> {
  const input = await wireInput(world, fuzzer, seeds, options.oidcResign);
  const protobufView = serviceDecode(input.bytes);
  const decoded = protobufView ?? envoyDecode(input.bytes);
  const received = bearerLikeCredential(decoded?.attributes?.request?.http?.headers?.authorization);
  const secrets = [...input.tokens, ...(received === undefined ? [] : [received])].filter(isRecordable);
  if (decoded !== undefined) {
    const logged = loggedFields(decoded).join('\n');
    if (secrets.some((secret) => secretPieces(secret).some((piece) => piece.length >= 16 && logged.includes(piece)))) {
      stats.note('grpc: skipped, token bytes in a logged request field');
      return;
    }
  }
  for (const secret of secrets) {
    if (options.record) recordToken(secret);
    options.sent.push(secret);
  }
  stats.input(`grpc:${input.kind}`);
  const outcome = await client.check(input.bytes);
  if (outcome.kind === 'rpc-error') {
    // grpc-js refuses bytes the service's deserializer cannot read (INTERNAL) before any handler runs.
    if (isTransportRefusal(outcome)) {
      stats.outcome('grpc: INTERNAL, request not deserializable (transport)');
      if (protobufView !== undefined) stats.note('grpc: refused bytes that protobuf decodes');
    } else {
      stats.violation('grpc', `RPC error ${outcome.code} (${outcome.details.slice(0, 80)}): ${input.label}`);
    }
    return;
  }
  if (protobufView === undefined) stats.note('grpc: answered bytes that protobuf refuses');
  const response = outcome.response;
  stats.outcome(`grpc: ${(response.status?.code ?? 0) === 0 ? 'allow' : `deny ${response.status?.message ?? ''}`}`);
  const problem = responseProblem(response);
  if (problem !== undefined) stats.violation('grpc', `${problem}: ${input.label}`);
  if (responseEchoes(response, secrets)) stats.violation('grpc', `the CheckResponse carries token bytes: ${input.label}`);
  if ((response.status?.code ?? 0) === 0) await judgeWireAllow(world, input.bytes, decoded, response, stats, input.label);
}

/** The credential of an Authorization value when it looks like `scheme SP credential`, else the whole value. */
function bearerLikeCredential(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const space = authorization.indexOf(' ');
  return space === -1 ? authorization : authorization.slice(space).trimStart();
}

/** Bearer credentials anywhere in raw request bytes (for requests protobufjs cannot decode). */
function bearerTokensIn(bytes: Buffer): string[] {
  return [...bytes.toString('latin1').matchAll(/[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)/g)].map((match) => match[1] ?? '');
}

/**
 * Judges an allow from the real server. What the service read is taken from
 * protobuf decoding of the same bytes; when protobufjs cannot decode them (it
 * misreads a known field sent with another wire type, which a spec-following
 * decoder skips), every Bearer credential in the raw bytes is a candidate. The
 * allow stands if one candidate is valid for the policy named in the answer.
 */
async function judgeWireAllow(world: FuzzWorld, bytes: Buffer, request: CheckRequest | undefined, response: DecodedCheckResponse, stats: FuzzStats, label: string): Promise<void> {
  const policyId = response.dynamic_metadata?.fields?.policy?.stringValue;
  const oracle = policyId === undefined ? undefined : world.oracles.get(policyId);
  if (oracle === undefined) {
    stats.violation('grpc', `allow under unknown policy ${String(policyId)}: ${label}`);
    return;
  }
  const http = request?.attributes?.request?.http;
  if (request !== undefined) {
    const authority = http?.headers?.[':authority'] ?? http?.host ?? '';
    const path = (http?.headers?.[':path'] ?? http?.path ?? '').split(/[?#]/, 1)[0] ?? '';
    const reference = request.attributes?.context_extensions?.['audienceguard.dev/policy'];
    if (reference !== oracle.id && !policyCovers(oracle, referenceHost(authority), path)) {
      if (policyCovers(oracle, referenceHost(authority.toLowerCase()), path)) stats.knownFinding('F4-unicode-host-fold', `allow under ${oracle.id} for authority ${JSON.stringify(authority).slice(0, 60)}`);
      else stats.violation('grpc', `allow under ${oracle.id}, which does not cover ${JSON.stringify(authority).slice(0, 60)} ${JSON.stringify(path).slice(0, 60)}: ${label}`);
    }
  } else {
    stats.note('grpc: allowed bytes protobufjs cannot decode (judged by the credentials in the bytes)');
  }
  const decodedToken = bearerToken(http?.headers?.authorization);
  const candidates = [...new Set([...(decodedToken === undefined ? [] : [decodedToken]), ...(request === undefined ? bearerTokensIn(bytes) : [])])];
  let why = 'no Bearer token68';
  for (const token of candidates) {
    const verdict = await tokenVerdict(token, oracle, world.now);
    if (mayAllow(verdict, oracle)) return;
    why = verdict.valid ? 'audience mismatch under Strict' : verdict.why;
  }
  for (const token of candidates) {
    const known = await explainAllow(world, token, oracle);
    if (known !== undefined) {
      stats.knownFinding(known, label.slice(0, 160));
      return;
    }
  }
  stats.violation('grpc', `allow, but the oracle says ${why}: ${label}`);
}

// ---------------------------------------------------------------------------
// policy

const YAML_SNIPPETS = [
  '&a [1, 2]', '*a', '<<: *a', '!!binary AAAA', '!!str', '!!int "x"', '!!map', '? ', '- ', '---\n', '...\n', '%YAML 1.1\n', '%TAG ! tag:x:\n', '\t', '{', '}', '[', ']', ': ', '"\\u0000"', '"\\ud800"', "'", '|', '>-', '#',
  'resource: x\nresource: y\n', '__proto__: {a: 1}\n', 'constructor: x\n', 'spec: !!null\n', '\ufeff', '\u0000', '\r\n', 'a: &x {b: *x}\n',
  `bomb: &b0 [x, x]\nb1: &b1 [*b0, *b0, *b0, *b0]\nb2: &b2 [*b1, *b1, *b1, *b1]\nb3: [*b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2]\n`,
  'y: 2001-12-14t21:59:43.10-05:00\n', 'n: 0o777\n', 'x: .inf\n', 'x: 1e309\n', 'x: 0x1F\n', 'on: yes\n',
];

const PROBLEM_ORIGIN = /^fuzz\.yaml#\d+$/;

/** A mutated policy: the document itself (form `object`) or a YAML/JSON text of it. */
export interface PolicyInput {
  readonly form: 'object' | 'yaml' | 'json' | 'text';
  readonly document: unknown;
  readonly text: string;
  readonly where: string;
}

/** Makes one mutated policy input (exported so a reported case can be regenerated and inspected). */
export function policyInput(world: FuzzWorld, fuzzer: MutationFuzzer): PolicyInput {
  const r = fuzzer.random;
  const seedDocument = r.pick(world.documents);
  const mutant = fuzzer.mutateDocument(seedDocument);
  const where = `policy "${seedDocument.metadata.name}" steps [${mutant.steps.join(', ')}]`;
  const form = r.weighted<PolicyInput['form']>([[3, 'object'], [3, 'yaml'], [1, 'json'], [1, 'text']]);
  if (form === 'object') return { form, document: mutant.value, text: '', where };
  // yaml's stringify takes seconds on a 1000-level value: deep documents go as JSON text (which is YAML too).
  let text = form === 'json' || documentDepth(mutant.value) > 200 ? JSON.stringify(mutant.value) : stringifyOrEmpty(mutant.value, r.chance(0.5));
  if (form === 'text' || r.chance(0.3)) text = mutateYAMLText(fuzzer, text);
  if (r.chance(0.2)) text = `${text}\n---\n${stringify(r.pick(world.documents))}`;
  return { form, document: mutant.value, text, where };
}

/** One mutated policy document (as an object, as YAML or as JSON text) through the validator, the stream reader and the compiler. */
export function policyCase(world: FuzzWorld, fuzzer: MutationFuzzer, stats: FuzzStats): void {
  const { form, document, text, where } = policyInput(world, fuzzer);
  stats.input(`policy:${form}`);
  try {
    if (form === 'object') {
      const validation = validatePolicy(document);
      stats.outcome(`policy: ${validation.valid ? 'valid' : 'invalid'}`);
      if (!validation.valid) {
        for (const problem of validation.problems) {
          if (!problem.path.startsWith('/') || typeof problem.message !== 'string' || problem.message === '') stats.violation('policy', `problem without path/message ${JSON.stringify(problem).slice(0, 120)}: ${where}`);
        }
      } else {
        compileCase(validation.policy, stats, where);
      }
      return;
    }
    const result = readPolicyStream('fuzz.yaml', text);
    stats.outcome(`policy stream: ${result.policies.length} valid, ${result.problems.length > 0 ? 'problems' : 'no problems'}`);
    for (const problem of result.problems) {
      if (!PROBLEM_ORIGIN.test(problem.origin) || !problem.path.startsWith('/') || typeof problem.message !== 'string' || problem.message === '') {
        stats.violation('policy', `problem without origin/path/message ${JSON.stringify(problem).slice(0, 160)}: ${where}`);
      }
    }
    for (const policy of result.policies) compileCase(policy.document, stats, where);
  } catch (error) {
    stats.violation('policy', `threw ${errorName(error)}: ${where}`);
  }
}

function documentDepth(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    deepest = Math.max(deepest, depth);
    if (typeof current === 'object' && current !== null) for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** YAML for a document, in block or flow style (flow keeps deeply nested values linear in size). */
function stringifyOrEmpty(value: unknown, flow: boolean): string {
  try {
    return stringify(value, { collectionStyle: flow ? 'flow' : 'any' });
  } catch {
    return '';
  }
}

function mutateYAMLText(fuzzer: MutationFuzzer, text: string): string {
  const r = fuzzer.random;
  let next = text;
  for (let round = r.between(1, 3); round > 0; round -= 1) {
    if (r.chance(0.5)) {
      const lines = next.split('\n');
      const at = r.below(lines.length + 1);
      lines.splice(at, 0, `${' '.repeat(r.pick([0, 2, 4]))}${r.pick(YAML_SNIPPETS)}`);
      next = lines.join('\n');
    } else {
      next = fuzzer.mutateText(next).value;
    }
  }
  return next;
}

function compileCase(document: Parameters<typeof compilePolicy>[0], stats: FuzzStats, where: string): void {
  stats.input('policy:compile');
  try {
    const policy = compilePolicy(document, { createdAt: 0, loadOrder: 0 });
    new PolicySnapshot([policy], 1).select({ method: 'GET', host: policy.hosts[0] ?? '', path: policy.metadataPath, authorization: undefined, policyReference: undefined });
  } catch (error) {
    const implications = document.spec.scopeImplications ?? {};
    const names = [...Object.keys(implications), ...Object.values(implications).flat()];
    if (names.some((name) => PROTOTYPE_NAMES.includes(name))) stats.knownFinding('F5-scope-implication-prototype-name', `${errorName(error)} (${where})`);
    else stats.violation('policy', `a valid document failed to compile: ${errorName(error)}: ${where}`);
  }
}

export { FuzzStats };
