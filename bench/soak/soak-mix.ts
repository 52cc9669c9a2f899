/**
 * The soak's request mix: which kind of request comes next, for which policy,
 * and with which of the issuer's keys. Seeded, so a run can be repeated.
 */
import type { MixName } from './soak-config.ts';
import type { PolicyFolder } from './soak-policies.ts';
import type { RequestKind, RequestSet, SoakRequest } from './soak-requests.ts';

/** The mix, in percent (bench/README.md "Soak"). */
export const MIX: readonly (readonly [RequestKind, number])[] = [
  ['repeated', 40], ['fresh', 20], ['explicit', 8], ['wrong_audience', 8], ['expired', 6],
  ['tampered', 5], ['garbage', 5], ['no_token', 4], ['unknown_host', 4],
];

/**
 * A deny flood (`--mix deny-heavy`): nine in ten requests are denied, half of
 * all are valid tokens for the wrong audience, and half of those go to one
 * policy (the flood target), so its (policy, audience_mismatch) lines run
 * over the server's --log-rate.
 */
export const DENY_HEAVY_MIX: readonly (readonly [RequestKind, number])[] = [
  ['repeated', 8], ['fresh', 2], ['explicit', 0], ['wrong_audience', 50], ['expired', 10],
  ['tampered', 5], ['garbage', 10], ['no_token', 10], ['unknown_host', 5],
];

export const MIXES: Readonly<Record<MixName, readonly (readonly [RequestKind, number])[]>> = { default: MIX, 'deny-heavy': DENY_HEAVY_MIX };

/** mulberry32: a small seeded generator. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RequestMix {
  readonly #folder: PolicyFolder;
  readonly #random: () => number;
  readonly #mix: readonly (readonly [RequestKind, number])[];
  readonly #total: number;
  /** Where half of the wrong-audience requests go, when the mix floods one policy. */
  readonly #floodTarget: string | undefined;
  /** Per signing key: the fixed requests and the fresh pool. */
  readonly #sets: RequestSet[] = [];
  readonly #pools: ReadonlyMap<string, readonly SoakRequest[]>[] = [];
  readonly #cursors = new Map<string, number>();

  constructor(folder: PolicyFolder, random: () => number, set: RequestSet, pool: ReadonlyMap<string, readonly SoakRequest[]>, mix: MixName = 'default') {
    this.#folder = folder;
    this.#random = random;
    this.#mix = MIXES[mix];
    this.#total = this.#mix.reduce((sum, [, weight]) => sum + weight, 0);
    this.#floodTarget = mix === 'deny-heavy' ? [...folder.state.keys()][0] : undefined;
    this.addKey(set, pool);
  }

  /** After a key rotation: from now on half of the token-carrying requests use the new key's tokens. */
  addKey(set: RequestSet, pool: ReadonlyMap<string, readonly SoakRequest[]>): void {
    this.#sets.push(set);
    this.#pools.push(pool);
  }

  next(): SoakRequest {
    const kind = this.#kind();
    const key = this.#sets.length > 1 && this.#random() < 0.5 ? this.#sets.length - 1 : 0;
    const set = this.#sets[key]!;
    const target = kind === 'wrong_audience' && this.#floodTarget !== undefined && this.#random() < 0.5 ? this.#floodTarget : this.#target();
    switch (kind) {
      case 'repeated': return set.repeated.get(target)![this.#random() < 0.25 ? 1 : 0]!;
      case 'fresh': {
        // Each fresh token is sent again only after every other one for its policy: far too late for the token cache.
        const pool = this.#pools[key]!.get(target)!;
        const cursorKey = `${String(key)}/${target}`;
        const cursor = this.#cursors.get(cursorKey) ?? 0;
        this.#cursors.set(cursorKey, (cursor + 1) % pool.length);
        return pool[cursor]!;
      }
      case 'explicit': return set.explicit.get(target)!;
      case 'wrong_audience': return set.wrongAudience.get(target)!;
      case 'expired': return set.expired.get(target)!;
      case 'tampered': return set.tampered.get(target)!;
      case 'garbage': return set.garbage.get(target)!;
      case 'no_token': return set.noToken.get(target)!;
      case 'unknown_host': return set.unknownHost[Math.floor(this.#random() * set.unknownHost.length)]!;
    }
  }

  #kind(): RequestKind {
    let roll = this.#random() * this.#total;
    for (const [kind, weight] of this.#mix) {
      roll -= weight;
      if (roll < 0) return kind;
    }
    return 'repeated';
  }

  /** The policy a deny-heavy mix floods with wrong-audience tokens. */
  get floodTarget(): string | undefined {
    return this.#floodTarget;
  }

  /** Mostly a policy the folder holds now; one in ten from every name, so removed and not-yet-added ones are asked for too. */
  #target(): string {
    const { state, universe } = this.#folder;
    if (this.#random() < 0.9 && state.size > 0) {
      const present = [...state.keys()];
      return present[Math.floor(this.#random() * present.length)]!;
    }
    return universe[Math.floor(this.#random() * universe.length)]!;
  }
}
