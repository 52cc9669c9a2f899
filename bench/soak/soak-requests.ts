/**
 * What the soak sends: real RS256 `at+jwt` tokens from the local
 * oidc-provider (the claims of a token from its token endpoint, re-signed with
 * its current key for each policy's resource), broken ones, and the Check
 * requests that carry them, each pre-encoded once as a gRPC frame with
 * Envoy's own protos (bench/common/grpc-frames.ts) and tagged with what it is, so
 * the expected decision can be worked out for any policy state.
 */
import { randomBytes } from 'node:crypto';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import type { LocalAuthorizationServer } from '../../test/support/authorization-server.ts';
import { envoyIncludeDirs } from '../../test/support/envoy-protos.ts';
import { envoyCheckRequest, grpcFrame } from '../common/grpc-frames.ts';
import { hostOf, NAMESPACE, resourceOf } from './soak-policies.ts';

const definition = loadSync('envoy/service/auth/v3/external_auth.proto', {
  keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, includeDirs: envoyIncludeDirs(),
});
const check = (definition['envoy.service.auth.v3.Authorization'] as Record<string, MethodDefinition<object, object>>).Check!;

/** Where an Envoy route sends a request pinned to a policy by `context_extensions` (no policy claims this host). */
export const GATEWAY_HOST = 'gateway.soak.test';
export const POLICY_REFERENCE_KEY = 'audienceguard.dev/policy';

export type RequestKind =
  | 'repeated' // a valid token for the target policy, one of a small set sent again and again
  | 'fresh' // a valid token for the target policy from the large pool (not in the server's cache)
  | 'explicit' // a valid repeated token, policy chosen by context_extensions, host claimed by none
  | 'wrong_audience' // a valid token for another policy
  | 'expired' // a correctly signed token for the target policy, expired an hour ago
  | 'tampered' // a valid token for the target policy with one signature character changed
  | 'garbage' // three segments of random base64url
  | 'no_token' // no Authorization header
  | 'unknown_host'; // a valid token, a host no policy claims

export interface SoakRequest {
  readonly kind: RequestKind;
  /** The policy the request is meant for; undefined for `unknown_host`. */
  readonly target: string | undefined;
  /** The token grants `mcp:write` as well as `mcp:tools`. */
  readonly write: boolean;
  /** Which of the issuer's signing keys signed it: 0 the first, 1 the one after the rotation. */
  readonly key: number;
  readonly frame: Buffer;
}

export interface FrameShape {
  readonly authority: string;
  readonly token?: string;
  readonly policyReference?: string;
}

export function encodeCheck(shape: FrameShape): Buffer {
  const request = envoyCheckRequest({ authority: shape.authority, path: '/mcp', ...(shape.token === undefined ? {} : { authorization: `Bearer ${shape.token}` }) }) as { attributes: Record<string, unknown> };
  if (shape.policyReference !== undefined) request.attributes.context_extensions = { [POLICY_REFERENCE_KEY]: shape.policyReference };
  return grpcFrame(check.requestSerialize(request));
}

export interface Pacing {
  readonly pace?: { readonly batch: number; readonly pauseMs: number };
  readonly progress?: (done: number) => void;
}

/** Signs tokens for policy resources with the issuer's current key; remembers every token it makes. */
export class TokenMint {
  readonly #auth: LocalAuthorizationServer;
  readonly #claims: Readonly<Record<string, unknown>>;
  /** Every bearer value handed out, for the leak scan. */
  readonly issued: string[] = [];

  private constructor(auth: LocalAuthorizationServer, claims: Record<string, unknown>) {
    this.#auth = auth;
    this.#claims = claims;
  }

  /** Takes the claim set of a real token from the issuer's token endpoint as the template. */
  static async create(auth: LocalAuthorizationServer, resource: string): Promise<TokenMint> {
    const template = await auth.issueToken({ resource, scope: 'mcp:tools' });
    const claims = JSON.parse(Buffer.from(template.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const mint = new TokenMint(auth, claims);
    mint.issued.push(template);
    return mint;
  }

  /** A token for `name`'s resource; `lifetimeSeconds` < 0 makes it already expired (beyond any clock skew). */
  async token(name: string, write: boolean, lifetimeSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const iat = lifetimeSeconds < 0 ? now + 2 * lifetimeSeconds : now;
    const token = await this.#auth.signCustomToken({
      ...this.#claims,
      aud: resourceOf(name),
      scope: write ? 'mcp:tools mcp:write' : 'mcp:tools',
      jti: randomBytes(24).toString('base64url'),
      iat,
      exp: now + lifetimeSeconds,
    });
    this.issued.push(token);
    return token;
  }

  /**
   * Many tokens, signed a batch at a time. While the load runs, `pace` keeps
   * the signing from taking the CPU the server needs (2 cores here): small
   * batches with a pause between them.
   */
  async tokens(specs: readonly { name: string; write: boolean }[], lifetimeSeconds: number, options: Pacing = {}): Promise<string[]> {
    const out: string[] = [];
    const batch = options.pace === undefined ? 256 : options.pace.batch;
    for (let first = 0; first < specs.length; first += batch) {
      out.push(...await Promise.all(specs.slice(first, first + batch).map((spec) => this.token(spec.name, spec.write, lifetimeSeconds))));
      options.progress?.(out.length);
      if (options.pace !== undefined) await new Promise((resolve) => setTimeout(resolve, options.pace?.pauseMs));
    }
    return out;
  }

  /** Records a bearer value made elsewhere (garbage, tampered). */
  remember(value: string): string {
    this.issued.push(value);
    return value;
  }
}

/** The same token with one character in the middle of its signature changed (the signature no longer verifies). */
export function tamper(token: string): string {
  const dot = token.lastIndexOf('.');
  const at = dot + 1 + Math.floor((token.length - dot - 1) / 2);
  const replacement = token[at] === 'A' ? 'B' : 'A';
  return `${token.slice(0, at)}${replacement}${token.slice(at + 1)}`;
}

export function garbage(): string {
  return [randomBytes(30), randomBytes(90), randomBytes(60)].map((bytes) => bytes.toString('base64url')).join('.');
}

/** The requests that do not come from the fresh pool, for one signing key: per policy name, one of each kind. */
export interface RequestSet {
  readonly repeated: ReadonlyMap<string, readonly SoakRequest[]>;
  readonly explicit: ReadonlyMap<string, SoakRequest>;
  readonly wrongAudience: ReadonlyMap<string, SoakRequest>;
  readonly expired: ReadonlyMap<string, SoakRequest>;
  readonly tampered: ReadonlyMap<string, SoakRequest>;
  readonly garbage: ReadonlyMap<string, SoakRequest>;
  readonly noToken: ReadonlyMap<string, SoakRequest>;
  readonly unknownHost: readonly SoakRequest[];
}

export async function buildRequestSet(mint: TokenMint, key: number, universe: readonly string[], lifetimeSeconds: number, pacing: Pacing = {}): Promise<RequestSet> {
  const specs = universe.flatMap((name) => [{ name, write: false }, { name, write: true }]);
  const valid = await mint.tokens(specs, lifetimeSeconds, pacing);
  const expiredTokens = await mint.tokens(universe.map((name) => ({ name, write: false })), -3600, pacing);
  const repeated = new Map<string, SoakRequest[]>();
  const explicit = new Map<string, SoakRequest>();
  const wrongAudience = new Map<string, SoakRequest>();
  const expired = new Map<string, SoakRequest>();
  const tampered = new Map<string, SoakRequest>();
  const garbageRequests = new Map<string, SoakRequest>();
  const noToken = new Map<string, SoakRequest>();
  universe.forEach((name, index) => {
    const tools = valid[2 * index]!;
    const write = valid[2 * index + 1]!;
    const other = valid[2 * ((index + 1) % universe.length)]!;
    const host = hostOf(name);
    repeated.set(name, [
      { kind: 'repeated', target: name, write: false, key, frame: encodeCheck({ authority: host, token: tools }) },
      { kind: 'repeated', target: name, write: true, key, frame: encodeCheck({ authority: host, token: write }) },
    ]);
    explicit.set(name, { kind: 'explicit', target: name, write: false, key, frame: encodeCheck({ authority: GATEWAY_HOST, token: tools, policyReference: `${NAMESPACE}/${name}` }) });
    wrongAudience.set(name, { kind: 'wrong_audience', target: name, write: false, key, frame: encodeCheck({ authority: host, token: other }) });
    expired.set(name, { kind: 'expired', target: name, write: false, key, frame: encodeCheck({ authority: host, token: expiredTokens[index]! }) });
    tampered.set(name, { kind: 'tampered', target: name, write: false, key, frame: encodeCheck({ authority: host, token: mint.remember(tamper(tools)) }) });
    garbageRequests.set(name, { kind: 'garbage', target: name, write: false, key, frame: encodeCheck({ authority: host, token: mint.remember(garbage()) }) });
    noToken.set(name, { kind: 'no_token', target: name, write: false, key, frame: encodeCheck({ authority: host }) });
  });
  const unknownHost = valid.slice(0, 8).map((token, index): SoakRequest => ({
    kind: 'unknown_host', target: undefined, write: false, key, frame: encodeCheck({ authority: `nowhere-${String(index)}.soak.test`, token }),
  }));
  return { repeated, explicit, wrongAudience, expired, tampered, garbage: garbageRequests, noToken, unknownHost };
}

/**
 * `count` fresh valid tokens spread evenly over the policy names (a quarter
 * of them granting `mcp:write` too), by name, so a fresh token can be sent to
 * whichever policy the mix picks.
 */
export async function buildFreshPool(mint: TokenMint, key: number, universe: readonly string[], count: number, lifetimeSeconds: number, pacing: Pacing = {}): Promise<Map<string, SoakRequest[]>> {
  const specs = Array.from({ length: count }, (_, index) => ({ name: universe[index % universe.length]!, write: Math.floor(index / universe.length) % 4 === 3 }));
  const tokens = await mint.tokens(specs, lifetimeSeconds, pacing);
  const pool = new Map<string, SoakRequest[]>(universe.map((name) => [name, []]));
  specs.forEach((spec, index) => {
    pool.get(spec.name)?.push({ kind: 'fresh', target: spec.name, write: spec.write, key, frame: encodeCheck({ authority: hostOf(spec.name), token: tokens[index]! }) });
  });
  return pool;
}
