// The tenant rule for clientSecretFile: a policy from the Kubernetes API may name a file only
// below DIR/<its namespace>/ of a --secret-file-dir DIR, judged on the path the kernel would
// open (symlinks followed, `..` applied where it occurs), on a real folder tree.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import fc from 'fast-check';
import type { UpstreamSpec } from '../../../src/policy/upstream-schema.ts';
import { secretFileRule } from '../../../src/policy/secret-file-rule.ts';
import { tenantProblems, type TenantRuleOptions } from '../../../src/policy/tenant-rules.ts';
import { policyDocument } from '../policy-fixtures.ts';

describe('tenant rule: client secret files of Kubernetes policies', () => {
  let root: string;
  let dir: string;
  let outside: string;
  const options = (secretFileDirs: string[] = [dir]): TenantRuleOptions => ({ secretFileDirs, allowInsecureEndpoints: false, namespaceHosts: [] });
  const upstream = (clientSecretFile: string, grant: 'clientCredentials' | 'tokenExchange' = 'clientCredentials'): UpstreamSpec =>
    ({ [grant]: { tokenEndpoint: 'https://idp.example.com/token', clientId: 'svc', clientSecretFile } });
  const problems = (path: string, namespace = 'mcp', dirs?: string[], grant?: 'clientCredentials' | 'tokenExchange') =>
    secretFileRule(policyDocument({ upstream: upstream(path, grant) }, { namespace }), namespace, options(dirs));
  const allowed = (path: string, namespace = 'mcp', dirs?: string[]): boolean => problems(path, namespace, dirs).length === 0;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'audience-guard-secret-rule-'));
    dir = join(root, 'secrets');
    outside = join(root, 'serviceaccount');
    for (const folder of ['mcp/sub', 'tools/sub', 'mcp-evil', 'mcp/..2026_01_01/', '../serviceaccount']) mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(outside, 'token'), 'service-account-token');
    writeFileSync(join(dir, 'mcp', 'client-secret'), 'mine');
    writeFileSync(join(dir, 'tools', 'client-secret'), 'theirs');
    writeFileSync(join(dir, 'mcp', '..2026_01_01', 'key'), 'mounted');
    symlinkSync('..2026_01_01', join(dir, 'mcp', '..data'));
    symlinkSync('..data/key', join(dir, 'mcp', 'key'));
    symlinkSync(join(outside, 'token'), join(dir, 'mcp', 'escape'));
    symlinkSync(outside, join(dir, 'mcp', 'folder-escape'));
    symlinkSync(join(dir, 'tools', 'sub'), join(dir, 'mcp', 'up'));
    symlinkSync(join(outside, 'not-yet'), join(dir, 'mcp', 'dangling'));
  });
  after(() => { rmSync(root, { recursive: true, force: true }); });

  it('accepts a file below DIR/<namespace>/, also one not written yet and a Secret volume\'s ..data links', () => {
    assert.equal(allowed(join(dir, 'mcp', 'client-secret')), true);
    assert.equal(allowed(join(dir, 'mcp', 'sub', 'later')), true);
    assert.equal(allowed(join(dir, 'mcp', 'key')), true);
    assert.equal(allowed(join(dir, 'mcp', 'sub', '..', 'client-secret')), true, '`..` that stays inside');
    assert.equal(allowed(join(dir, 'mcp', 'client-secret'), 'mcp', [join(root, 'elsewhere'), `${dir}/`]), true, 'any of several directories');
  });

  it('attack: a tenant naming the service-account token as clientSecretFile must be refused with SecretFileNotAllowed, naming only its own path', () => {
    for (const path of ['/var/run/secrets/kubernetes.io/serviceaccount/token', join(outside, 'token')]) {
      const [problem, ...more] = problems(path);
      assert.deepEqual(more, []);
      assert.equal(problem?.reason, 'SecretFileNotAllowed');
      assert.equal(problem.path, '/spec/upstream/clientCredentials/clientSecretFile');
      assert.ok(problem.message.includes(path));
      assert.ok(problem.message.includes(`${dir}/mcp/`), 'says where files are allowed');
    }
    assert.equal(problems(join(outside, 'token'), 'mcp', undefined, 'tokenExchange')[0]?.path, '/spec/upstream/tokenExchange/clientSecretFile');
  });

  it('attack: a tenant naming another namespace\'s folder must be refused', () => {
    assert.equal(allowed(join(dir, 'tools', 'client-secret')), false);
    assert.equal(allowed(join(dir, 'mcp-evil', 'client-secret')), false, 'a folder whose name only starts with the namespace');
    assert.equal(allowed(join(dir, 'tools', 'client-secret'), 'tools'), true, 'the owner may');
  });

  it('attack: a `..` escape must be refused', () => {
    assert.equal(allowed(`${dir}/mcp/../tools/client-secret`), false);
    assert.equal(allowed(`${dir}/mcp/sub/../../tools/client-secret`), false);
    assert.equal(allowed(`${dir}/mcp/../../serviceaccount/token`), false);
    assert.equal(allowed(`${dir}/mcp/not-there/../../tools/client-secret`), false);
  });

  it('attack: a symlink escape must be refused, judged where the link leads (not lexically)', () => {
    assert.equal(allowed(join(dir, 'mcp', 'escape')), false, 'a link to a file outside');
    assert.equal(allowed(join(dir, 'mcp', 'folder-escape', 'token')), false, 'through a linked folder');
    assert.equal(allowed(`${dir}/mcp/up/../client-secret`), false, 'link/.. is the parent of the target: tools/client-secret');
    assert.equal(allowed(join(dir, 'mcp', 'dangling')), false, 'a dangling link could be pointed anywhere later');
  });

  it('refuses the folder itself, every file without --secret-file-dir, and a namespace that is not a plain name', () => {
    assert.equal(allowed(join(dir, 'mcp')), false);
    assert.equal(allowed(`${dir}/mcp/`), false);
    const [problem] = problems(join(dir, 'mcp', 'client-secret'), 'mcp', []);
    assert.equal(problem?.reason, 'SecretFileNotAllowed');
    assert.match(problem.message, /--secret-file-dir/);
    assert.equal(allowed(join(dir, 'client-secret'), ''), false);
    assert.equal(allowed(join(dir, 'mcp', 'client-secret'), '..'), false);
  });

  it('runs as a registered tenant rule, and leaves clientSecretRef alone', () => {
    assert.equal(tenantProblems(policyDocument({ upstream: upstream(join(outside, 'token')) }), 'mcp', options())[0]?.reason, 'SecretFileNotAllowed');
    const ref: UpstreamSpec = { clientCredentials: { tokenEndpoint: 'https://idp.example.com/token', clientId: 'svc', clientSecretRef: { name: 's', key: 'k' } } };
    assert.deepEqual(secretFileRule(policyDocument({ upstream: ref }), 'mcp', options([])), []);
  });

  it('accepts exactly the spellings whose `.`/`..`/`//` reading lies below DIR/<namespace>/ (no symlinks in the way)', () => {
    const segment = fc.constantFrom('mcp', 'tools', 'sub', 'new', '..', '.', '');
    fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 7 }), (segments) => {
      const path = `${dir}/${segments.join('/')}`;
      const normal = posix.normalize(path).replace(/\/$/, '');
      const expected = normal.startsWith(`${dir}/mcp/`);
      assert.equal(allowed(path), expected, path);
    }), { numRuns: 400 });
  });
});
