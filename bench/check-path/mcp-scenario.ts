/**
 * Scenario (e): per-tool scopes. The same repeated valid token as (a), on a
 * policy with `spec.mcp` rules, each Check carrying a 1 KiB `tools/call` as
 * `raw_body` (Envoy's with_request_body, pack_as_bytes), so the service reads
 * the JSON-RPC body on every call. Run next to (a), rounds interleaved, so
 * the difference is the cost of reading the body. Select it with
 * `npm run bench -- --scenario mcp`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BenchContext, rowOf, type Run } from './bench-context.ts';
import { MCP_HOST, MCP_RESOURCE, tokenFrame } from '../common/fixtures.ts';
import { checkFrame } from '../common/grpc-frames.ts';
import { probe } from '../common/probe.ts';
import type { Row } from './report.ts';
import type { ServerProcess } from '../common/servers.ts';

export const MCP_LABELS = { a: '(a) same valid token repeated', e: '(e) (a) with a 1 KiB tools/call body, spec.mcp rules' } as const;

/** A `tools/call` of exactly `size` bytes. */
export function toolCallBody(size: number): Buffer {
  const message = (padding: string): string => JSON.stringify({
    jsonrpc: '2.0', id: 42, method: 'tools/call', params: { name: 'get_forecast', arguments: { region: 'eu-west', days: 3, note: padding } },
  });
  return Buffer.from(message('x'.repeat(Math.max(0, size - message('').length))));
}

async function mcpPolicyFile(work: string, issuer: string): Promise<string> {
  const folder = join(work, 'policies-mcp');
  await mkdir(folder, { recursive: true });
  const file = join(folder, 'policies.yaml');
  await writeFile(file, `apiVersion: audienceguard.dev/v1alpha1
kind: AudiencePolicy
metadata: {name: mcp, namespace: bench}
spec:
  resource: ${MCP_RESOURCE}
  issuers: [{issuer: "${issuer}"}]
  requiredScopes: [mcp:tools]
  mcp:
    methodScopes: {resources/read: [mcp:tools]}
    toolScopes: {delete_alert: [mcp:admin], "*": [mcp:tools]}
`);
  return file;
}

async function expectAllow(label: string, server: ServerProcess, frame: Buffer): Promise<void> {
  const answer = await probe(server.grpcPort, frame);
  if (!answer.allowed) throw new Error(`${label}: expected allow, got ${answer.reason ?? `grpc-status ${answer.grpcStatus}`}`);
}

export async function mcpScenario(context: BenchContext, onePolicy: string): Promise<readonly Row[]> {
  const { config, work, auth, log } = context;
  const servers = {
    a: await context.guard('ag-a-repeated-token', onePolicy),
    e: await context.guard('ag-e-tools-call-body', await mcpPolicyFile(work, auth.issuer)),
  };
  const body = toolCallBody(1024);
  const runs = new Map<'a' | 'e', Run[]>();
  for (let round = 1; round <= config.runs; round++) {
    const token = await auth.issueToken({ resource: MCP_RESOURCE });
    const frames = { a: tokenFrame(token), e: checkFrame({ authority: MCP_HOST, path: '/mcp', authorization: `Bearer ${token}`, body }) };
    const order = round % 2 === 1 ? (['a', 'e'] as const) : (['e', 'a'] as const);
    for (const key of order) {
      const file = join(work, `${key}.bin`);
      await writeFile(file, frames[key]);
      await expectAllow(MCP_LABELS[key], servers[key], frames[key]);
      const run = await context.h2load(servers[key], file);
      runs.set(key, [...(runs.get(key) ?? []), run]);
      log(`round ${String(round)}: ${MCP_LABELS[key]}: ${run.result.rps.toFixed(0)} calls/s, p50 ${run.result.p50Ms.toFixed(2)} ms, p99 ${run.result.p99Ms.toFixed(2)} ms, ${(run.cpuMicros ?? 0).toFixed(0)} µs CPU/call`);
    }
  }
  return (['a', 'e'] as const).map((key) => rowOf(MCP_LABELS[key], runs.get(key) ?? [], servers[key]));
}
