// The binding step for certificate-bound tokens (RFC 8705 §3): `cnf["x5t#S256"]`
// against the client certificate the proxy forwarded, with certificates made
// by the openssl CLI in the test and thumbprints computed independently here.
import { strict as assert } from 'node:assert';
import { KeyObject, randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import { decide } from '../../../src/core/check-pipeline.ts';
import type { KeyResolver } from '../../../src/core/key-resolver.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import { BoundedReplayCache } from '../../../src/dpop/replay-cache.ts';
import type { AudiencePolicySpec } from '../../../src/policy/policy-schema.ts';
import { clientCertificate, x5tS256 } from '../../support/client-certificates.ts';
import { ISSUER, RESOURCE, runtimePolicy } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;

let tokenKey: CryptoKey;
let keys: KeyResolver;
let certificate: string;
let otherCertificate: string;

before(async () => {
  const rsa = await generateKeyPair('RS256');
  tokenKey = rsa.privateKey;
  const publicKey = KeyObject.from(rsa.publicKey);
  keys = { resolve: () => Promise.resolve({ kind: 'key', key: publicKey }) };
  certificate = clientCertificate('client-a');
  otherCertificate = clientCertificate('client-b');
});

function token(claims: JWTPayload = {}): Promise<string> {
  return new SignJWT({
    iss: ISSUER, aud: RESOURCE, sub: 'user-1', client_id: 'mcp-client', jti: randomUUID(), iat: NOW - 10, exp: NOW + 300,
    cnf: { 'x5t#S256': x5tS256(certificate) }, ...claims,
  }).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' }).sign(tokenKey);
}

async function outcome(bearer: string, clientCert: string | undefined, pop: AudiencePolicySpec['proofOfPossession'] = {}): Promise<string> {
  const policy = runtimePolicy({ issuers: [{ issuer: ISSUER, algorithms: ['RS256'] }], proofOfPossession: pop });
  const env = jwtCheckEnvironment({
    keys, now: () => NOW, maxTokenBytes: 16_384, binding: { replay: new BoundedReplayCache(10, () => NOW), now: () => NOW },
  });
  const decision = await decide(
    { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization: `Bearer ${bearer}`, policyReference: undefined },
    new PolicySnapshot([policy], 1), env, { clientCertificate: clientCert },
  );
  return decision.kind === 'deny' ? decision.reason : decision.kind;
}

describe('certificate-bound tokens (RFC 8705)', () => {
  it('allows a token bound to the certificate the request came with', async () => {
    assert.equal(await outcome(await token(), certificate), 'allow');
  });

  it('attack: a certificate-bound token replayed from a client with another certificate must be refused', async () => {
    assert.equal(await outcome(await token(), otherCertificate), 'token_binding_mismatch');
  });

  it('attack: a certificate-bound token sent without any client certificate must be refused', async () => {
    assert.equal(await outcome(await token(), undefined), 'token_binding_mismatch');
  });

  it('refuses when the forwarded certificate is not readable', async () => {
    assert.equal(await outcome(await token(), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'token_binding_mismatch');
  });

  it('refuses an x5t#S256 that is not a string', async () => {
    assert.equal(await outcome(await token({ cnf: { 'x5t#S256': 7 } }), certificate), 'token_binding_mismatch');
  });

  it('mtls Required refuses a token without cnf["x5t#S256"], even with a certificate', async () => {
    assert.equal(await outcome(await token({ cnf: undefined }), certificate, { mtls: 'Required' }), 'token_binding_mismatch');
    assert.equal(await outcome(await token(), certificate, { mtls: 'Required' }), 'allow');
  });

  it('mtls Disabled refuses a certificate-bound token, even with the right certificate', async () => {
    assert.equal(await outcome(await token(), certificate, { mtls: 'Disabled' }), 'token_binding_mismatch');
  });

  it('an unbound token is unaffected by a client certificate under the default Allowed', async () => {
    assert.equal(await outcome(await token({ cnf: undefined }), otherCertificate), 'allow');
  });
});
