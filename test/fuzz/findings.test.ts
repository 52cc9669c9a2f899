/**
 * What the fuzzers found, each reduced to one precise case. Fixed ones stay
 * fixed through these tests (and the fuzz run fails on any recurrence); open
 * ones are `it.skip` with a `// BUG:` note — un-skip with the fix and mark the
 * finding fixed in KNOWN_FINDINGS (test/fuzz/fuzz-stats.ts).
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LRUVerifiedTokenCache } from '../../src/cache/verified-token-cache.ts';
import { jwtCheckEnvironment, type CheckEnvironment } from '../../src/core/check-environment.ts';
import { decide } from '../../src/core/check-pipeline.ts';
import type { KeyResolver } from '../../src/core/key-resolver.ts';
import { parseCheckRequest } from '../../src/envoy/check-request.ts';
import { IssuerKeySet } from '../../src/keys/issuer-key-set.ts';
import { DEFAULT_KEY_SET_OPTIONS } from '../../src/keys/issuer-key-store.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { compilePolicy } from '../../src/policy/compile-policy.ts';
import { PolicySnapshot } from '../../src/core/policy-snapshot.ts';
import { PolicyStore } from '../../src/policy/policy-store.ts';
import { validatePolicy } from '../../src/policy/validate-policy.ts';
import { startService } from '../../src/server/audience-guard-service.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { capturingDestination } from '../support/secret-ledger.ts';
import { eventually, TEST_LEASE, TEST_SERVICE_SETTINGS } from '../support/service-harness.ts';
import { ISSUER, RESOURCE, policyDocument, runtimePolicy } from '../unit/policy-fixtures.ts';

const NOW = 1_700_000_000;

function segment(bytes: Buffer | string): string {
  return Buffer.from(bytes).toString('base64url');
}

/** A compact JWS over exactly these header and claims bytes. */
function signed(key: KeyObject, alg: 'ES256' | 'ES384', payload: Buffer | string): string {
  const input = `${segment(JSON.stringify({ alg, typ: 'at+jwt', kid: 'k1' }))}.${segment(payload)}`;
  const signature = sign(alg === 'ES256' ? 'sha256' : 'sha384', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

const CLAIMS = `{"iss":"${ISSUER}","aud":"${RESOURCE}","sub":"user-1","client_id":"c","jti":"j","iat":${NOW - 10},"exp":${NOW + 300}}`;

function environment(publicKey: KeyObject, cache?: LRUVerifiedTokenCache): CheckEnvironment {
  const keys: KeyResolver = { resolve: () => Promise.resolve({ kind: 'key', key: publicKey }) };
  return jwtCheckEnvironment({ keys, now: () => NOW, maxTokenBytes: 16_384, verifiedTokens: cache });
}

function view(token: string) {
  return { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization: `Bearer ${token}`, policyReference: undefined };
}

describe('fuzz findings', function () {
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

  it('F1 control: an ES384 token as issued is allowed', async function () {
    const snapshot = new PolicySnapshot([runtimePolicy({ issuers: [{ issuer: ISSUER, algorithms: ['ES384'] }] })], 1);
    const decision = await decide(view(signed(p384.privateKey, 'ES384', CLAIMS)), snapshot, environment(p384.publicKey));
    assert.equal(decision.kind, 'allow');
  });

  // Fixed: F1 — src/core/compact-jws.ts checks only the alphabet of the signature
  // segment, and src/core/signature.ts decodes it with Buffer.from(…, 'base64url'),
  // which drops a lone trailing character. A segment of 4n+1 characters is not
  // base64url at all (RFC 7515 §2, RFC 4648 §5), yet an ES384 signature (96 bytes,
  // 128 characters; also ES512, Ed448 and RSA-3072) with any one character
  // appended still verifies: one signed token gets 64 accepted spellings, each
  // with its own token_sha256 and verified-token cache entry (log correlation
  // and cache bounds see different tokens). jose refuses such a token.
  it('refuses a signature segment of 4n+1 characters (not base64url) instead of dropping its last character', async function () {
    const snapshot = new PolicySnapshot([runtimePolicy({ issuers: [{ issuer: ISSUER, algorithms: ['ES384'] }] })], 1);
    const token = `${signed(p384.privateKey, 'ES384', CLAIMS)}A`;
    assert.equal(token.split('.')[2]!.length % 4, 1);
    const decision = await decide(view(token), snapshot, environment(p384.publicKey));
    assert.equal(decision.kind, 'deny');
  });

  // Fixed: F2 — src/core/compact-jws.ts decodes the claims with
  // Buffer#toString('utf8'), which replaces invalid UTF-8 with U+FFFD, so a
  // claims set that is not UTF-8 is accepted; RFC 7519 §7.2 step 10 requires
  // refusing it (jose does, with a fatal TextDecoder). Distinct byte strings in
  // `sub` or `client_id` collapse to the same text before they reach the
  // dynamic metadata and logs. Needs the issuer's signature, so low severity.
  it('refuses a signed claims set that is not valid UTF-8 (RFC 7519 §7.2)', async function () {
    const snapshot = new PolicySnapshot([runtimePolicy({ issuers: [{ issuer: ISSUER, algorithms: ['ES256'] }] })], 1);
    const payload = Buffer.from(CLAIMS.replace('"user-1"', '"user-\u0001"'));
    payload[payload.indexOf(0x01)] = 0xff;
    const decision = await decide(view(signed(p256.privateKey, 'ES256', payload)), snapshot, environment(p256.publicKey));
    assert.equal(decision.kind === 'deny' && decision.reason, 'malformed_token');
  });

  // Fixed: F2, the header half: RFC 7515 §5.2 step 3 asks the same of the JOSE header.
  it('refuses a signed JOSE header that is not valid UTF-8 (RFC 7515 §5.2)', async function () {
    const snapshot = new PolicySnapshot([runtimePolicy({ issuers: [{ issuer: ISSUER, algorithms: ['ES256'] }] })], 1);
    const header = Buffer.from('{"alg":"ES256","typ":"at+jwt","kid":"k1","x":"\u0001"}');
    header[header.indexOf(0x01)] = 0xff;
    const input = `${segment(header)}.${segment(CLAIMS)}`;
    const token = `${input}.${sign('sha256', Buffer.from(input), { key: p256.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    const decision = await decide(view(token), snapshot, environment(p256.publicKey));
    assert.equal(decision.kind === 'deny' && decision.reason, 'malformed_token');
  });

  // Fixed: F3 — with the verified-token cache on (the service default), decide()
  // rejects with "RangeError: Maximum call stack size exceeded" for a validly
  // signed token whose claims hold an object with ~5,000 nested arrays (13 KiB,
  // under the 16 KiB cap): src/cache/verified-token-cache.ts estimatedEntryBytes
  // runs JSON.stringify over object claims. The check handler turns the
  // rejection into a 500 internal_error deny, so it fails closed, but a valid
  // token is refused and decide() breaks its never-rejects contract.
  it('decides a valid token with a deeply nested object claim when the verified-token cache is on', async function () {
    const snapshot = new PolicySnapshot([runtimePolicy({ issuers: [{ issuer: ISSUER, algorithms: ['ES256'] }] })], 1);
    const depth = 5_000;
    const payload = `${CLAIMS.slice(0, -1)},"x":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const cache = new LRUVerifiedTokenCache({ maxEntries: 10, maxBytes: 1_000_000, now: () => NOW });
    const decision = await decide(view(signed(p256.privateKey, 'ES256', payload)), snapshot, environment(p256.publicKey, cache));
    assert.equal(decision.kind, 'allow');
  });

  // Fixed: F4 — src/envoy/check-request.ts lower-cases `:authority` with
  // String#toLowerCase, which maps some non-ASCII letters onto ASCII (U+212A
  // KELVIN SIGN → "k"). An authority no policy names then selects the policy of
  // kiwi.example.com (and its tokens are accepted) instead of `no_policy`; host
  // names compare case-insensitively in ASCII only (RFC 3986 §3.2.2, §6.2.2.1).
  // Reachable only if the proxy forwards such an authority and routes it to a
  // protected upstream without a per-route policy reference.
  it('lower-cases :authority in ASCII only: a KELVIN SIGN does not turn into "k"', function () {
    const parsed = parseCheckRequest({ attributes: { request: { http: { headers: { ':authority': '\u212aiwi.example.com', ':path': '/mcp' } } } } });
    assert.notEqual(parsed.view.host, 'kiwi.example.com');
    const snapshot = new PolicySnapshot([runtimePolicy({ resource: 'https://kiwi.example.com/mcp' })], 1);
    assert.equal(snapshot.select(parsed.view), undefined);
  });

  const constructorScope = policyDocument({ scopeImplications: { 'mcp:admin': ['constructor'] } });

  it('F5 control: the validator accepts scopeImplications naming a scope "constructor" (a valid RFC 6749 scope-token)', function () {
    assert.equal(validatePolicy(constructorScope).valid, true);
  });

  // Fixed: F5 — src/policy/compile-policy.ts closeImplications reads
  // `direct[next]` from a plain object, so a scope named like an
  // Object.prototype member (constructor, toString, valueOf, hasOwnProperty,
  // __proto__, …) that appears as an implied scope yields a function, and
  // `pending.push(...fn)` throws TypeError. The validator (and
  // `audience-guard validate`, exit 0) accepts the policy, but:
  //   - file source at start: `serve` fails "cannot start: Spread syntax…" (exit 1);
  //     on a reload the error is logged as "policy files unreadable";
  //   - Kubernetes source: PolicyStore.replace throws inside the rebuild timer
  //     (src/kubernetes/kubernetes-policy-source.ts), an uncaught exception that
  //     ends the process; the object stays, so every replica crash-loops. Anyone
  //     who may create an AudiencePolicy in one watched namespace takes down the
  //     check for every protected service (Envoy then denies everything).
  it('compiles every policy the validator accepts, including scope names like "constructor"', function () {
    assert.doesNotThrow(() => compilePolicy(constructorScope, { createdAt: 0, loadOrder: 0 }));
    assert.doesNotThrow(() => new PolicyStore().replace([{ origin: 'x#0', document: constructorScope, createdAt: 0 }], 0));
  });

  // Fixed: F5 end to end (see above): the service must keep serving the other policies.
  it('keeps serving when another namespace holds a policy whose scopeImplications name "constructor"', async function () {
    this.timeout(20_000);
    const api = new KubernetesAPIDouble();
    await api.start();
    const document = (name: string, namespace: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name, namespace },
      spec: { resource: `https://${name}.example.com/mcp`, issuers: [{ issuer: 'https://idp.example.com' }], ...extra },
    });
    api.apply(document('weather', 'mcp'));
    const service = await startService({
      policyFiles: [],
      kubernetes: { config: api.kubeConfig(), namespaces: [], lease: TEST_LEASE, renewIntervalMs: 200, statusRetryMs: 100 },
      ...TEST_SERVICE_SETTINGS,
    }, createLogger('info', capturingDestination()));
    try {
      await service.kubernetes?.synced;
      const generation = service.store.current().generation;
      api.apply(document('evil', 'tenant-b', { scopeImplications: { 'mcp:admin': ['constructor'] } }));
      await eventually(() => service.store.current().generation > generation);
      assert.ok(service.store.current().byId('mcp/weather') !== undefined);
    } finally {
      await service.stop(500);
      await api.close();
    }
  });

  describe('F6: an empty kid', function () {
    let server: Server;
    let jwksUri: string;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

    before(async function () {
      const jwks = JSON.stringify({ keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] });
      server = createServer((_request, response) => { response.writeHead(200, { 'content-type': 'application/json' }).end(jwks); });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    });

    after(async function () {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    });

    const keySet = (): IssuerKeySet => new IssuerKeySet('http://127.0.0.1/issuer', jwksUri, { ...DEFAULT_KEY_SET_OPTIONS, unknownKeyCooldownMs: 0 }, () => undefined);

    it('F6 control: "kid": "" names no key of a set whose only key is "k1"', async function () {
      const set = keySet();
      await set.refresh();
      assert.equal((await set.resolve('', 'RS256')).kind, 'unknown_key');
      set.close();
    });

    // Fixed: F6 — src/keys/issuer-key-set.ts caches imported keys under
    // `${kid ?? ''}\u0000${alg}`, so a header with "kid": "" shares the cache
    // entry of a header without a kid. Once any kid-less token has selected the
    // set's single fitting key, a token with an empty kid is verified with that
    // key, although no key has that kid (jose: no matching key). Not a forgery
    // (still the issuer's own key, still a valid signature), but key selection
    // depends on which tokens came before. Found by `npm run fuzz:long` as
    // allows the oracle refused (seed "unsigned: RS256, empty signature",
    // header kid mutated to "", re-signed).
    it('still finds no key for "kid": "" after a kid-less token selected the only key', async function () {
      const set = keySet();
      await set.refresh();
      assert.equal((await set.resolve(undefined, 'RS256')).kind, 'key');
      assert.equal((await set.resolve('', 'RS256')).kind, 'unknown_key');
      set.close();
    });
  });
});
