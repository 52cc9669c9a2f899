/**
 * The server's own work per check, without the transport: the Check codecs,
 * the runner (snapshot, decision, metrics, the security log at `info`) and
 * the verified-token cache, called in one process, one check after another.
 * CPU time per call (process.cpuUsage, all threads) is steady on a busy
 * machine where throughput is not; under `valgrind --tool=callgrind` the
 * instruction counts are repeatable whatever else runs (bench/README.md,
 * "Where the time goes").
 *
 *   npx node bench/check-path/check-path-cpu.ts [--calls 20000] [--only floor|a|b|c] [--no-decision-cache] > /dev/null
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.a npx node bench/check-path/check-path-cpu.ts --only a --calls 2000 > /dev/null
 *
 * The log goes to stdout (redirect it); the figures go to stderr.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { jwtCheckEnvironment } from '../../src/core/check-environment.ts';
import { LRUVerifiedTokenCache } from '../../src/cache/verified-token-cache.ts';
import { LRUDecisionCache } from '../../src/cache/decision-cache.ts';
import { decodeCheckRequest } from '../../src/envoy/check-request-decoder.ts';
import { encodeCheckResponse } from '../../src/envoy/check-response-encoder.ts';
import { ENVOY_FRONT_END } from '../../src/envoy/envoy-check.ts';
import { createLogger, standardOutput } from '../../src/obs/logger.ts';
import { Metrics } from '../../src/obs/metrics.ts';
import { PolicyStore } from '../../src/policy/policy-store.ts';
import { CheckRunner } from '../../src/runner/check-runner.ts';
import { tokenFrame, MCP_RESOURCE, OTHER_RESOURCE } from '../common/fixtures.ts';

const ISSUER = 'https://issuer.example.com';
const { values } = parseArgs({
  options: { calls: { type: 'string', default: '20000' }, only: { type: 'string' }, 'no-decision-cache': { type: 'boolean', default: false } },
});
const calls = Number(values.calls);

/**
 * One RSA key kept in the temp folder across runs: generating one searches for
 * primes, whose random length of work would swamp the instruction counts.
 */
function benchKey(): { publicKey: KeyObject; privateKey: KeyObject } {
  const file = join(tmpdir(), 'audience-guard-bench-rs256.pem');
  if (!existsSync(file)) writeFileSync(file, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
const { publicKey, privateKey } = benchKey();

function sign(audience: string, key: KeyObject = privateKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'mcp:tools', client_id: 'bench-client', jti: randomBytes(16).toString('base64url') })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })
    .setIssuer(ISSUER).setAudience(audience).setSubject('bench-user').setIssuedAt(now).setExpirationTime(now + 3600)
    .sign(key);
}

const store = new PolicyStore();
store.replace([{
  origin: 'bench#0', createdAt: 0,
  document: {
    apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name: 'mcp', namespace: 'bench' },
    spec: { resource: MCP_RESOURCE, issuers: [{ issuer: ISSUER }], requiredScopes: ['mcp:tools'] },
  },
}], 0);
const metrics = new Metrics();
const now = (): number => Date.now() / 1000;
const verifiedTokens = new LRUVerifiedTokenCache({ maxEntries: 10_000, maxBytes: 20_480_000, now, onLookup: (hit) => { metrics.tokenCacheLookup(hit); } });
const decisions = values['no-decision-cache'] ? undefined : new LRUDecisionCache({ maxEntries: 10_000, maxBytes: 10_240_000, now, onHit: () => { metrics.tokenCacheLookup(true); } });
const runner = new CheckRunner({
  store, metrics, logger: createLogger('info', standardOutput()), checkTimeoutMs: 1_000,
  environment: jwtCheckEnvironment({ keys: { resolve: () => Promise.resolve({ kind: 'key', key: publicKey }) }, now, maxTokenBytes: 8_192, verifiedTokens, decisions }),
});
const generic = (): Buffer => { throw new Error('the encoder fell back to proto-loader'); };

/** One check from request bytes to response bytes, as grpc-js calls the codecs and the handler. */
async function check(message: Buffer): Promise<Buffer> {
  const response = await runner.run(ENVOY_FRONT_END, decodeCheckRequest(message));
  return encodeCheckResponse(response, generic);
}

const messageOf = (token: string): Buffer => tokenFrame(token).subarray(5);

async function measure(name: string, messages: () => Buffer, one: (message: Buffer) => Promise<Buffer> = check): Promise<void> {
  for (let index = 0; index < 2_000; index++) await one(messages()); // warm-up: JIT, caches
  const before = process.cpuUsage();
  const started = performance.now();
  for (let index = 0; index < calls; index++) await one(messages());
  const cpu = process.cpuUsage(before);
  const wall = performance.now() - started;
  process.stderr.write(`${name}: ${((cpu.user + cpu.system) / calls).toFixed(2)} µs CPU/call (${(wall * 1000 / calls).toFixed(2)} µs wall), ${String(calls)} calls\n`);
}

const scenarios: Record<string, () => Promise<void>> = {
  floor: async () => {
    const message = messageOf(await sign(MCP_RESOURCE));
    const allow = Object.freeze({ status: Object.freeze({ code: 0 }) });
    // The floor of this harness: the codecs and one promise, no check.
    await measure('floor: decode, a fixed allow encoded', () => message, async (bytes) => {
      decodeCheckRequest(bytes);
      return encodeCheckResponse(await Promise.resolve(allow), generic);
    });
  },
  a: async () => {
    const message = messageOf(await sign(MCP_RESOURCE));
    await measure('(a) same valid token repeated', () => message);
  },
  c: async () => {
    const message = messageOf(await sign(OTHER_RESOURCE));
    await measure('(c) wrong-audience token repeated', () => message);
  },
  b: async () => {
    const pool = await Promise.all(Array.from({ length: calls + 2_000 }, () => sign(MCP_RESOURCE)));
    const frames = pool.map(messageOf);
    let next = 0;
    await measure('(b) fresh valid token per call', () => frames[next++ % frames.length] ?? Buffer.alloc(0));
  },
};

for (const [name, run] of Object.entries(scenarios)) if (values.only === undefined || values.only === name) await run();
