/**
 * The proto-loader decision, measured (issue 5): what decoding one realistic
 * CheckRequest and encoding audience-guard's allow and deny CheckResponses
 * cost under each candidate way of loading the protos, in this process, many
 * rounds, median µs per message. Prints a Markdown table.
 *
 *   node bench/check-path/proto-options.ts [--rounds 7 --count 20000]
 */
import { parseArgs } from 'node:util';
import { loadSync, type MethodDefinition, type Options } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { EXTERNAL_AUTH_PROTO, PROTO_LOADER_OPTIONS, PROTO_ROOT, type CheckResponse } from '../../src/envoy/proto.ts';
import { checkResponseFor } from '../../src/envoy/check-response.ts';
import { authorizationServiceForServer } from '../../src/envoy/check-service.ts';
import { compilePolicy } from '../../src/policy/compile-policy.ts';
import { envoyCheckRequest } from '../common/grpc-frames.ts';
import { median } from '../common/stats.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, count: { type: 'string', default: '20000' } } });
const rounds = Number(values.rounds);
const count = Number(values.count);

function checkMethod(options: Options): MethodDefinition<object, object> {
  const definition = loadSync(EXTERNAL_AUTH_PROTO, { ...options, includeDirs: [PROTO_ROOT] });
  return (definition['envoy.service.auth.v3.Authorization'] as Record<string, MethodDefinition<object, object>>).Check!;
}

const candidates: Record<string, Options> = {
  'current: keepCase, longs String, enums String, defaults false, oneofs true': PROTO_LOADER_OPTIONS,
  'keepCase, defaults false, oneofs true (no long/enum conversion)': { keepCase: true, defaults: false, oneofs: true },
  'keepCase only (defaults false, no oneofs, no conversion)': { keepCase: true },
  'keepCase, defaults true, arrays, objects': { keepCase: true, defaults: true, arrays: true, objects: true },
};

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : `${PROTO_ROOT}/${target}`);
root.loadSync(EXTERNAL_AUTH_PROTO, { keepCase: true });
const requestType = root.lookupType('envoy.service.auth.v3.CheckRequest');
const responseType = root.lookupType('envoy.service.auth.v3.CheckResponse');

const reference = checkMethod(PROTO_LOADER_OPTIONS);
const requestBytes = reference.requestSerialize(envoyCheckRequest({ authority: 'mcp.example.com', path: '/mcp', authorization: `Bearer ${'x'.repeat(745)}` }));
const policy = compilePolicy({ apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name: 'mcp', namespace: 'bench' }, spec: { resource: 'https://mcp.example.com/mcp', issuers: [{ issuer: 'https://idp.example.com' }], requiredScopes: ['mcp:tools'] } }, { createdAt: 0, loadOrder: 0 });
const principal = { issuer: 'https://idp.example.com', subject: 'mcp-client', clientId: 'mcp-client', audiences: ['https://mcp.example.com/mcp'] };
const allow = checkResponseFor({ kind: 'allow', policy, principal, notEnforced: undefined, tokenSHA256: undefined } as never, 'POST');
const deny = checkResponseFor({ kind: 'deny', reason: 'audience_mismatch', policy, challengeScopes: ['mcp:tools'], tokenSHA256: '0123456789abcdef', principal }, 'POST');

function micros(work: () => unknown): number {
  for (let index = 0; index < 2_000; index++) work();
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const began = process.hrtime.bigint();
    for (let index = 0; index < count; index++) work();
    samples.push(Number(process.hrtime.bigint() - began) / count / 1000);
  }
  return median(samples);
}

const rows: string[] = [];
for (const [name, options] of Object.entries(candidates)) {
  const method = checkMethod(options);
  rows.push(`| proto-loader ${name} | ${micros(() => method.requestDeserialize(requestBytes)).toFixed(2)} | ${micros(() => method.responseSerialize(allow)).toFixed(2)} | ${micros(() => method.responseSerialize(deny)).toFixed(2)} |`);
}
const allowMessage = responseType.fromObject(allow);
const denyMessage = responseType.fromObject(deny);
rows.push(`| protobufjs decode without toObject; encode of a prepared message (no fromObject) | ${micros(() => requestType.decode(requestBytes)).toFixed(2)} | ${micros(() => responseType.encode(allowMessage).finish()).toFixed(2)} | ${micros(() => responseType.encode(denyMessage).finish()).toFixed(2)} |`);
const own = authorizationServiceForServer().Check!;
// Plain copies: nothing in them is frozen, so every part is encoded each time.
const [allowCopy, denyCopy] = [allow, deny].map((response): CheckResponse => structuredClone(response));
rows.push(`| **audience-guard's codecs** (check-service.ts), nothing frozen | ${micros(() => own.requestDeserialize(requestBytes)).toFixed(2)} | ${micros(() => own.responseSerialize(allowCopy!)).toFixed(2)} | ${micros(() => own.responseSerialize(denyCopy!)).toFixed(2)} |`);
rows.push(`| **audience-guard's codecs**, responses as check-response.ts builds them (shared parts frozen) | ${micros(() => own.requestDeserialize(requestBytes)).toFixed(2)} | ${micros(() => own.responseSerialize(allow)).toFixed(2)} | ${micros(() => own.responseSerialize(deny)).toFixed(2)} |`);

process.stdout.write([
  `CheckRequest of ${String(requestBytes.length)} bytes (13 headers, a 752-byte Authorization); µs per message, median of ${String(rounds)} rounds of ${String(count)}.`,
  '',
  '| how | decode request µs | encode allow µs | encode deny µs |',
  '|---|---|---|---|',
  ...rows,
  '',
].join('\n'));
