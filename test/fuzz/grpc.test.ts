/**
 * Fuzzing the real service through its gRPC port on loopback (the service
 * harness: file policies, the local oidc-provider and the fuzzer's own issuer
 * as trusted issuers). Requests are encoded with Envoy's own protos and sent
 * as raw bytes, so the server decodes exactly what the fuzzer made: mutated
 * Authorization values, mutated header maps, CheckRequests with missing or
 * odd fields, and byte-level mutations of real encoded CheckRequests.
 *
 * Invariants: a CheckResponse for every request the service can deserialize
 * (grpc-js's own INTERNAL "Error deserializing request" for the rest — the
 * transport's refusal, before any handler runs; see test/fuzz/envoy-wire.ts);
 * every deny a full denied_response; never an allow the oracle refuses; no
 * token bytes in any response or in the service's logs. Every token sent is
 * recorded in the secret ledger for the suite-wide leak scan as well.
 */
import { strict as assert } from 'node:assert';
import { checkRequest } from '../support/envoy-check-client.ts';
import { MCP_RESOURCE } from '../support/service-harness.ts';
import { assertNoViolations, closeSharedFuzzWorld, printSummary, scaled, sharedFuzzWorld, targetSeed } from './fuzz-config.ts';
import { encodeCheckRequest, isTransportRefusal, RawCheckClient, withDeepStruct } from './envoy-wire.ts';
import { runCases } from './fuzz-stats.ts';
import { grpcCase, responseProblem, wireSeeds } from './fuzz-targets.ts';
import type { FuzzWorld } from './fuzz-world.ts';
import { LeakIndex } from './leak-index.ts';

after(closeSharedFuzzWorld);

describe('fuzz: the real gRPC server with Envoy-encoded and mutated CheckRequests', function () {
  this.timeout(60_000);
  let world: FuzzWorld;
  let client: RawCheckClient;
  const sent: string[] = [];

  before(async function () {
    world = await sharedFuzzWorld();
    client = new RawCheckClient(world.harness.service.grpcPort);
  });

  after(function () {
    client.close();
  });

  const goodToken = (): string => world.seeds.find((seed) => seed.label === 'oidc: mcp, mcp:tools')!.token;

  it('answers every seed CheckRequest with a well-formed CheckResponse, and allows a valid token with authorization removed', async function () {
    for (const bytes of wireSeeds(world)) {
      const outcome = await client.check(bytes);
      assert.ok(outcome.kind === 'response', 'a CheckResponse');
      assert.equal(responseProblem(outcome.response), undefined);
    }
    const outcome = await client.check(encodeCheckRequest(checkRequest({ headers: { authorization: `Bearer ${goodToken()}` } })));
    assert.ok(outcome.kind === 'response' && (outcome.response.status?.code ?? 0) === 0);
    assert.deepEqual(outcome.response.ok_response?.headers_to_remove, ['authorization', 'dpop']);
  });

  it('decides the same with a Struct nested in metadata_context, 20 or 500 levels deep (past protobuf\'s recursion limit only the transport may refuse)', async function () {
    const request = checkRequest({ headers: { authorization: `Bearer ${goodToken()}` } });
    const shallow = await client.check(withDeepStruct(request, 20));
    assert.ok(shallow.kind === 'response' && (shallow.response.status?.code ?? 0) === 0, 'a 20-level Struct in metadata_context changes nothing');
    const deep = await client.check(withDeepStruct(request, 500));
    assert.ok(deep.kind === 'response' ? (deep.response.status?.code ?? 0) === 0 : isTransportRefusal(deep), `500 levels: ${deep.kind === 'rpc-error' ? `${deep.code} ${deep.details}` : 'response'}`);
  });

  it('never fails a deserializable CheckRequest, never allows what the oracle refuses, never echoes token bytes (mutation fuzzer)', async function () {
    const seed = targetSeed(3);
    const seeds = wireSeeds(world);
    const started = performance.now();
    const stats = await runCases(scaled(1200), seed, 8, (fuzzer, caseStats) => grpcCase(world, fuzzer, client, seeds, caseStats, { oidcResign: true, record: true, sent }));
    printSummary('grpc', seed, stats, performance.now() - started);
    assertNoViolations('grpc', stats);
    for (const kind of ['authorization', 'headers', 'odd-request', 'wire-bytes']) assert.ok((stats.inputs.get(`grpc:${kind}`) ?? 0) > 0, kind);
    assert.ok((stats.outcomes.get('grpc: allow') ?? 0) > 0, 'some requests must be allowed');
    assert.ok((stats.outcomes.get('grpc: INTERNAL, request not deserializable (transport)') ?? 0) > 0, 'some byte mutants must be undecodable');
  });

  it('is still serving after the run: a valid token is allowed, a token for another resource is refused', async function () {
    const allowed = await client.check(encodeCheckRequest(checkRequest({ headers: { authorization: `Bearer ${goodToken()}` } })));
    assert.ok(allowed.kind === 'response' && (allowed.response.status?.code ?? 0) === 0);
    const other = world.seeds.find((seed) => seed.label === 'oidc: other resource')!.token;
    const refused = await client.check(encodeCheckRequest(checkRequest({ headers: { authorization: `Bearer ${other}` } })));
    assert.ok(refused.kind === 'response' && refused.response.status?.message === 'audience_mismatch', `resource ${MCP_RESOURCE}`);
  });

  it('logged no token and no token segment of anything it was sent', function () {
    assert.ok(sent.length > 500, `${sent.length} tokens sent`);
    const output = world.harness.logs.map((line) => JSON.stringify(line)).join('\n');
    const leaked = new LeakIndex(output).leaks([...sent, ...world.seeds.map((seed) => seed.token)]);
    assert.deepEqual(leaked, [], `${leaked.length} of ${sent.length} tokens have bytes in the service log`);
    for (const line of world.harness.logs) {
      assert.equal('authorization' in line, false);
      assert.equal('headers' in line, false);
    }
  });
});
