// Client secret files at read time: in Kubernetes mode (secretFileDirs given) a file is read
// only while it resolves below DIR/<the policy's namespace>/, checked again on every call —
// a symlink admitted as pointing inside may be swapped later. File mode reads any path.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientSecretSource } from '../../../src/core/runtime-policy.ts';
import { ClientSecretResolver, ClientSecretUnavailableError } from '../../../src/upstream/client-secret-resolver.ts';
import { assertNeverRead } from '../../support/file-reads.ts';

describe('client secret resolver: secret files', () => {
  let root: string;
  let dir: string;
  let token: string;
  const file = (path: string, namespace = 'mcp'): ClientSecretSource => ({ kind: 'file', path, namespace });
  const kubernetes = (fileTTLMs = 0): ClientSecretResolver => new ClientSecretResolver(undefined, { fileTTLMs, secretFileDirs: [dir] });
  const refused = (path: string) => (error: unknown): boolean =>
    error instanceof ClientSecretUnavailableError && error.message.includes(path) && !error.message.includes('service-account-token') && /not read/.test(error.message);

  /** Points `link` at `target` in one step, as a secret volume update does. */
  const repoint = (link: string, target: string): void => {
    symlinkSync(target, `${link}.next`);
    renameSync(`${link}.next`, link);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'audience-guard-secret-read-'));
    dir = join(root, 'secrets');
    mkdirSync(join(dir, 'mcp'), { recursive: true });
    mkdirSync(join(dir, 'tools'));
    mkdirSync(join(root, 'serviceaccount'));
    token = join(root, 'serviceaccount', 'token');
    writeFileSync(token, 'service-account-token\n');
    writeFileSync(join(dir, 'mcp', 'real'), 'mine\n');
    writeFileSync(join(dir, 'tools', 'client-secret'), 'theirs\n');
    symlinkSync(join(dir, 'mcp', 'real'), join(dir, 'mcp', 'client-secret'));
  });
  afterEach(() => { rmSync(root, { recursive: true, force: true }); });

  it('reads a file below DIR/<namespace>/ (trimmed), and any path in file mode', async () => {
    assert.equal(await kubernetes().resolve(file(join(dir, 'mcp', 'client-secret'))), 'mine');
    assert.equal(await new ClientSecretResolver(undefined, { fileTTLMs: 0 }).resolve(file(token)), 'service-account-token');
  });

  it('attack: a symlink swapped after admission to the service-account token must be refused and the token never read', async () => {
    const link = join(dir, 'mcp', 'client-secret');
    const resolver = kubernetes(60_000);
    assert.equal(await resolver.resolve(file(link)), 'mine', 'admitted and read while it pointed inside');
    repoint(link, token);
    await assertNeverRead([token], async () => {
      await assert.rejects(resolver.resolve(file(link)), refused(link));
    });
    repoint(link, join(dir, 'mcp', 'real'));
    assert.equal(await resolver.resolve(file(link)), 'mine', 'usable again once it points inside');
  });

  it('attack: a path into another namespace\'s folder, or out with `..`, must be refused at read time and never read', async () => {
    const theirs = join(dir, 'tools', 'client-secret');
    await assertNeverRead([theirs, token], async () => {
      await assert.rejects(kubernetes().resolve(file(theirs)), refused(theirs));
      await assert.rejects(kubernetes().resolve(file(`${dir}/mcp/../tools/client-secret`)), refused(`${dir}/mcp/../tools/client-secret`));
      await assert.rejects(kubernetes().resolve(file(`${dir}/mcp/../../serviceaccount/token`)), refused(`${dir}/mcp/../../serviceaccount/token`));
      await assert.rejects(new ClientSecretResolver(undefined, { fileTTLMs: 0, secretFileDirs: [] }).resolve(file(token)), refused(token));
    });
    assert.equal(await kubernetes().resolve(file(theirs, 'tools')), 'theirs', 'the owner may');
  });

  it('refuses a FIFO below the folder without blocking on it', async function () {
    const fifo = join(dir, 'mcp', 'fifo');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      this.skip();
    }
    await assert.rejects(kubernetes().resolve(file(fifo)), (error: unknown) => error instanceof ClientSecretUnavailableError && /ENOTREG/.test(error.message));
  });
});
