/**
 * `audience-guard explain`: how serve decides one request. It loads the
 * policies as serve's file source does, builds the CheckRequest Envoy would
 * send, reads it with serve's parser, runs serve's decision
 * (./explain-decision.ts) and prints the policy chosen and why, every step
 * with its outcome, the CheckResponse Envoy would get, and the token's decoded
 * header and claims — never the token, never an upstream credential.
 * Exit 0 allow (or the metadata document), 1 deny, 2 usage.
 */
import { decodeCompactJWS, type DecodedJWS } from '../../core/compact-jws.ts';
import { extractBearer } from '../../core/bearer.ts';
import type { Decision } from '../../core/decision.ts';
import { parseCheckRequest } from '../../envoy/check-request.ts';
import { PolicyStore } from '../../policy/policy-store.ts';
import { FilePolicySource } from '../../sources/file-policy-source.ts';
import { PolicyFileError } from '../../sources/policy-files.ts';
import { helpPage } from '../help-text.ts';
import { SERVE_FLAGS } from '../serve-flags.ts';
import { explainDecision } from './explain-decision.ts';
import { EXPLAIN_FLAGS, parseExplainFlags } from './explain-flags.ts';
import { readExplainInputs } from './explain-inputs.ts';
import { keysFromFile, keysFromIssuers, type ExplainKeys } from './explain-keys.ts';
import { explainReport } from './explain-report.ts';
import { explainCheckRequest } from './explain-request.ts';
import { explainText } from './explain-text.ts';
import { explainUpstreamTokens } from './explain-upstream.ts';

export const EXPLAIN_HELP = helpPage(
  'audience-guard explain --policy-file PATH... --url URL [--method M] [--header \'K: V\']... '
    + '[--token-file F | --token-stdin] [--jwks-file F] [--at TIME] [--policy NS/NAME] [--json]',
  'Shows how serve decides one request: the policy chosen and why, each step of the decision with '
    + 'pass or fail, the response Envoy would get, and the token\'s decoded header and claims. It runs '
    + 'serve\'s own decision; without --jwks-file it fetches the issuer\'s keys as serve does. It never '
    + 'prints the token, nor a credential the allow would set. Exit 0 allow, 1 deny, 2 usage error.',
  [{ title: 'flags', entries: EXPLAIN_FLAGS }],
);

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function decodedForDisplay(token: string | undefined): DecodedJWS | undefined {
  if (token === undefined) return undefined;
  const credential = extractBearer(`Bearer ${token}`);
  const decoded = credential.kind === 'token' ? decodeCompactJWS(credential.token, Number.MAX_SAFE_INTEGER) : undefined;
  return decoded?.kind === 'decoded' ? decoded.jws : undefined;
}

export async function runExplain(
  argv: readonly string[],
  out: (line: string) => void,
  err: (line: string) => void,
  readStdin: () => Promise<string> = readAllStdin,
): Promise<number> {
  const parsed = parseExplainFlags(argv);
  if (!parsed.ok) {
    err(`audience-guard: ${parsed.error}`);
    return 2;
  }
  const { options } = parsed;
  const read = await readExplainInputs(options, readStdin);
  if (!read.ok) {
    err(`audience-guard: ${read.error}`);
    return 2;
  }
  const { inputs } = read;
  const store = new PolicyStore();
  const source = new FilePolicySource(options.policyFiles, store);
  try {
    await source.start();
  } catch (error) {
    if (error instanceof PolicyFileError) {
      for (const problem of error.problems) err(`${problem.origin} ${problem.path}: ${problem.message}`);
    }
    err(`audience-guard: explain: --policy-file: ${(error as Error).message}`);
    return 2;
  } finally {
    await source.stop();
  }
  let keys: ExplainKeys;
  try {
    keys = inputs.jwksText === undefined ? keysFromIssuers() : keysFromFile(inputs.jwksText);
  } catch (error) {
    err(`audience-guard: explain: --jwks-file ${options.jwksFile ?? ''}: ${(error as Error).message}`);
    return 2;
  }
  const notes = [...inputs.notes];
  const { view, extras } = parseCheckRequest(explainCheckRequest(options, inputs));
  let decision: Decision;
  try {
    decision = await explainDecision(view, extras, store.current(), {
      keys: keys.resolver,
      now: options.at ?? Date.now() / 1000,
      maxTokenBytes: Number(SERVE_FLAGS['max-token-bytes'].default),
      upstreamTokens: explainUpstreamTokens(notes),
    });
  } catch {
    // As serve answers a check that failed: a deny, never an allow.
    decision = {
      kind: 'deny', reason: 'internal_error', policy: undefined, challengeScopes: [], tokenSHA256: undefined, principal: undefined,
    };
  } finally {
    keys.close();
  }
  for (const failure of keys.failures) {
    const from = failure.jwksUri === undefined ? `the discovery documents of ${failure.issuer}` : failure.jwksUri;
    notes.push(`keys of ${failure.issuer} could not be fetched: GET ${from}: ${failure.error}`);
  }
  const report = explainReport(decision, view, decodedForDisplay(inputs.token), notes);
  out(options.json ? JSON.stringify(report, null, 2) : explainText(report).trimEnd());
  return decision.kind === 'deny' ? 1 : 0;
}
