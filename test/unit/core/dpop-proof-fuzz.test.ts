// The DPoP proof parser under arbitrary and mutated input (fast-check): it
// never throws, accepts a valid proof, and refuses every proof that differs
// from it in any one character; `htu` matching folds only what RFC 9449 §4.3
// lets it fold (scheme and host case, the default port, query and fragment).
import { strict as assert } from 'node:assert';
import { createHash, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { checkProof, type ProofCheck } from '../../../src/core/dpop-proof.ts';
import { expectedTarget, htuMatches } from '../../../src/core/dpop-htu.ts';

const NOW = 1_700_000_000;
const TOKEN = 'header.payload.signature';
const DIGEST = createHash('sha256').update(TOKEN).digest();

let valid: string;

before(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  valid = await new SignJWT({ htm: 'POST', htu: 'https://mcp.example.com/mcp', iat: NOW, jti: randomUUID(), ath: DIGEST.toString('base64url') })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
    .sign(privateKey);
});

function check(proof: string): ProofCheck {
  return {
    proof, request: { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization: undefined, policyReference: undefined },
    authority: 'mcp.example.com', resource: 'https://mcp.example.com/mcp', algorithms: ['ES256'], tokenDigest: DIGEST,
    now: NOW, maxAgeSeconds: 300, skewSeconds: 60, nonces: undefined,
  };
}

describe('DPoP proof parsing (fast-check)', () => {
  it('accepts the valid proof', async () => {
    assert.equal((await checkProof(check(valid))).kind, 'valid');
  });

  it('attack: a proof changed in any one character must be refused', async () => {
    await fc.assert(fc.asyncProperty(fc.nat(), fc.constantFrom(...Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.,=')), async (at, character) => {
      const index = at % valid.length;
      fc.pre(valid.charAt(index) !== character);
      const mutated = `${valid.slice(0, index)}${character}${valid.slice(index + 1)}`;
      assert.notEqual((await checkProof(check(mutated))).kind, 'valid', `mutated at ${String(index)}`);
    }), { numRuns: 300, seed: 9449 });
  });

  it('never throws on arbitrary text', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 300 }), async (text) => {
      assert.equal((await checkProof(check(text))).kind, 'invalid');
    }), { numRuns: 300, seed: 9450 });
  });
});

describe('htu matching (RFC 9449 §4.3)', () => {
  const expected = expectedTarget('https://mcp.example.com/mcp', 'mcp.example.com', '/mcp') ?? '';

  it('folds scheme and host case, the default port, query and fragment', () => {
    fc.assert(fc.property(
      fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }), fc.constantFrom('', ':443'), fc.constantFrom('', '?a=1', '#f', '?a=1#f'),
      (upper, port, suffix) => {
        const cased = Array.from('https://mcp.example.com').map((c, i) => (upper[i % 20] === true ? c.toUpperCase() : c)).join('');
        assert.ok(htuMatches(`${cased}${port}/mcp${suffix}`, expected));
      },
    ), { seed: 9451 });
  });

  it('does not fold path case, another port, another scheme or a trailing slash', () => {
    for (const htu of ['https://mcp.example.com/MCP', 'https://mcp.example.com:8443/mcp', 'http://mcp.example.com/mcp', 'https://mcp.example.com/mcp/', 'https://user@mcp.example.com/mcp', 'mcp.example.com/mcp', 7]) {
      assert.equal(htuMatches(htu, expected), false, String(htu));
    }
  });

  it('has no target for an authority that is not a plain host[:port]', () => {
    for (const authority of [undefined, '', 'a@mcp.example.com', 'mcp.example.com/x', 'mcp.example.com?x', 'mcp example.com']) {
      assert.equal(expectedTarget('https://mcp.example.com/mcp', authority, '/mcp'), undefined, String(authority));
    }
  });
});
