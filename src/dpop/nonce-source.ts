/**
 * Stateless DPoP nonces (RFC 9449 §9), on with `--dpop-nonce-key-file`: a
 * nonce is the HMAC-SHA-256, under the key in that file, of the number of
 * the current time slot. Every replica with the same key issues and accepts
 * the same nonces without talking to the others; a proof must carry the
 * nonce of the current or the previous slot.
 *
 * What this limits, and no more: a proof captured on the way can be replayed
 * on another replica (whose replay cache never saw it) only while its nonce
 * is current or previous — at most two slots after the nonce was issued,
 * instead of the whole proof window. Within that time the replay is not
 * detected (SECURITY.md).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DpopNonces } from '../core/binding-environment.ts';

/** Seconds per nonce slot: a nonce is accepted for one to two slots. */
export const NONCE_SLOT_SECONDS = 60;
const MIN_KEY_BYTES = 32;

export class HmacNonceSource implements DpopNonces {
  readonly #key: Buffer;
  readonly #now: () => number;

  /** `key`: at least 32 bytes, the same on every replica. */
  constructor(key: Buffer, now: () => number) {
    if (key.length < MIN_KEY_BYTES) throw new Error(`the DPoP nonce key must have at least ${String(MIN_KEY_BYTES)} bytes`);
    this.#key = Buffer.from(key);
    this.#now = now;
  }

  current(): string {
    return this.#nonceOf(this.#slot());
  }

  accepts(nonce: string): boolean {
    const given = Buffer.from(nonce, 'latin1');
    const slot = this.#slot();
    return [slot, slot - 1].some((candidate) => {
      const expected = Buffer.from(this.#nonceOf(candidate), 'latin1');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  }

  #slot(): number {
    return Math.floor(this.#now() / NONCE_SLOT_SECONDS);
  }

  #nonceOf(slot: number): string {
    return createHmac('sha256', this.#key).update(`dpop-nonce ${String(slot)}`).digest('base64url');
  }
}
