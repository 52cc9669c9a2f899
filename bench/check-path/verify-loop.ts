/**
 * The comparison for scenario (b): a tight loop of bare signature checks on
 * the same tokens, in its own process, one token after the other.
 *   --mode jose: `await jose.jwtVerify(token, key, {algorithms, issuer, audience, typ})`
 *   --mode node: `crypto.verify('sha256', …)` on the signing input (signature only)
 * Prints one JSON line with tokens verified per second and CPU µs per token
 * (process.cpuUsage: the figure that holds on a busy machine).
 *
 *   node bench/check-path/verify-loop.ts --tokens FILE --jwk FILE --start 0 --count 20000 --mode jose
 */
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { importJWK, jwtVerify, type JWK } from 'jose';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string' }, jwk: { type: 'string' }, start: { type: 'string', default: '0' }, count: { type: 'string' },
    mode: { type: 'string', default: 'jose' }, issuer: { type: 'string' }, audience: { type: 'string' },
  },
});
const start = Number(values.start);
const tokens = readFileSync(values.tokens ?? '', 'utf8').split('\n').filter((line) => line !== '');
const slice = tokens.slice(start, start + Number(values.count ?? tokens.length));
const jwk = JSON.parse(readFileSync(values.jwk ?? '', 'utf8')) as JWK;

let seconds: number;
const cpuBefore = process.cpuUsage();
if (values.mode === 'jose') {
  const key = await importJWK(jwk, 'RS256');
  const options = { algorithms: ['RS256'], typ: 'at+jwt', ...(values.issuer === undefined ? {} : { issuer: values.issuer }), ...(values.audience === undefined ? {} : { audience: values.audience }) };
  const began = performance.now();
  for (const token of slice) await jwtVerify(token, key, options);
  seconds = (performance.now() - began) / 1000;
} else {
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const began = performance.now();
  for (const token of slice) {
    const dot = token.lastIndexOf('.');
    if (!verify('sha256', Buffer.from(token.slice(0, dot)), key, Buffer.from(token.slice(dot + 1), 'base64url'))) throw new Error('a pool token did not verify');
  }
  seconds = (performance.now() - began) / 1000;
}
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(`${JSON.stringify({ rps: slice.length / seconds, requests: slice.length, cpuMicros: (cpu.user + cpu.system) / slice.length })}\n`);
