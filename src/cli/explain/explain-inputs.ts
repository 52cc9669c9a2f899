/**
 * The files `explain` reads besides the policies: the token (a file or
 * stdin), the JWKS, and the client certificate, DPoP proof and body that the
 * decision does not read yet. Each failure is one line naming the flag and
 * the file; no file content is ever part of it.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ExplainCredentials } from './explain-request.ts';
import type { ExplainOptions } from './explain-flags.ts';

export interface ExplainInputs extends ExplainCredentials {
  readonly jwksText: string | undefined;
  /** What the report says about the inputs the decision does not use yet. */
  readonly notes: readonly string[];
}

export type InputsResult = { readonly ok: true; readonly inputs: ExplainInputs } | { readonly ok: false; readonly error: string };

async function read(flag: string, path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`explain: ${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

/** RFC 8705 §3.1 `x5t#S256`: what a certificate-bound token's `cnf` names. */
function thumbprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
}

export async function readExplainInputs(options: ExplainOptions, readStdin: () => Promise<string>): Promise<InputsResult> {
  try {
    const rawToken = options.token === undefined ? undefined
      : options.token.from === 'stdin' ? await readStdin() : await read('--token-file', options.token.path);
    const token = rawToken?.trim();
    if (token === '') {
      const source = options.token?.from === 'stdin' ? '--token-stdin: standard input' : '--token-file: the file';
      return { ok: false, error: `explain: ${source} holds no token` };
    }
    const certificatePem = await read('--cert-file', options.certFile);
    const notes: string[] = [];
    if (certificatePem !== undefined) {
      let print: string;
      try {
        print = thumbprint(certificatePem);
      } catch {
        return { ok: false, error: `explain: --cert-file ${options.certFile ?? ''}: not a PEM X.509 certificate` };
      }
      notes.push(`client certificate x5t#S256 ${print}: checked against the token's cnf["x5t#S256"]`);
    }
    const dpopProof = (await read('--dpop-file', options.dpopFile))?.trim();
    if (dpopProof !== undefined) {
      notes.push('DPoP proof given: the token is sent as DPoP; the proof is checked as serve checks it, without a replay history');
    }
    const body = await read('--body-file', options.bodyFile);
    if (body !== undefined) {
      notes.push(`request body given (${String(Buffer.byteLength(body))} bytes): the decision does not read the body`);
    }
    return { ok: true, inputs: { token, jwksText: await read('--jwks-file', options.jwksFile), certificatePem, dpopProof, body, notes } };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
