/**
 * The binding step's state for the running service: this replica's replay
 * cache and, when `--dpop-nonce-key-file` is set, the nonce source shared by
 * every replica holding the same key.
 */
import { readFile } from 'node:fs/promises';
import type { BindingEnvironment } from '../core/binding-environment.ts';
import { HmacNonceSource } from './nonce-source.ts';
import { BoundedReplayCache } from './replay-cache.ts';

export interface DpopOptions {
  /** `--dpop-replay-cache-size`. */
  readonly replayCacheSize: number;
  /** `--dpop-nonce-key-file`: the HMAC key (the file's bytes, surrounding whitespace trimmed). */
  readonly nonceKeyFile?: string | undefined;
}

export async function dpopEnvironment(
  options: DpopOptions,
  now: () => number,
): Promise<BindingEnvironment & { replay: BoundedReplayCache }> {
  const replay = new BoundedReplayCache(options.replayCacheSize, now);
  if (options.nonceKeyFile === undefined) return { replay, now };
  const text = (await readFile(options.nonceKeyFile)).toString('latin1').trim();
  return { replay, now, nonces: new HmacNonceSource(Buffer.from(text, 'latin1'), now) };
}
