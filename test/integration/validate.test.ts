/**
 * `audience-guard validate` says what serve would say: problems (exit 1), and
 * as warnings (exit 0; errors with --strict) the conflicts and audience
 * overlaps serve's PolicySnapshot finds, host ownership under an operator
 * rule, sub-folders serve does not read, and a set with no policy at all —
 * each naming the file, the document index and the field, in people's words.
 */
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runValidate } from '../../src/cli/validate-command.ts';
import { policyYAML } from '../support/service-harness.ts';

const ISSUER = 'https://idp.example.com';

interface Run { readonly code: number; readonly out: string[]; readonly err: string[] }

async function validate(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runValidate(argv, (line) => out.push(line), (line) => err.push(line));
  return { code, out, err };
}

describe('audience-guard validate: what serve would say', function () {
  let dir: string;
  let counter = 0;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-validate-'));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(...documents: string[]): Promise<string> {
    counter += 1;
    const path = join(dir, `policies-${String(counter)}.yaml`);
    await writeFile(path, documents.join('---\n'));
    return path;
  }

  it('prints only the count when there is nothing to say', async function () {
    const run = await validate(await file(policyYAML(ISSUER), policyYAML(ISSUER, { name: 'other', resource: 'https://other.example.com/mcp' })));
    assert.deepEqual(run, { code: 0, out: ['2 valid policies'], err: [] });
  });

  it('warns about two policies claiming the same host and path prefix, naming the one that loses and its field', async function () {
    const path = await file(
      policyYAML(ISSUER, { name: 'first', extra: '  audiences: [api://first]\n' }),
      policyYAML(ISSUER, { name: 'second', resource: 'https://mcp.example.com/mcp/', extra: '  pathPrefixes: [/other, /mcp/]\n  audiences: [api://second]\n' }),
    );
    const run = await validate(path);
    assert.equal(run.code, 0);
    assert.deepEqual(run.out, ['2 valid policies, 1 warning(s)']);
    assert.equal(run.err.length, 1);
    assert.match(run.err[0] ?? '', new RegExp(`^${path}#1 /spec/pathPrefixes/1: warning: host mcp\\.example\\.com with path prefix /mcp is also claimed by mcp/first \\(${path}#0\\)`));
  });

  it('warns about two policies accepting the same audience, once per pair', async function () {
    const path = await file(
      policyYAML(ISSUER, { name: 'weather', resource: 'https://weather.example.com/mcp', extra: '  audiences: [api://shared]\n' }),
      policyYAML(ISSUER, { name: 'calendar', resource: 'https://calendar.example.com/mcp', extra: '  audiences: [api://other, api://shared]\n' }),
    );
    const run = await validate(path);
    assert.equal(run.code, 0);
    assert.equal(run.err.length, 1, run.err.join('\n'));
    assert.match(run.err[0] ?? '', new RegExp(`^${path}#1 /spec/audiences/1: warning: audience api://shared is also accepted by mcp/weather \\(${path}#0\\)`));
  });

  it('--strict turns the warnings into errors: exit 1', async function () {
    const path = await file(policyYAML(ISSUER, { name: 'a' }), policyYAML(ISSUER, { name: 'b' }));
    const lenient = await validate(path);
    assert.equal(lenient.code, 0);
    assert.ok(lenient.err.every((line) => line.includes(': warning: ')));
    const strict = await validate('--strict', path);
    assert.equal(strict.code, 1);
    assert.ok(strict.err.slice(0, -1).every((line) => line.includes(': error: ')), strict.err.join('\n'));
    assert.match(strict.err.at(-1) ?? '', /treated as errors \(--strict\)$/);
    assert.deepEqual(strict.out, []);
  });

  it('with --namespace-hosts, warns that a policy claiming another namespace\'s host would be refused in Kubernetes mode', async function () {
    const path = await file(
      policyYAML(ISSUER).replace('namespace: mcp', 'namespace: team-a'),
      policyYAML(ISSUER, { name: 'intruder', resource: 'https://other.example.com/mcp', extra: '  hosts: [other.example.com, mcp.example.com]\n' }).replace('namespace: mcp', 'namespace: team-b'),
    );
    const rule = ['--namespace-hosts', 'team-a=mcp.example.com', '--namespace-hosts', 'team-b=other.example.com'];
    const run = await validate(...rule, path);
    assert.equal(run.code, 0);
    assert.equal(run.err.length, 1, run.err.join('\n'));
    assert.match(run.err[0] ?? '', new RegExp(`^${path}#1 /spec/hosts/1: warning: in Kubernetes mode this policy would be refused \\(HostNotAllowed\\): host mcp\\.example\\.com is not allowed`));
    const fileMode = await validate(path);
    assert.doesNotMatch(fileMode.err.join('\n'), /HostNotAllowed/, 'file mode has no host ownership between namespaces');
    assert.match(fileMode.err.join('\n'), /#1 \/spec\/resource: warning: host mcp\.example\.com with path prefix \/mcp is also claimed by team-a\/mcp/, 'only the path conflict serve reports in file mode');
    assert.equal((await validate('--strict', ...rule, path)).code, 1);
  });

  it('refuses a malformed --namespace-hosts rule as serve does: exit 2', async function () {
    const run = await validate('--namespace-hosts', 'no-equals-sign', await file(policyYAML(ISSUER)));
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /--namespace-hosts/);
  });

  it('with --http-authz, warns about per-tool scopes read from the mirrored headers alone, and only then', async function () {
    const path = await file(
      policyYAML(ISSUER, { name: 'auto', extra: '  mcp:\n    toolScopes: {delete_alert: [weather:admin]}\n' }),
      policyYAML(ISSUER, { name: 'body', resource: 'https://body.example.com/mcp', extra: '  mcp:\n    toolScopes: {delete_alert: [weather:admin]}\n    source: Body\n' }),
      policyYAML(ISSUER, { name: 'plain', resource: 'https://plain.example.com/mcp' }),
    );
    assert.deepEqual(await validate(path), { code: 0, out: ['3 valid policies'], err: [] });
    const run = await validate('--http-authz', path);
    assert.equal(run.code, 0);
    assert.deepEqual(run.out, ['3 valid policies, 1 warning(s)']);
    assert.match(run.err[0] ?? '', new RegExp(`^${path}#0 /spec/mcp: warning: per-tool scopes with source Auto behind the HTTP front end: .*unreadable_mcp_request`));
    assert.equal((await validate('--http-authz', '--strict', path)).code, 1);
  });

  it('warns about a sub-folder, which serve does not read, and does not read it either', async function () {
    const folder = join(dir, 'folder');
    await mkdir(join(folder, 'nested'), { recursive: true });
    await writeFile(join(folder, 'top.yaml'), policyYAML(ISSUER));
    await writeFile(join(folder, 'nested', 'inner.yaml'), policyYAML(ISSUER, { name: 'inner', resource: 'https://inner.example.com/mcp' }));
    await mkdir(join(folder, '..data'));
    const run = await validate(folder);
    assert.equal(run.code, 0);
    assert.deepEqual(run.out, ['1 valid policies, 1 warning(s)']);
    assert.deepEqual(run.err, [`${join(folder, 'nested')}: warning: sub-folder not read: serve reads only the .yaml, .yml and .json files directly inside ${folder}`]);
  });

  it('warns about a set with no policy at all (serve would deny every request)', async function () {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const run = await validate(empty);
    assert.equal(run.code, 0);
    assert.match(run.err[0] ?? '', /warning: no policies found: serve would start with none and deny every request \(no_policy\)/);
    assert.equal((await validate('--strict', empty)).code, 1);
  });

  it('names file, document and field for schema problems, in words: no regular expression, no schema keyword', async function () {
    const path = await file(
      policyYAML(ISSUER),
      `apiVersion: audienceguard.dev/v1
kind: AudiencePolicy
metadata: {name: Bad_Name, namespace: Team.A}
spec:
  resource: https://x.example.com/mcp
  hosts: ["bad host", x.example.com]
  pathPrefixes: [relative]
  requiredScopes: ["two words"]
  clockSkewSeconds: 900
  issuers:
    - issuer: ${ISSUER}
      algorithms: [RS256, RS256]
  upstream:
    header: Not-Lower
    clientCredentials: {tokenEndpoint: "${ISSUER}/token", clientId: x, clientSecretFile: relative/path}
`,
      'kind: AudiencePolicy\nspec: {}\n',
    );
    const run = await validate(path);
    assert.equal(run.code, 1);
    const problems = run.err.slice(0, -1);
    for (const field of ['/apiVersion', '/metadata/name', '/metadata/namespace', '/spec/hosts/0', '/spec/pathPrefixes/0', '/spec/requiredScopes/0', '/spec/clockSkewSeconds', '/spec/issuers/0/algorithms', '/spec/upstream/header', '/spec/upstream/clientCredentials/clientSecretFile']) {
      assert.ok(problems.some((line) => line.startsWith(`${path}#1 ${field}: `)), `a problem must name ${path}#1 ${field}:\n${problems.join('\n')}`);
    }
    assert.ok(problems.some((line) => line === `${path}#2 /: the field "apiVersion" is required`), problems.join('\n'));
    for (const line of problems) {
      assert.doesNotMatch(line, /must match pattern|must NOT|must have required|must be equal to|\^|\$"|\\x|\[\^/, `not in people's words: ${line}`);
    }
  });
});
