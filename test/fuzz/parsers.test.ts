/**
 * Fuzzing the parsers of the decision core and the Envoy adapter: whatever a
 * client or a broken peer sends, none of them throws, and where a parser's
 * answer decides security it agrees with the spec's grammar (the oracle's
 * reference in test/fuzz/token-oracle.ts). fast-check for structured random
 * input; the mutation fuzzer (test/support/mutation-fuzzer.ts) over REAL
 * tokens and REAL CheckRequests encoded with Envoy's protos.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { audienceMatches, canonicalAudience } from '../../src/core/audience.ts';
import { extractBearer } from '../../src/core/bearer.ts';
import { checkClaims } from '../../src/core/claims.ts';
import { decodeCompactJWS } from '../../src/core/compact-jws.ts';
import { checkHeader } from '../../src/core/jws-header.ts';
import { parseCheckRequest } from '../../src/envoy/check-request.ts';
import type { CheckRequest } from '../../src/envoy/proto.ts';
import { uriVariants } from '../support/mutation-fuzzer.ts';
import { MCP_RESOURCE, OTHER_RESOURCE } from '../support/service-harness.ts';
import { assertNoViolations, closeSharedFuzzWorld, fcParameters, printSummary, scaled, sharedFuzzWorld, targetSeed } from './fuzz-config.ts';
import { runCases } from './fuzz-stats.ts';
import { parserCase, wireSeeds } from './fuzz-targets.ts';
import { KIWI_RESOURCE, MAX_TOKEN_BYTES, type FuzzWorld } from './fuzz-world.ts';
import { bearerToken, referenceAudienceMatches } from './token-oracle.ts';

const TOKEN68 = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/');
const BASE64URL = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
const ODD = ['=', ' ', '\t', ',', '\u0000', '\ud800', '\u212a', '"', '\n'];

const token68Arb = fc.string({ unit: fc.constantFrom(...TOKEN68, ...TOKEN68, ...ODD), maxLength: 120 });
const authorizationArb = fc.oneof(
  fc.constant(undefined),
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.tuple(
    fc.oneof(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR', 'Basic', 'DPoP', 'Bear', 'Bearer\u0000', 'B\u0435arer', ''), fc.string({ maxLength: 10 })),
    fc.constantFrom(' ', '  ', '   ', '\t', '', ',', ' ,', '\u00a0'),
    token68Arb,
    fc.constantFrom('', '=', '==', ' ', ',', ',Bearer x'),
  ).map((parts) => parts.join('')),
);

const segmentArb = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value)).toString('base64url')),
  fc.object({ maxDepth: 2 }).map((value) => Buffer.from(JSON.stringify(value)).toString('base64url')),
  fc.string({ unit: fc.constantFrom(...BASE64URL), maxLength: 80 }),
  fc.string({ maxLength: 20 }),
);
const compactArb = fc.oneof(
  fc.array(segmentArb, { minLength: 1, maxLength: 6 }).map((segments) => segments.join('.')),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

const jsonObjectArb = (names: readonly string[]): fc.Arbitrary<Record<string, unknown>> => fc.dictionary(
  fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })),
  fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.double(), fc.constantFrom(Number.POSITIVE_INFINITY, -0, Number.NaN, 'NaN', '1e309', 2 ** 53 + 2)),
  { maxKeys: 8 },
);
const HEADER_NAMES = ['alg', 'typ', 'kid', 'crit', 'enc', 'jku', 'x5u', 'jwk', 'x5c', 'b64', '__proto__', 'constructor'];
const CLAIM_NAMES = ['iss', 'aud', 'sub', 'client_id', 'exp', 'nbf', 'iat', 'jti', 'scope', 'scp', 'cnf', 'nonce', 'at_hash', '__proto__', 'toString'];
const headerArb = fc.oneof(
  jsonObjectArb(HEADER_NAMES),
  fc.record({
    alg: fc.oneof(fc.constantFrom('RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'none', 'HS256', 'rs256', ''), fc.jsonValue({ maxDepth: 1 })),
    typ: fc.oneof(fc.constantFrom('at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT', 'jwt', 'at+jwt ', 'x/at+jwt'), fc.jsonValue({ maxDepth: 1 })),
    kid: fc.oneof(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })),
  }, { requiredKeys: [] }),
);

const headersMapArb = fc.dictionary(
  fc.oneof(fc.constantFrom(':authority', ':path', ':method', 'authorization', 'x-request-id', '__proto__', 'constructor', 'toString', 'Authorization'), fc.string({ maxLength: 12 })),
  fc.string({ unit: 'binary', maxLength: 80 }),
  { maxKeys: 8 },
);
const checkRequestArb: fc.Arbitrary<CheckRequest> = fc.record({
  attributes: fc.record({
    source: fc.record({ address: fc.record({ socket_address: fc.record({ address: fc.string({ maxLength: 40 }), port_value: fc.integer({ min: 0, max: 65_535 }) }, { requiredKeys: [] }) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    request: fc.record({
      http: fc.record({
        headers: headersMapArb,
        method: fc.string({ maxLength: 10 }),
        host: fc.string({ unit: 'binary', maxLength: 40 }),
        path: fc.string({ unit: 'binary', maxLength: 60 }),
      }, { requiredKeys: [] }),
    }, { requiredKeys: [] }),
    context_extensions: fc.dictionary(fc.oneof(fc.constant('audienceguard.dev/policy'), fc.string({ maxLength: 10 })), fc.string({ maxLength: 30 }), { maxKeys: 3 }),
  }, { requiredKeys: [] }),
}, { requiredKeys: [] });

after(closeSharedFuzzWorld);

describe('fuzz: parsers of the decision core and the Envoy adapter', function () {
  this.timeout(60_000);
  let world: FuzzWorld;

  before(async function () {
    world = await sharedFuzzWorld();
  });

  it('extractBearer never throws and takes a token only where the RFC 6750 grammar does (fast-check)', function () {
    fc.assert(fc.property(authorizationArb, (value) => {
      const credential = extractBearer(value);
      if (credential.kind === 'token') assert.equal(credential.token, bearerToken(value));
    }), fcParameters(101, 3000));
  });

  it('decodeCompactJWS never throws; what it decodes has three segments and JSON object header and claims (fast-check)', function () {
    fc.assert(fc.property(compactArb, fc.constantFrom(16, 256, MAX_TOKEN_BYTES), (token, maxBytes) => {
      const decoded = decodeCompactJWS(token, maxBytes);
      if (decoded.kind === 'too_large') assert.ok(token.length > maxBytes);
      if (decoded.kind === 'decoded') {
        assert.equal(token.split('.').length, 3);
        for (const part of [decoded.jws.header, decoded.jws.payload]) assert.ok(typeof part === 'object' && !Array.isArray(part));
        assert.equal('enc' in decoded.jws.header, false);
      }
    }), fcParameters(102, 3000));
  });

  it('checkHeader never throws, and passes only an alg one of the candidate issuers allows (fast-check)', function () {
    const issuers = world.snapshot.policies.flatMap((policy) => policy.issuerList);
    fc.assert(fc.property(headerArb, fc.subarray(issuers, { minLength: 1 }), (header, candidates) => {
      const verdict = checkHeader(header, candidates);
      if (verdict === 'ok') assert.ok(candidates.some((issuer) => typeof header.alg === 'string' && issuer.algorithms.includes(header.alg)));
    }), fcParameters(103, 3000));
  });

  it('checkClaims never throws, and passes only a finite exp that is still live with the skew (fast-check)', function () {
    fc.assert(fc.property(jsonObjectArb(CLAIM_NAMES), fc.constantFrom<'rfc9068' | 'jwt'>('rfc9068', 'jwt'), fc.integer({ min: 0, max: 2_000_000_000 }), fc.integer({ min: 0, max: 300 }), (claims, profile, now, skew) => {
      const verdict = checkClaims(claims, profile, now, skew);
      if (verdict === 'ok') assert.ok(typeof claims.exp === 'number' && Number.isFinite(claims.exp) && now < claims.exp + skew);
    }), fcParameters(104, 3000));
  });

  it('canonicalAudience never throws and is idempotent; audienceMatches never accepts what the docs/contract.md §2.2 rule refuses (fast-check)', function () {
    const near = [MCP_RESOURCE, 'https://MCP.example.com:443/alt', KIWI_RESOURCE, OTHER_RESOURCE].flatMap(uriVariants);
    const audienceArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.webUrl(),
      fc.constantFrom(...near, 'api://mcp-tools', 'API://mcp-tools', 'api://mcp-tools/'),
      fc.tuple(fc.constantFrom(...near), fc.nat(60), fc.constantFrom(...ODD, 'A', '%41', '/', ':443', '.')).map(([value, at, insert]) => value.slice(0, at) + insert + value.slice(at)),
    );
    fc.assert(fc.property(audienceArb, (audience) => {
      const canonical = canonicalAudience(audience);
      if (canonical !== undefined) assert.equal(canonicalAudience(canonical), canonical);
      for (const policy of world.snapshot.policies) {
        const oracle = world.oracles.get(policy.id)!;
        if (audienceMatches([audience], policy.acceptedAudiences)) assert.ok(referenceAudienceMatches([audience], [oracle.resource, ...oracle.audiences]), `${policy.id} accepted ${JSON.stringify(audience)}`);
      }
    }), fcParameters(105, 3000));
  });

  it('parseCheckRequest never throws for any CheckRequest shape protobuf decoding can produce (fast-check)', function () {
    fc.assert(fc.property(checkRequestArb, (request) => {
      const { view, log } = parseCheckRequest(request);
      for (const value of [view.method, view.host, view.path, log.host, log.method, log.path]) assert.equal(typeof value, 'string');
      for (const value of [log.host, log.path, log.method, log.request_id ?? '']) assert.ok(value.length <= 513);
    }), fcParameters(106, 2000));
  });

  it('never throws on mutated real tokens, Authorization values and Envoy-encoded CheckRequest bytes (mutation fuzzer)', async function () {
    const seed = targetSeed(1);
    const seeds = wireSeeds(world);
    const started = performance.now();
    const stats = await runCases(scaled(3000), seed, 1, (fuzzer, caseStats) => { parserCase(world, fuzzer, seeds, caseStats); });
    printSummary('parsers', seed, stats, performance.now() - started);
    assertNoViolations('parsers', stats);
    assert.ok((stats.outcomes.get('decodeCompactJWS:decoded') ?? 0) > 0 && (stats.outcomes.get('decodeCompactJWS:malformed') ?? 0) > 0);
  });
});
