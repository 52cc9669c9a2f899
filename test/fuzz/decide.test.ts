/**
 * Fuzzing the decision: decide() runs against the fuzz world's two policies
 * with a real IssuerKeyStore (both issuers' JWKS fetched over loopback), with
 * and without the real verified-token cache. An independent oracle
 * (test/fuzz/token-oracle.ts: jose.jwtVerify against the issuer's JWKS plus
 * the spec's remaining rules) judges every allow. Invariants: decide() never
 * rejects; every answer maps to a well-formed CheckResponse that echoes no
 * token bytes; an allow happens only for a token valid for the selected
 * policy, and always removes `authorization` upstream.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { decide } from '../../src/core/check-pipeline.ts';
import { uriVariants } from '../support/mutation-fuzzer.ts';
import { MCP_RESOURCE, OTHER_RESOURCE } from '../support/service-harness.ts';
import { assertNoViolations, closeSharedFuzzWorld, fcParameters, printSummary, scaled, sharedFuzzWorld, targetSeed } from './fuzz-config.ts';
import { FuzzStats, runCases } from './fuzz-stats.ts';
import { decideCase, judgeDecision } from './fuzz-targets.ts';
import { FUZZ_ALGORITHMS, FUZZ_KIDS, KIWI_RESOURCE, type FuzzWorld } from './fuzz-world.ts';
import { mayAllow, tokenVerdict } from './token-oracle.ts';

const MCP_SPOT = { method: 'POST', host: 'mcp.example.com', path: '/mcp' };
const KIWI_SPOT = { method: 'POST', host: 'kiwi.example.com', path: '/api' };

after(closeSharedFuzzWorld);

describe('fuzz: decide() with the real key resolver, judged by an independent oracle', function () {
  this.timeout(60_000);
  let world: FuzzWorld;

  before(async function () {
    world = await sharedFuzzWorld();
  });

  it('agrees with the oracle on every real seed token, both ways (the oracle is not vacuous)', async function () {
    let allowed = 0;
    let denied = 0;
    for (const seed of world.seeds) {
      for (const spot of [MCP_SPOT, KIWI_SPOT]) {
        for (const environment of [world.environments.plain, world.environments.cached, world.environments.cached]) {
          const decision = await decide({ ...spot, authorization: `Bearer ${seed.token}`, policyReference: undefined }, world.snapshot, environment);
          const oracle = world.oracles.get(decision.policy!.id)!;
          const expected = mayAllow(await tokenVerdict(seed.token, oracle, world.now), oracle);
          assert.equal(decision.kind === 'allow', expected, `seed "${seed.label}" at ${spot.host}: service ${decision.kind === 'deny' ? decision.reason : decision.kind}, oracle ${String(expected)}`);
          if (expected) allowed += 1;
          else denied += 1;
        }
      }
    }
    assert.ok(allowed >= 30 && denied >= 30, `${allowed} allowed, ${denied} denied`);
  });

  it('never allows a token the oracle refuses: claims and headers around every rule, signed by a trusted issuer (fast-check)', async function () {
    const now = world.now;
    const fuzzIssuer = world.fuzzIssuer.issuer;
    const audiences = [...uriVariants(MCP_RESOURCE), ...uriVariants('https://MCP.example.com:443/alt'), ...uriVariants(KIWI_RESOURCE), 'api://mcp-tools', 'API://mcp-tools', OTHER_RESOURCE];
    const time = (around: number): fc.Arbitrary<unknown> => fc.oneof(
      fc.integer({ min: -400, max: 400 }).map((delta) => around + delta),
      fc.constantFrom(now, now + 60, now - 60, now + 59.5, now - 60.5, 1e21, -1, 0, 2 ** 53, `${now + 300}`, null, true, [now + 300]),
      fc.double(),
    );
    // A valid token for each policy, then up to three changes to claims or header: most cases sit next to the rules.
    const claimChange = fc.oneof(
      fc.tuple(fc.constant('iss'), fc.oneof(fc.constantFrom(`${fuzzIssuer}/`, fuzzIssuer.toUpperCase(), world.harness.auth.issuer, '', undefined), fc.jsonValue({ maxDepth: 1 }))),
      fc.tuple(fc.constant('aud'), fc.oneof(fc.constantFrom(...audiences, undefined), fc.array(fc.constantFrom(...audiences), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }))),
      fc.tuple(fc.constantFrom('sub', 'client_id', 'jti'), fc.oneof(fc.constantFrom(undefined, null, '', 'x'), fc.jsonValue({ maxDepth: 1 }))),
      fc.tuple(fc.constant('iat'), time(now - 10)),
      fc.tuple(fc.constant('exp'), time(now + 30)),
      fc.tuple(fc.constant('nbf'), time(now)),
      fc.tuple(fc.constant('scope'), fc.oneof(fc.constantFrom('mcp:admin', 'mcp:tools mcp:admin', 'MCP:TOOLS', 'mcp:tools\tx', ' mcp:tools ', 'mcp:toolsx', 'offline_access', '', undefined), fc.jsonValue({ maxDepth: 1 }))),
      fc.tuple(fc.constant('scp'), fc.oneof(fc.constantFrom('mcp:tools', 'mcp:admin', 'x y'), fc.array(fc.constantFrom('mcp:tools', 'mcp:admin', 'x'), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 }))),
      fc.tuple(fc.constantFrom('cnf', 'nonce', 'at_hash', 'act', 'x5c'), fc.constantFrom({ jkt: 'x' }, null, {}, 'n')),
    );
    const headerChange = fc.oneof(
      fc.tuple(fc.constant('typ'), fc.oneof(fc.constantFrom('at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/AT+JWT', 'JWT', 'jwt', 'application/jwt', 'at+jwt ', 'x/at+jwt', 'application/application/at+jwt', 'at+jwt;q=1', undefined), fc.jsonValue({ maxDepth: 1 }))),
      fc.tuple(fc.constant('kid'), fc.constantFrom(undefined, 'not-a-key', 'fuzz-rsa', 'fuzz-p256', 'fuzz-p384', 'fuzz-p521', 'fuzz-ed25519', 7)),
      fc.tuple(fc.constant('crit'), fc.constantFrom(['exp'], ['b64'], [])),
      fc.tuple(fc.constantFrom('jku', 'x5u'), fc.constant('https://attacker.example/jwks')),
      fc.tuple(fc.constant('enc'), fc.constant('A256GCM')),
    );
    const caseArb = fc.record({
      kiwi: fc.boolean(),
      alg: fc.constantFrom(...FUZZ_ALGORITHMS),
      claimChanges: fc.array(claimChange, { maxLength: 3 }),
      headerChanges: fc.array(headerChange, { maxLength: 2 }),
      cached: fc.boolean(),
    });
    const stats = new FuzzStats();
    const started = performance.now();
    await fc.assert(fc.asyncProperty(caseArb, async ({ kiwi, alg, claimChanges, headerChanges, cached }) => {
      const header: Record<string, unknown> = { alg, typ: kiwi ? 'JWT' : 'at+jwt', kid: FUZZ_KIDS[alg] };
      const claims: Record<string, unknown> = kiwi
        ? { iss: fuzzIssuer, aud: KIWI_RESOURCE, exp: now + 300, sub: 'kiwi-user' }
        : { iss: fuzzIssuer, aud: MCP_RESOURCE, sub: 'fuzz-user', client_id: 'fuzz-client', jti: 'j', iat: now - 10, exp: now + 300, scope: 'mcp:tools' };
      for (const [name, value] of claimChanges) claims[name] = value;
      for (const [name, value] of headerChanges) header[name] = value;
      const token = world.fuzzIssuer.sign(JSON.parse(JSON.stringify(header)) as Record<string, unknown>, JSON.parse(JSON.stringify(claims)) as Record<string, unknown>);
      const caseStats = new FuzzStats();
      caseStats.input('decide:claims');
      const view = { ...(kiwi ? KIWI_SPOT : MCP_SPOT), authorization: `Bearer ${token}`, policyReference: undefined };
      await judgeDecision(world, { view, cached, token, resigned: true, label: 'claims property' }, caseStats);
      stats.merge(caseStats);
      assert.equal(caseStats.violationCount, 0, caseStats.violations.join('\n'));
    }), fcParameters(201, 600));
    printSummary('decide (claims property)', fcParameters(201, 600).seed, stats, performance.now() - started);
    assert.ok((stats.outcomes.get('allow') ?? 0) > 0, 'some of the generated tokens must be valid');
  });

  it('never rejects, answers well-formed CheckResponses, never allows what the oracle refuses (mutation fuzzer over real tokens)', async function () {
    const seed = targetSeed(2);
    const started = performance.now();
    const stats = await runCases(scaled(2500), seed, 1, (fuzzer, caseStats) => decideCase(world, fuzzer, caseStats, { oidcResign: true }));
    printSummary('decide', seed, stats, performance.now() - started);
    assertNoViolations('decide', stats);
    assert.ok((stats.outcomes.get('allow') ?? 0) > 0 && (stats.inputs.get('decide:resigned') ?? 0) > 0);
  });
});
