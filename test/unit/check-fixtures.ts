// Shared builders for the tests of the check runner and its front ends: a
// key resolver whose behaviour each test chooses, a capturing logger, signed
// tokens, and readers for the metrics registry and the security log.
import { strict as assert } from 'node:assert';
import { createHash, KeyObject } from 'node:crypto';
import { generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { KeyLookup, KeyResolver } from '../../src/core/key-resolver.ts';
import { createLogger, type Logger } from '../../src/obs/logger.ts';
import { Metrics } from '../../src/obs/metrics.ts';
import { capturingDestination, recordToken } from '../support/secret-ledger.ts';
import { ISSUER, RESOURCE } from './policy-fixtures.ts';

export const NOW = 1_700_000_000;

export type Behaviour =
  | { readonly kind: 'key'; readonly key: KeyObject }
  | { readonly kind: 'lookup'; readonly lookup: KeyLookup }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reject' }
  | { readonly kind: 'throw' }
  | { readonly kind: 'gate'; readonly key: KeyObject; readonly opened: Promise<void> };

/** A KeyResolver whose behaviour each test chooses. */
export class ScriptedKeys implements KeyResolver {
  calls = 0;
  readonly #behaviour: Behaviour;

  constructor(behaviour: Behaviour) {
    this.#behaviour = behaviour;
  }

  resolve(): Promise<KeyLookup> {
    this.calls += 1;
    const behaviour = this.#behaviour;
    switch (behaviour.kind) {
      case 'key': return Promise.resolve({ kind: 'key', key: behaviour.key });
      case 'lookup': return Promise.resolve(behaviour.lookup);
      case 'hang': return new Promise<KeyLookup>(() => undefined);
      case 'reject': return Promise.reject(new Error('resolver exploded'));
      case 'throw': throw new Error('resolver exploded synchronously');
      case 'gate': return behaviour.opened.then(() => ({ kind: 'key', key: behaviour.key }));
    }
  }
}

/** A signing key pair made once per suite. */
export interface Signer {
  readonly verifyingKey: KeyObject;
  sign(payload?: JWTPayload): Promise<string>;
}

export async function newSigner(kid = 'k1'): Promise<Signer> {
  const pair = await generateKeyPair('RS256');
  const signingKey: CryptoKey = pair.privateKey;
  return {
    verifyingKey: KeyObject.from(pair.publicKey),
    sign: async (payload = claims()) => recordToken(await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(signingKey)),
  };
}

export function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: RESOURCE, sub: 'user-1', client_id: 'mcp-client', jti: 'jti-1', iat: NOW - 10, exp: NOW + 300, scope: 'mcp:tools', ...overrides };
}

export interface CapturedLog {
  readonly logger: Logger;
  /** Parsed log lines. */
  readonly lines: Record<string, unknown>[];
  /** Raw log output. */
  readonly raw: string[];
}

export function capturedLog(): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger('info', capturingDestination((line) => {
    raw.push(line);
    lines.push(JSON.parse(line) as Record<string, unknown>);
  }));
  return { logger, lines, raw };
}

export function newMetrics(): Metrics {
  return new Metrics({ defaultMetrics: false });
}

export function rejectionLines(lines: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return lines.filter((line) => line.event === 'token_rejected');
}

export function sha16(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

/** The whole token and each of its segments long enough to recognise. */
export function tokenPieces(value: string): string[] {
  return [value, ...value.split('.').filter((segment) => segment.length >= 8)];
}

interface Sample {
  readonly labels: Record<string, string | number | undefined>;
  readonly value: number;
  readonly metricName?: string;
}

export async function samples(metrics: Metrics, name: string): Promise<Sample[]> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  assert.ok(metric !== undefined, `metric ${name} exists`);
  return metric.values;
}

/** The value of the sample with exactly these labels (a histogram's count). */
export async function valueOf(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const found = (await samples(metrics, name)).filter((sample) => {
    const keys = Object.keys(sample.labels).filter((key) => key !== 'le');
    return keys.length === Object.keys(labels).length && keys.every((key) => sample.labels[key] === labels[key]);
  });
  return found.find((sample) => sample.metricName === undefined || sample.metricName.endsWith('_count'))?.value;
}
