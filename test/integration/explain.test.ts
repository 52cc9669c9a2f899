/**
 * `audience-guard explain` end to end: real tokens from the local oidc-provider
 * authorization server (or signed with its key for crafted cases), keys from a
 * JWKS file or fetched live from the issuer, serve's own decision. Every run's
 * output is checked for the token and its segments, and for anything shaped
 * like a JWT (an upstream token must show as "(redacted)").
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExplain } from '../../src/cli/explain/explain-command.ts';
import { DECISION_STEPS } from '../../src/cli/explain/decision-steps.ts';
import type { ExplainReport } from '../../src/cli/explain/explain-report.ts';
import { startAuthorizationServer, unsignedToken, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { clientCertificate, x5tS256 } from '../support/client-certificates.ts';
import { dpopClientKey, dpopProof } from '../support/sender-constrained-tokens.ts';
import { captureOutput, leaksIn, recordToken } from '../support/secret-ledger.ts';
import { MCP_RESOURCE, OTHER_RESOURCE, policyYAML } from '../support/service-harness.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const JWT_PROFILE = 'https://jwt.example.com/mcp';
const UPSTREAM_POLICY = 'https://up.example.com/mcp';
const BROKEN_UPSTREAM = 'https://broken.example.com/mcp';
const JWT_SHAPE = /[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/;

interface Run { readonly code: number; readonly out: string; readonly err: string }

/** Output must hold no recorded token piece and nothing shaped like a JWT. */
function assertNoToken(run: Run, tokens: readonly string[]): void {
  const text = `${run.out}\n${run.err}`;
  captureOutput(text);
  assert.deepEqual(leaksIn(tokens, text).leaks, [], 'explain must never print the token or a segment of it');
  assert.doesNotMatch(text, JWT_SHAPE, 'explain must never print a token');
}

describe('audience-guard explain', function () {
  let auth: LocalAuthorizationServer;
  let dir: string;
  let policies: string;
  let jwks: string;
  let counter = 0;
  const now = (): number => Math.floor(Date.now() / 1000);

  before(async function () {
    auth = await startAuthorizationServer({
      resources: [
        { resource: MCP_RESOURCE, scopes: ['mcp:tools', 'mcp:admin'] },
        { resource: OTHER_RESOURCE, scopes: ['mcp:tools'] },
        { resource: UPSTREAM_POLICY, scopes: ['mcp:tools'] },
        { resource: BROKEN_UPSTREAM, scopes: ['mcp:tools'] },
      ],
    });
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-explain-'));
    await writeFile(join(dir, 'secret'), 'mcp-client-secret');
    const upstream = (secret: string): string => `  upstream:\n    clientCredentials:\n      tokenEndpoint: ${auth.tokenEndpoint}\n      resource: ${OTHER_RESOURCE}\n      clientId: mcp-client\n      clientSecretFile: ${join(dir, secret)}\n`;
    policies = join(dir, 'policies.yaml');
    await writeFile(policies, [
      policyYAML(auth.issuer, { issuerExtra: '\n      algorithms: [RS256]', extra: '  requiredScopes: [mcp:tools]\n' }),
      policyYAML(auth.issuer, { name: 'jwt-profile', resource: JWT_PROFILE, issuerExtra: '\n      profile: jwt' }),
      policyYAML(auth.issuer, { name: 'upstream', resource: UPSTREAM_POLICY, extra: upstream('secret') }),
      policyYAML(auth.issuer, { name: 'broken-upstream', resource: BROKEN_UPSTREAM, extra: upstream('missing-secret') }),
      policyYAML(auth.issuer, { name: 'lax', resource: 'https://split.example.com/' }),
      policyYAML(auth.issuer, { name: 'strict', resource: 'https://split.example.com/admin', extra: '  requiredScopes: [mcp:admin]\n' }),
    ].join('---\n'));
    jwks = join(dir, 'jwks.json');
    await writeFile(jwks, await (await fetch(auth.jwksUri)).text());
  });
  after(async function () {
    await auth.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs explain in this process, with the token (if any) in a file of its own. */
  async function explain(args: readonly string[], token?: string, url = MCP_RESOURCE): Promise<Run> {
    const tokenArgs: string[] = [];
    if (token !== undefined) {
      counter += 1;
      const file = join(dir, `token-${String(counter)}`);
      await writeFile(file, `${token}\n`);
      tokenArgs.push('--token-file', file);
    }
    let out = '';
    let err = '';
    const code = await runExplain(['--policy-file', policies, '--url', url, '--method', 'POST', ...tokenArgs, ...args], (line) => { out += `${line}\n`; }, (line) => { err += `${line}\n`; });
    const run = { code, out, err };
    assertNoToken(run, token === undefined ? [] : [token]);
    return run;
  }

  async function report(args: readonly string[], token?: string, url?: string): Promise<ExplainReport & { readonly code: number }> {
    const run = await explain([...args, '--json'], token, url);
    return { ...(JSON.parse(run.out) as ExplainReport), code: run.code };
  }

  const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: auth.issuer, aud: MCP_RESOURCE, sub: 'user-1', client_id: 'mcp-client', iat: now(), exp: now() + 300, jti: `j-${String(Math.random())}`, scope: 'mcp:tools', ...extra,
  });
  const signed = async (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> => recordToken(await auth.signCustomToken(claims(extra), header));

  it('allows a right-audience token, every step passing, exit 0, with the decoded header and claims', async function () {
    const token = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
    const result = await report(['--jwks-file', jwks], token);
    assert.equal(result.code, 0);
    assert.equal(result.decision, 'allow');
    assert.equal(result.reason, null);
    assert.deepEqual(result.policy && { id: result.policy.id, selectedBy: result.policy.selectedBy, host: result.policy.host, pathPrefix: result.policy.pathPrefix }, { id: 'mcp/mcp', selectedBy: 'host', host: 'mcp.example.com', pathPrefix: '/mcp' });
    assert.deepEqual(result.steps.map((step) => step.name), [...DECISION_STEPS]);
    assert.deepEqual(result.steps.map((step) => step.result), ['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'skipped']);
    assert.equal(result.response.grpcCode, 0);
    assert.deepEqual(result.response.upstream?.removeHeaders, ['authorization', 'dpop']);
    assert.equal(result.token?.header.typ, 'at+jwt');
    assert.equal(result.token.claims.aud, MCP_RESOURCE);
  });

  it('--json prints one object with decision, reason, policy, steps, response and token', async function () {
    const token = await signed({ aud: OTHER_RESOURCE });
    const run = await explain(['--jwks-file', jwks, '--json'], token);
    const parsed = JSON.parse(run.out) as Record<string, unknown>;
    for (const key of ['decision', 'reason', 'policy', 'steps', 'response', 'token']) assert.ok(key in parsed, `--json must carry ${key}`);
    assert.equal(parsed.decision, 'deny');
    assert.equal(parsed.reason, 'audience_mismatch');
    assert.deepEqual(Object.keys(parsed.token as object), ['header', 'claims']);
    const steps = parsed.steps as { step: number; name: string; result: string }[];
    assert.equal(steps.length, 12);
    for (const step of steps) assert.deepEqual(Object.keys(step).slice(0, 3), ['step', 'name', 'result']);
    const response = parsed.response as { grpcCode: number; reply: { status: number; headers: { name: string; value: string }[]; body: string } };
    assert.equal(response.grpcCode, 16);
    assert.equal(response.reply.status, 401);
    assert.ok(response.reply.headers.some((header) => header.name === 'www-authenticate' && header.value.includes('error="invalid_token"')));
    assert.deepEqual(JSON.parse(response.reply.body), { error: 'invalid_token', error_description: 'The access token was not issued for this resource' });
  });

  it('fetches the issuer\'s keys live without --jwks-file', async function () {
    const token = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
    const result = await report([], token);
    assert.equal(result.code, 0);
    assert.equal(result.decision, 'allow');
  });

  it('reads the token from stdin with --token-stdin (the command as users run it)', async function () {
    const token = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
    const child = spawn(process.execPath, [MAIN, 'explain', '--policy-file', policies, '--url', MCP_RESOURCE, '--jwks-file', jwks, '--token-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.stdin.end(`${token}\n`);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assertNoToken({ code: code ?? -1, out, err }, [token]);
    assert.equal(code, 0, err);
    assert.match(out, /^decision: allow$/m);
    assert.match(out, /^ {2}10 {2}scopes +pass/m);
  });

  const denies: readonly { readonly name: string; readonly reason: string; readonly step: number; readonly token: () => Promise<string | undefined>; readonly args?: readonly string[]; readonly url?: string; readonly detail?: Record<string, unknown> }[] = [
    { name: 'a host no policy claims', reason: 'no_policy', step: 0, url: 'https://nobody.example.com/mcp', token: async () => signed() },
    { name: 'a path another reading of which selects another policy', reason: 'ambiguous_path', step: 0, url: 'https://split.example.com/admin%2Fusers', token: async () => signed() },
    { name: 'no token', reason: 'missing_token', step: 2, token: () => Promise.resolve(undefined) },
    { name: 'a value that is not token68', reason: 'invalid_request', step: 2, token: () => Promise.resolve('not one token') },
    { name: 'two segments', reason: 'malformed_token', step: 3, token: () => Promise.resolve(recordToken('aaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbb')) },
    { name: 'a kid that is not a string', reason: 'malformed_token', step: 4, token: () => Promise.resolve(recordToken(unsignedToken({ alg: 'RS256', typ: 'at+jwt', kid: 7 }, claims()))) },
    { name: 'a token over --max-token-bytes', reason: 'token_too_large', step: 3, token: () => Promise.resolve(recordToken(`${'a'.repeat(9000)}.${'b'.repeat(9000)}.c`)) },
    { name: 'typ JWT from an rfc9068 issuer', reason: 'unsupported_token_type', step: 4, token: async () => signed({}, { typ: 'JWT' }), detail: { typ: 'JWT' } },
    { name: 'no typ from an rfc9068 issuer', reason: 'unsupported_token_type', step: 4, token: async () => signed({}, { typ: undefined }), detail: { typ: 'absent' } },
    { name: 'a DPoP-bound token (cnf.jkt) sent as Bearer', reason: 'token_binding_mismatch', step: 8, token: async () => signed({ cnf: { jkt: 'thumbprint' } }) },
    { name: 'an algorithm outside the issuer\'s list', reason: 'disallowed_algorithm', step: 4, token: async () => signed({}, { alg: 'PS256' }) },
    { name: 'an issuer the policy does not trust', reason: 'unknown_issuer', step: 5, token: async () => signed({ iss: 'https://evil.example.com' }) },
    { name: 'a kid the key set lacks', reason: 'unknown_key', step: 6, args: ['--jwks-file'], token: async () => signed({}, { kid: 'no-such-key' }) },
    {
      name: 'a signature of another token', reason: 'invalid_signature', step: 6, args: ['--jwks-file'],
      token: async () => {
        const [header, payload] = (await signed()).split('.');
        return recordToken(`${header ?? ''}.${payload ?? ''}.${(await signed({ sub: 'someone-else' })).split('.')[2] ?? ''}`);
      },
    },
    { name: 'an expired token (--at after exp)', reason: 'expired', step: 7, args: ['--jwks-file', '--at', String(now() + 3600)], token: async () => signed() },
    { name: 'a token not valid yet (--at before iat, ISO 8601)', reason: 'not_yet_valid', step: 7, args: ['--jwks-file', '--at', '2020-01-01T00:00:00Z'], token: async () => signed() },
    { name: 'no sub from an rfc9068 issuer', reason: 'missing_claim', step: 7, args: ['--jwks-file'], token: async () => signed({ sub: undefined }), detail: { missing_claim: 'sub' } },
    { name: 'a scope that is not a string', reason: 'missing_claim', step: 10, args: ['--jwks-file'], token: async () => signed({ scope: ['mcp:tools'] }), detail: { missing_claim: 'scope' } },
    { name: 'an ID token under profile jwt', reason: 'id_token_presented', step: 7, url: JWT_PROFILE, token: async () => signed({ aud: JWT_PROFILE, nonce: 'n' }, { typ: 'JWT' }) },
    { name: 'a token for another MCP server', reason: 'audience_mismatch', step: 9, token: async () => recordToken(await auth.issueToken({ resource: OTHER_RESOURCE })) },
    { name: 'a token without the required scope', reason: 'insufficient_scope', step: 10, token: async () => recordToken(await auth.issueToken({ resource: MCP_RESOURCE, scope: 'mcp:admin' })), detail: { granted_scopes: ['mcp:admin'] } },
    { name: 'an upstream secret that cannot be read', reason: 'upstream_token_unavailable', step: 11, url: BROKEN_UPSTREAM, token: async () => recordToken(await auth.issueToken({ resource: BROKEN_UPSTREAM })) },
  ];

  for (const deny of denies) {
    it(`denies ${deny.name}: ${deny.reason}, step ${String(deny.step)} fails, the earlier pass, the later are not reached, exit 1`, async function () {
      const args = (deny.args ?? ['--jwks-file']).flatMap((arg) => (arg === '--jwks-file' ? ['--jwks-file', jwks] : [arg]));
      const result = await report(args, await deny.token(), deny.url);
      assert.equal(result.code, 1);
      assert.equal(result.decision, 'deny');
      assert.equal(result.reason, deny.reason);
      const outcomes = result.steps.map((step) => step.result);
      assert.deepEqual(outcomes, DECISION_STEPS.map((_, step) => (step < deny.step ? 'pass' : step === deny.step ? 'fail' : 'not_reached')));
      assert.match(result.steps[deny.step]?.note ?? '', new RegExp(`^${deny.reason}: `));
      assert.ok(result.response.grpcCode !== 0 && result.response.reply !== undefined, 'a deny is a local reply with status, headers and body');
      assert.match(result.response.reply.body, /"error":/);
      if (deny.detail !== undefined) assert.deepEqual(result.detail, deny.detail);
    });
  }

  it('a key set that cannot be fetched: keys_unavailable at step 6, and a note naming the JWKS URL and the HTTP status', async function () {
    const token = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
    auth.setJwksAvailable(false);
    try {
      const result = await report([], token);
      assert.equal(result.code, 1);
      assert.equal(result.reason, 'keys_unavailable');
      assert.equal(result.steps[6]?.result, 'fail');
      assert.ok(result.notes.some((note) => note.includes(auth.jwksUri) && note.includes('HTTP 503')), result.notes.join('\n'));
    } finally {
      auth.setJwksAvailable(true);
    }
  });

  it('attack: an allow that sets an upstream credential must show it as (redacted), never its value', async function () {
    const token = recordToken(await auth.issueToken({ resource: UPSTREAM_POLICY }));
    const run = await explain(['--jwks-file', jwks, '--json'], token, UPSTREAM_POLICY);
    const result = JSON.parse(run.out) as ExplainReport;
    assert.equal(run.code, 0, run.out);
    assert.equal(result.steps[11]?.result, 'pass');
    assert.deepEqual(result.response.upstream?.setHeaders, [{ name: 'authorization', value: '(redacted)' }]);
    assert.doesNotMatch(run.out, /Bearer /);
    const text = await explain(['--jwks-file', jwks], token, UPSTREAM_POLICY);
    assert.match(text.out, /set header authorization: \(redacted\)/);
  });

  it('names the policy an explicit reference selects (--policy), whatever the host', async function () {
    const token = await signed({ aud: JWT_PROFILE });
    const result = await report(['--jwks-file', jwks, '--policy', 'mcp/jwt-profile'], token, 'https://any.example.com/anything');
    assert.equal(result.policy?.id, 'mcp/jwt-profile');
    assert.equal(result.policy.selectedBy, 'reference');
    assert.equal(result.decision, 'allow');
  });

  it('answers the RFC 9728 metadata path without reading a token', async function () {
    const result = await report(['--method', 'GET'], undefined, 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp');
    assert.equal(result.code, 0);
    assert.equal(result.decision, 'metadata');
    assert.equal(result.steps[1]?.result, 'answered');
    assert.equal(result.response.reply?.status, 200);
    assert.equal((JSON.parse(result.response.reply.body) as { resource: string }).resource, MCP_RESOURCE);
  });

  describe('usage errors (exit 2, one line naming the flag)', function () {
    const cases: readonly [string, readonly string[], RegExp][] = [
      ['no --policy-file', ['--url', MCP_RESOURCE], /--policy-file is required/],
      ['no --url', ['--policy-file', 'x.yaml'], /--url is required/],
      ['a URL without scheme', ['--policy-file', 'x.yaml', '--url', 'mcp.example.com/mcp'], /--url/],
      ['a token on the command line', ['--policy-file', 'x.yaml', '--url', MCP_RESOURCE, '--header', 'Authorization: Bearer abc'], /--token-file or --token-stdin/],
      ['both token sources', ['--policy-file', 'x.yaml', '--url', MCP_RESOURCE, '--token-file', 'a', '--token-stdin'], /not both/],
      ['a bad --at', ['--policy-file', 'x.yaml', '--url', MCP_RESOURCE, '--at', 'yesterday'], /--at/],
      ['an unknown flag', ['--policy-file', 'x.yaml', '--url', MCP_RESOURCE, '--tokenfile', 'a'], /unknown flag --tokenfile/],
      ['an unreadable token file', ['--policy-file', 'x.yaml', '--url', MCP_RESOURCE, '--token-file', '/nonexistent/token'], /--token-file \/nonexistent\/token: cannot read it \(ENOENT\)/],
    ];
    for (const [name, args, expected] of cases) {
      it(name, async function () {
        let err = '';
        const code = await runExplain(args, () => undefined, (line) => { err += `${line}\n`; });
        assert.equal(code, 2);
        assert.equal(err.trim().split('\n').length, 1, err);
        assert.match(err, expected);
      });
    }

    it('a --jwks-file that is not a JWKS: one line naming it, exit 2', async function () {
      const notJWKS = join(dir, 'not-jwks.json');
      await writeFile(notJWKS, '{"keys": 5}');
      let err = '';
      const code = await runExplain(['--policy-file', policies, '--url', MCP_RESOURCE, '--jwks-file', notJWKS], () => undefined, (line) => { err += `${line}\n`; });
      assert.equal(code, 2);
      assert.equal(err, `audience-guard: explain: --jwks-file ${notJWKS}: JWKS has no "keys" array\n`);
    });

    it('an invalid policy file: each problem, then one line, exit 2', async function () {
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, policyYAML(auth.issuer, { resource: 'ftp://x.example.com/mcp' }));
      let err = '';
      const code = await runExplain(['--policy-file', bad, '--url', MCP_RESOURCE], () => undefined, (line) => { err += `${line}\n`; });
      assert.equal(code, 2);
      assert.match(err, /bad\.yaml#0 \/spec\/resource: must use https/);
    });
  });
  describe('the binding step with --dpop-file and --cert-file', function () {
    const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');
    async function fileWith(text: string): Promise<string> {
      counter += 1;
      const file = join(dir, `input-${String(counter)}`);
      await writeFile(file, text);
      return file;
    }

    it('allows a DPoP-bound token with its proof: the token goes as DPoP, step 8 passes', async function () {
      const key = await dpopClientKey('RS256'); // the policy's issuer allows RS256 only, and proofs default to its algorithms
      const token = await signed({ cnf: { jkt: key.thumbprint } });
      const proof = recordToken(await dpopProof(key, 'POST', MCP_RESOURCE, { ath: ath(token) }));
      const result = await report(['--jwks-file', jwks, '--dpop-file', await fileWith(proof)], token);
      assert.equal(result.code, 0, JSON.stringify(result.steps));
      assert.equal(result.steps[8]?.name, 'binding');
      assert.equal(result.steps[8].result, 'pass');
    });

    it('denies a proof made for another URL: invalid_dpop_proof at step 8', async function () {
      const key = await dpopClientKey('RS256');
      const token = await signed({ cnf: { jkt: key.thumbprint } });
      const proof = recordToken(await dpopProof(key, 'POST', 'https://mcp.example.com/other', { ath: ath(token) }));
      const result = await report(['--jwks-file', jwks, '--dpop-file', await fileWith(proof)], token);
      assert.equal(result.code, 1);
      assert.equal(result.reason, 'invalid_dpop_proof');
      assert.equal(result.steps[8]?.result, 'fail');
    });

    it('checks a certificate-bound token against --cert-file: allow with its certificate, token_binding_mismatch with another', async function () {
      const certificate = clientCertificate('explain-client');
      const token = await signed({ cnf: { 'x5t#S256': x5tS256(certificate) } });
      const right = await report(['--jwks-file', jwks, '--cert-file', await fileWith(certificate)], token);
      assert.equal(right.code, 0, JSON.stringify(right.steps));
      const wrong = await report(['--jwks-file', jwks, '--cert-file', await fileWith(clientCertificate('someone-else'))], token);
      assert.equal(wrong.reason, 'token_binding_mismatch');
      assert.equal(wrong.steps[8]?.result, 'fail');
    });
  });
});
