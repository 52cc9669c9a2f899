/**
 * Drives an identity-provider guide's own AudiencePolicy through `decide()`, the
 * decision `serve` runs, with tokens shaped as that provider issues them.
 *
 * The policy is read out of the guide's Markdown (its ```yaml blocks) and goes
 * through the server's own reader and validator, so the guide and its test
 * cannot drift. Tokens are signed with keys made here and published as a JWKS
 * per issuer; the key for a token is chosen from that JWKS by the service's own
 * rule (`selectJWK`: `kid`, `alg`, `use`), as the key sets do with a real JWKS.
 */
import { strict as assert } from 'node:assert';
import { createPublicKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { jwtCheckEnvironment } from '../../src/core/check-environment.ts';
import { decide } from '../../src/core/check-pipeline.ts';
import type { KeyLookup, KeyResolver } from '../../src/core/key-resolver.ts';
import type { Reason } from '../../src/core/reasons.ts';
import { selectJWK, type PublicJWK } from '../../src/keys/jwk-selection.ts';
import { compilePolicy } from '../../src/policy/compile-policy.ts';
import { readPolicyStream } from '../../src/policy/policy-documents.ts';
import type { AudiencePolicyDocument } from '../../src/policy/policy-schema.ts';
import { PolicySnapshot } from '../../src/core/policy-snapshot.ts';
import type { RuntimeIssuer } from '../../src/core/runtime-policy.ts';
import { REPO_ROOT } from '../support/helm.ts';

/** The clock every guide test decides at (seconds). */
export const NOW = 1_767_225_600;

const GUIDES = join(REPO_ROOT, 'docs', 'identity-providers');

/** Every AudiencePolicy in the guide's ```yaml blocks, validated as the server validates files. */
export function guidePolicies(guide: string): AudiencePolicyDocument[] {
  const path = join(GUIDES, guide);
  const blocks = [...readFileSync(path, 'utf8').matchAll(/^```yaml\n([\s\S]*?)^```$/gm)]
    .map((match) => match[1] ?? '')
    .filter((block) => /^kind: AudiencePolicy$/m.test(block));
  assert.notEqual(blocks.length, 0, `${guide} must show its AudiencePolicy in a \`\`\`yaml block`);
  return blocks.flatMap((block, index) => {
    const { policies, problems } = readPolicyStream(`${guide} block ${String(index)}`, block);
    assert.deepEqual(problems, [], `${guide}: the policy must be valid as written`);
    return policies.map((parsed) => parsed.document);
  });
}

/** The guide's policy named `name` (`metadata.name`). */
export function guidePolicy(guide: string, name: string): AudiencePolicyDocument {
  const policy = guidePolicies(guide).find((document) => document.metadata.name === name);
  assert.ok(policy, `${guide} must show a policy named ${name}`);
  return policy;
}

/** One signing key of a provider, and the public JWK it publishes. */
export class ProviderKey {
  readonly kid: string;
  readonly alg: string;
  readonly #privateKey: CryptoKey;
  readonly jwk: PublicJWK;

  private constructor(kid: string, alg: string, privateKey: CryptoKey, jwk: PublicJWK) {
    this.kid = kid;
    this.alg = alg;
    this.#privateKey = privateKey;
    this.jwk = jwk;
  }

  /** `publish` adds fields providers put on their JWKs (`use`, `alg`, `x5t`…). */
  static async create(kid: string, alg = 'RS256', publish: Record<string, unknown> = { use: 'sig' }): Promise<ProviderKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    return new ProviderKey(kid, alg, privateKey, { ...(await exportJWK(publicKey)), kid, ...publish });
  }

  /** A compact JWS with exactly this protected header (plus `alg`, and `kid` unless given as undefined). */
  sign(header: Record<string, unknown>, payload: JWTPayload): Promise<string> {
    const merged: Record<string, unknown> = { alg: this.alg, kid: this.kid, ...header };
    const protectedHeader = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
    return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(this.#privateKey);
  }
}

/** Keys per issuer, chosen from each issuer's JWKS by the service's own selection rule. */
export class PublishedKeys implements KeyResolver {
  readonly #jwks: ReadonlyMap<string, readonly PublicJWK[]>;

  constructor(byIssuer: Readonly<Record<string, readonly ProviderKey[]>>) {
    this.#jwks = new Map(Object.entries(byIssuer).map(([issuer, keys]) => [issuer, keys.map((key) => key.jwk)]));
  }

  resolve(issuer: RuntimeIssuer, header: { readonly kid: string | undefined; readonly alg: string }): Promise<KeyLookup> {
    const jwk = selectJWK(this.#jwks.get(issuer.issuer) ?? [], header.kid, header.alg);
    if (jwk === undefined) return Promise.resolve({ kind: 'unknown_key' });
    return Promise.resolve({ kind: 'key', key: createPublicKey({ key: jwk, format: 'jwk' }) });
  }
}

/** What `serve` decides for a POST to the policy's resource URL carrying `Bearer token`. */
export async function decisionFor(policy: AudiencePolicyDocument, token: string, keys: KeyResolver): Promise<Reason | 'allow'> {
  const snapshot = new PolicySnapshot([compilePolicy(policy, { createdAt: 0, loadOrder: 0 })], 1);
  const resource = new URL(policy.spec.resource);
  const decision = await decide(
    { method: 'POST', host: resource.hostname, path: resource.pathname, authorization: `Bearer ${token}`, policyReference: undefined },
    snapshot,
    jwtCheckEnvironment({ keys, now: () => NOW, maxTokenBytes: 16_384 }),
  );
  assert.notEqual(decision.kind, 'metadata');
  return decision.kind === 'deny' ? decision.reason : 'allow';
}

/** `iat`/`exp` (and `nbf`) around NOW, as every provider sets them. */
export function lifetime(seconds = 3600, withNotBefore = false): { iat: number; exp: number; nbf?: number } {
  return { iat: NOW - 30, exp: NOW - 30 + seconds, ...(withNotBefore ? { nbf: NOW - 30 } : {}) };
}

export function uuid(): string {
  return randomUUID();
}

/** `payload` without the named claims. */
export function without(payload: JWTPayload, ...names: string[]): JWTPayload {
  return Object.fromEntries(Object.entries(payload).filter(([name]) => !names.includes(name)));
}
