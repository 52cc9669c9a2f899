// README "Per-tool scopes" is a worked example: its policy must be valid, the
// request it shows must get exactly the challenge it shows, and the proxy
// settings it shows must be the ones deploy/ ships.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { challengeFor } from '../../src/core/challenge.ts';
import { requestScopes } from '../../src/core/mcp-scopes.ts';
import { compilePolicy } from '../../src/policy/compile-policy.ts';
import { validatePolicy } from '../../src/policy/validate-policy.ts';
import type { AudiencePolicyDocument } from '../../src/policy/policy-schema.ts';
import { REPO_ROOT } from '../support/helm.ts';
import { README_LINES } from '../support/readme.ts';

/** The fenced blocks of the README section `## title`, by language. */
function blocks(title: string): { language: string; text: string }[] {
  const start = README_LINES.indexOf(`## ${title}`);
  assert.notEqual(start, -1, `README.md must have the section "## ${title}"`);
  const end = README_LINES.findIndex((line, index) => index > start && line.startsWith('## '));
  const found: { language: string; text: string }[] = [];
  let open: { language: string; lines: string[] } | undefined;
  for (const line of README_LINES.slice(start + 1, end)) {
    if (line.startsWith('```')) {
      if (open === undefined) open = { language: line.slice(3), lines: [] };
      else {
        found.push({ language: open.language, text: open.lines.join('\n') });
        open = undefined;
      }
    } else open?.lines.push(line);
  }
  return found;
}

const SECTION = blocks('Per-tool scopes');
const yamlBlocks = SECTION.filter((block) => block.language === 'yaml').map((block) => parse(block.text) as Record<string, unknown>);

describe('README "Per-tool scopes" (worked example)', () => {
  it('the policy is valid, and the request shown gets exactly the challenge shown', () => {
    const document = yamlBlocks[0] as unknown as AudiencePolicyDocument;
    assert.equal(validatePolicy(document).valid, true);
    const policy = compilePolicy(document, { createdAt: 0, loadOrder: 0 });
    const http = SECTION.find((block) => block.language === 'http')?.text ?? '';
    const body = Buffer.from(http.slice(http.indexOf('\n\n') + 2).trim());
    const scopes = requestScopes(policy, 'POST', { body });
    if (scopes.kind !== 'scopes') assert.fail('the request shown must be readable');
    const shown = SECTION.find((block) => block.language === '')?.text.trim();
    assert.equal(shown, `WWW-Authenticate: ${String(challengeFor('insufficient_scope', policy, scopes.required, 'bearer'))}`);
  });

  it('shows the with_request_body of deploy/envoy/envoy.yaml and the includeRequestBodyInCheck of deploy/istio', () => {
    const envoy = readFileSync(join(REPO_ROOT, 'deploy', 'envoy', 'envoy.yaml'), 'utf8');
    const shownEnvoy = yamlBlocks[1]?.with_request_body as Record<string, unknown>;
    for (const [key, value] of Object.entries(shownEnvoy)) assert.match(envoy, new RegExp(`${key}: ${String(value)}\\b`));
    const istio = parse(readFileSync(join(REPO_ROOT, 'deploy', 'istio', 'istio-operator.yaml'), 'utf8')) as { spec: { meshConfig: { extensionProviders: { envoyExtAuthzGrpc: Record<string, unknown> }[] } } };
    const provider = istio.spec.meshConfig.extensionProviders[0]!.envoyExtAuthzGrpc;
    assert.deepEqual((yamlBlocks[2]?.envoyExtAuthzGrpc as Record<string, unknown>).includeRequestBodyInCheck, provider.includeRequestBodyInCheck);
  });
});
