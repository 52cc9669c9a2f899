// Signature verification (docs/contract.md §2.1 step 6) with node:crypto: every
// allowed algorithm accepts what jose signs and refuses any change to the token, a
// key of another family or size, an algorithm outside the allow-list, and a `crit`
// header (RFC 7515 §4.1.11, RFC 7518 §3, RFC 8725 §3.1).
import { strict as assert } from 'node:assert';
import { generateKeyPairSync, KeyObject, sign as nodeSign } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, generateKeyPair, type CryptoKey } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from '../../../src/core/algorithms.ts';
import { decodeCompactJWS } from '../../../src/core/compact-jws.ts';
import { signatureVerifies } from '../../../src/core/signature.ts';
import { padBitSpellings, withSegment } from '../../support/base64url-spellings.ts';

type Algorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

interface Pair {
  readonly privateKey: CryptoKey | KeyObject;
  readonly publicKey: KeyObject;
}

const pairs = new Map<Algorithm, Pair>();

function keyObject(key: CryptoKey | KeyObject): KeyObject {
  return key instanceof KeyObject ? key : KeyObject.from(key);
}

async function publicKeyFor(alg: Algorithm): Promise<KeyObject> {
  return keyObject((alg === 'EdDSA' || alg === 'Ed25519' ? generateKeyPairSync('ed25519') : await generateKeyPair(alg, { extractable: true })).publicKey);
}

async function pairFor(alg: Algorithm): Promise<Pair> {
  const known = pairs.get(alg);
  if (known !== undefined) return known;
  const generated = alg === 'EdDSA' || alg === 'Ed25519'
    ? generateKeyPairSync('ed25519')
    : await generateKeyPair(alg, { extractable: true });
  const pair = { privateKey: generated.privateKey, publicKey: keyObject(generated.publicKey) };
  pairs.set(alg, pair);
  return pair;
}

async function sign(alg: Algorithm, header: Record<string, unknown> = {}, payload: Record<string, unknown> = { sub: 'user-1' }): Promise<string> {
  const { privateKey } = await pairFor(alg);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg, ...header }).sign(privateKey);
}

function headerOf(token: string): Readonly<Record<string, unknown>> {
  const decoded = decodeCompactJWS(token, 1 << 20);
  assert.equal(decoded.kind, 'decoded');
  return decoded.jws.header;
}

function verifies(token: string, key: KeyObject | Uint8Array, algorithms: readonly string[] = ASYMMETRIC_ALGORITHMS): Promise<boolean> {
  return signatureVerifies(token, headerOf(token), key, algorithms);
}

describe('signature verification (node:crypto)', () => {
  for (const alg of ASYMMETRIC_ALGORITHMS) {
    describe(alg, () => {
      it('must accept a token jose signed with the key', async () => {
        assert.equal(await verifies(await sign(alg), (await pairFor(alg)).publicKey), true);
      });

      it('must refuse the signature over another payload or another header', async () => {
        const token = await sign(alg);
        const [header = '', , signature = ''] = token.split('.');
        const otherPayload = Buffer.from(JSON.stringify({ sub: 'user-2' })).toString('base64url');
        assert.equal(await verifies(`${header}.${otherPayload}.${signature}`, (await pairFor(alg)).publicKey), false);
        const otherHeader = Buffer.from(JSON.stringify({ alg, kid: 'k2' })).toString('base64url');
        assert.equal(await verifies(`${otherHeader}.${token.split('.')[1] ?? ''}.${signature}`, (await pairFor(alg)).publicKey), false);
      });

      it('must refuse a signature made with another key of the same kind', async () => {
        assert.equal(await verifies(await sign(alg), await publicKeyFor(alg)), false);
      });

      it('must refuse it when the alg is not in the allow-list', async () => {
        assert.equal(await verifies(await sign(alg), (await pairFor(alg)).publicKey, ASYMMETRIC_ALGORITHMS.filter((name) => name !== alg)), false);
      });

      it('attack: the signature with its unused pad bits set (the same bytes, another spelling) must not verify', async () => {
        const token = await sign(alg);
        const { publicKey } = await pairFor(alg);
        for (const spelling of padBitSpellings(token.split('.')[2] ?? '')) {
          assert.equal(await signatureVerifies(withSegment(token, 2, spelling), headerOf(token), publicKey, ASYMMETRIC_ALGORITHMS), false, spelling);
        }
      });

      it('must refuse a token with a crit header, even one naming b64, which jose understands', async () => {
        assert.equal(await verifies(await sign(alg, { crit: ['b64'], b64: true }), (await pairFor(alg)).publicKey), false);
      });
    });
  }

  it('must not use an RSA key for an EC or EdDSA algorithm, nor the reverse (one key, one family)', async () => {
    const rsa = (await pairFor('RS256')).publicKey;
    const ec = (await pairFor('ES256')).publicKey;
    const ed = (await pairFor('EdDSA')).publicKey;
    assert.equal(await verifies(await sign('ES256'), rsa), false);
    assert.equal(await verifies(await sign('EdDSA'), rsa), false);
    assert.equal(await verifies(await sign('RS256'), ec), false);
    assert.equal(await verifies(await sign('RS256'), ed), false);
  });

  it('must not use a P-384 key for ES256 or a P-256 key for ES384', async () => {
    assert.equal(await verifies(await sign('ES256'), (await pairFor('ES384')).publicKey), false);
    assert.equal(await verifies(await sign('ES384'), (await pairFor('ES256')).publicKey), false);
  });

  it('must accept an Ed448 key for EdDSA (RFC 8037) but not for Ed25519', async () => {
    const ed448 = generateKeyPairSync('ed448');
    const signed = (alg: string): string => {
      const input = `${Buffer.from(JSON.stringify({ alg })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}`;
      return `${input}.${nodeSign(null, Buffer.from(input), ed448.privateKey).toString('base64url')}`;
    };
    assert.equal(await verifies(signed('EdDSA'), ed448.publicKey), true);
    assert.equal(await verifies(signed('Ed25519'), ed448.publicKey), false);
  });

  it('must refuse an RSA key shorter than 2048 bits', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const header = Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url');
    const payload = Buffer.from('{}').toString('base64url');
    const signature = nodeSign('sha256', Buffer.from(`${header}.${payload}`), weak.privateKey).toString('base64url');
    assert.equal(await verifies(`${header}.${payload}.${signature}`, weak.publicKey), false);
  });

  it('must refuse a private key, a symmetric key and a missing or non-string alg', async () => {
    const token = await sign('RS256');
    const { privateKey } = await pairFor('RS256');
    assert.equal(await verifies(token, keyObject(privateKey)), false);
    assert.equal(await verifies(token, new Uint8Array(32)), false);
    assert.equal(await signatureVerifies(token, { alg: undefined }, (await pairFor('RS256')).publicKey, ASYMMETRIC_ALGORITHMS), false);
    assert.equal(await signatureVerifies(token, { alg: 7 }, (await pairFor('RS256')).publicKey, ASYMMETRIC_ALGORITHMS), false);
  });

  it('must refuse alg none, HS256 and unknown names even when an allow-list names them', async () => {
    const token = await sign('RS256');
    for (const alg of ['none', 'HS256', 'RS1', 'toString', '__proto__']) {
      assert.equal(await signatureVerifies(token, { alg }, (await pairFor('RS256')).publicKey, [alg]), false, alg);
    }
  });

  it('must refuse an ECDSA signature that is not exactly R||S of the curve size (e.g. DER)', async () => {
    const token = await sign('ES256');
    const [header = '', payload = '', signature = ''] = token.split('.');
    const raw = Buffer.from(signature, 'base64url');
    const der = Buffer.concat([Buffer.from([0x30, 0x44, 0x02, 0x20]), raw.subarray(0, 32), Buffer.from([0x02, 0x20]), raw.subarray(32)]);
    assert.equal(await verifies(`${header}.${payload}.${der.toString('base64url')}`, (await pairFor('ES256')).publicKey), false);
    assert.equal(await verifies(`${header}.${payload}.${raw.subarray(0, 63).toString('base64url')}`, (await pairFor('ES256')).publicKey), false);
  });

  it('never throws, and refuses arbitrary signature bytes', async () => {
    const token = await sign('PS256');
    const [header = '', payload = ''] = token.split('.');
    const key = (await pairFor('PS256')).publicKey;
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
      assert.equal(await verifies(`${header}.${payload}.${Buffer.from(bytes).toString('base64url')}`, key), false);
    }), { numRuns: 200 });
  });
});
