// The README's quick start: `npm run demo` must run to the end and show what it
// promises (the tokens' audiences, the policy, an allow, a wrong-audience and an
// insufficient_scope deny, a token_rejected line), say what really answers (the
// Check client standing in for Envoy), and print no token.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { delimiter, dirname } from 'node:path';
import { REPO_ROOT } from '../support/helm.ts';
import { caddyBinary } from '../support/caddy-runner.ts';
import { missingBinaryBanner } from '../support/proxy-process.ts';
import { captureOutput } from '../support/secret-ledger.ts';

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run demo` from the repository root, as the README's quick start runs it. */
function runDemo(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter) };
    const child = spawn('npm', ['run', 'demo', ...(args.length === 0 ? [] : ['--', ...args])], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (status) => { resolve({ status, stdout, stderr }); });
  });
}

/** The lines of the scenario whose heading contains `label`, up to the next blank line. */
function scenario(stdout: string, label: string): string {
  const block = stdout.split('\n\n').find((part) => part.includes(label));
  assert.ok(block, `the demo must show the case "${label}"`);
  return block;
}

describe('npm run demo (the quick start)', function () {
  this.timeout(90_000);
  let run: Run;

  before(async () => {
    run = await runDemo();
    captureOutput(run.stdout + run.stderr); // the suite's leak scan reads it too
  });

  it('must finish with exit code 0', () => {
    assert.equal(run.status, 0, `npm run demo failed:\n${run.stdout}\n${run.stderr}`);
  });

  it('must show the policies it serves', () => {
    assert.match(run.stdout, /^ {2}\| metadata: \{name: weather, namespace: demo\}$/m);
    assert.match(run.stdout, /^ {2}\| {3}requiredScopes: \[mcp:tools\]$/m);
  });

  it('must allow the token issued for the server, showing its aud and the policy that decided', () => {
    const block = scenario(run.stdout, 'token issued for weather (right audience)');
    assert.match(block, /token {3}aud=https:\/\/weather\.example\.com\/mcp {2}scope="mcp:tools"/);
    assert.match(block, /→ ALLOW {2}policy=demo\/weather {2}the MCP server gets the request without: header authorization, header dpop, query access_token/);
  });

  it('must deny the token issued for another server as audience_mismatch, showing its aud', () => {
    const block = scenario(run.stdout, 'token issued for calendar (wrong audience)');
    assert.match(block, /token {3}aud=https:\/\/calendar\.example\.com\/mcp/);
    assert.match(block, /→ DENY {3}401 audience_mismatch {2}policy=demo\/weather/);
  });

  it('must show an insufficient_scope deny with the challenge naming the required scope', () => {
    const block = scenario(run.stdout, 'without the required scope mcp:tools');
    assert.match(block, /scope="mcp:read"/);
    assert.match(block, /→ DENY {3}403 insufficient_scope {2}policy=demo\/weather/);
    assert.match(block, /WWW-Authenticate: Bearer error="insufficient_scope", scope="mcp:tools"/);
  });

  it('must show one token_rejected log line, with the token\'s SHA-256 prefix and verified claims', () => {
    const line = run.stdout.split('\n').find((entry) => entry.includes('"event":"token_rejected"'));
    assert.ok(line, 'the demo must print a token_rejected line');
    const record = JSON.parse(line.trim()) as Record<string, unknown>;
    assert.equal(record.reason, 'audience_mismatch');
    assert.equal(record.policy, 'demo/weather');
    assert.match(String(record.token_sha256), /^[0-9a-f]{16}$/);
    assert.deepEqual(record.aud, ['https://calendar.example.com/mcp']);
  });

  it('must say that a Check client stands in for Envoy, and never that Envoy answered', () => {
    assert.match(run.stdout, /No Envoy runs in this demo: a gRPC ext_authz client stands in for it/);
    assert.doesNotMatch(run.stdout, /answered by Envoy/i);
    assert.match(scenario(run.stdout, 'RFC 9728 metadata'), /→ REPLY {2}200 policy=demo\/weather {2}answered by audience-guard/);
  });

  it('attack: the demo\'s output must carry no token (no JWS-shaped string)', () => {
    assert.doesNotMatch(run.stdout + run.stderr, /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/);
  });
});

describe('npm run demo -- --proxy caddy (a real MCP client through the real Caddy)', function () {
  this.timeout(90_000);
  let run: Run;

  before(async function () {
    if (caddyBinary() === undefined) {
      console.warn(missingBinaryBanner('caddy', 'caddy'));
      this.skip();
    }
    run = await runDemo('--proxy', 'caddy');
    captureOutput(run.stdout + run.stderr);
  });

  it('must refuse the token for another MCP server, then let the SDK client in after the authorization flow', () => {
    assert.equal(run.status, 0, `the proxy demo failed:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /→ REFUSED 401 {2}WWW-Authenticate: Bearer error="invalid_token"/);
    assert.match(run.stdout, /client → POST 127\.0\.0\.1:\d+\/reg {2}← 201/);
    assert.match(run.stdout, /resource=http:\/\/127\.0\.0\.1:\d+\/mcp scope=weather:read code_challenge_method=S256/);
    assert.match(run.stdout, /→ LET IN {2}tools\/list: get_forecast, delete_alert/);
    assert.match(run.stdout, /0 of them with an Authorization or DPoP header/);
  });

  it('attack: the proxy demo\'s output must carry no token (no JWS-shaped string)', () => {
    assert.doesNotMatch(run.stdout + run.stderr, /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/);
  });
});
