/**
 * The fixed request bodies of one round of h2load scenarios: a valid token and
 * a wrong-audience token, newly issued (oidc-provider's tokens live 5 minutes),
 * each as a pre-encoded gRPC frame in a file h2load sends. Before a round each
 * server is probed with its body, so every scenario measures the decision it
 * is meant to.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext } from './bench-context.ts';
import { MCP_RESOURCE, OTHER_RESOURCE, tokenFrame } from '../common/fixtures.ts';
import { probe } from '../common/probe.ts';
import type { ServerProcess } from '../common/servers.ts';

export type BodyKind = 'valid' | 'wrong';

/** The decision each body must get: an allow, or the deny reason. */
const EXPECTED: Readonly<Record<BodyKind, string>> = { valid: 'allow', wrong: 'audience_mismatch' };

export interface RoundBody {
  readonly frame: Buffer;
  readonly file: string;
}

export async function roundBodies(context: BenchContext): Promise<Readonly<Record<BodyKind, RoundBody>>> {
  const { auth, work } = context;
  const body = async (kind: BodyKind, resource: string): Promise<RoundBody> => {
    const frame = tokenFrame(await auth.issueToken({ resource }));
    const file = join(work, `${kind}.bin`);
    await writeFile(file, frame);
    return { frame, file };
  };
  return { valid: await body('valid', MCP_RESOURCE), wrong: await body('wrong', OTHER_RESOURCE) };
}

/** Throws unless `server` answers `body` with the decision `kind` stands for. */
export async function expectDecision(label: string, server: ServerProcess, body: RoundBody, kind: BodyKind): Promise<void> {
  const answer = await probe(server.grpcPort, body.frame);
  const got = answer.allowed ? 'allow' : answer.reason ?? `grpc-status ${answer.grpcStatus}`;
  if (got !== EXPECTED[kind]) throw new Error(`${label}: expected ${EXPECTED[kind]}, got ${got}`);
}
