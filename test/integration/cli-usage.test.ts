/**
 * The command line's own manners, as users meet them (child processes):
 * `--help` on every command within 100 columns, `--version` from
 * package.json, unknown commands and flags named in one line with exit 2, and
 * a clear one-line refusal from `bin/audience-guard.js` on a Node.js older
 * than package.json's `engines.node` (run under the machine's older Node).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { nodeVersionProblem } from '../../bin/check-node-version.js';
import { HELP_WIDTH } from '../../src/cli/help-text.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const BIN = new URL('../../bin/audience-guard.js', import.meta.url).pathname;
const MANIFEST = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; engines: { node: string } };
const COMMANDS = ['serve', 'validate', 'explain', 'crd'] as const;

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

function run(args: readonly string[], executable = process.execPath, script = MAIN): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(executable, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('close', (code) => { resolve({ code, stdout, stderr }); });
  });
}

/** A `node` on PATH (or in the usual places) older than the engines range, other than this one. */
function olderNode(): { path: string; version: string } | undefined {
  const own = realpathSync(process.execPath);
  const directories = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/bin', '/usr/bin', '/bin'];
  for (const directory of directories.filter((entry) => entry !== '' && !entry.includes('node_modules'))) {
    const candidate = join(directory, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      if (realpathSync(candidate) === own) continue;
    } catch {
      continue;
    }
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (/^v\d+\./.test(version) && nodeVersionProblem(version, MANIFEST.engines.node) !== undefined) return { path: candidate, version: version.slice(1) };
  }
  return undefined;
}

describe('audience-guard command line', function () {
  it(`answers --help on every command with exit 0, every line within ${String(HELP_WIDTH)} columns`, async function () {
    const invocations = [['--help'], ['help'], ...COMMANDS.map((command) => [command, '--help']), ...COMMANDS.map((command) => [command, '-h']), ['help', 'explain']];
    const runs = await Promise.all(invocations.map((args) => run(args)));
    for (const [index, result] of runs.entries()) {
      const args = invocations[index]!.join(' ');
      assert.equal(result.code, 0, `${args}: ${result.stderr}`);
      assert.match(result.stdout, /^usage: audience-guard /, args);
      for (const line of result.stdout.split('\n')) assert.ok(line.length <= HELP_WIDTH, `${args}: a help line of ${String(line.length)} columns: ${line}`);
    }
    assert.match(runs[0]!.stdout, /serve \[flags\][\s\S]*validate[\s\S]*explain[\s\S]*crd/);
    assert.match(runs[2]!.stdout, /--check-timeout[\s\S]*AUDIENCE_GUARD_CHECK_TIMEOUT/, 'serve --help lists the serve flags');
    assert.match(runs[4]!.stdout, /--token-stdin/, 'explain --help lists the explain flags');
    assert.equal(runs.at(-1)!.stdout, runs[4]!.stdout, 'help explain is explain --help');
  });

  it('prints the version of package.json for --version, also after a command', async function () {
    for (const result of await Promise.all([run(['--version']), run(['serve', '--version'])])) {
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `${MANIFEST.version}\n`);
    }
  });

  it('names an unknown command in one line, exit 2', async function () {
    const result = await run(['serv']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.deepEqual(result.stderr.trim().split('\n'), ['audience-guard: unknown command "serv" (commands: serve, validate, explain, crd; see audience-guard --help)']);
  });

  it('names an unknown flag of every command in one line, exit 2', async function () {
    const runs = await Promise.all([...COMMANDS.map((command) => run([command, '--no-such-flag'])), run(['--no-such-flag'])]);
    for (const [index, result] of runs.entries()) {
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /--no-such-flag/);
      if (index < COMMANDS.length) assert.match(result.stderr, new RegExp(`${COMMANDS[index]!}: unknown flag --no-such-flag \\(see audience-guard ${COMMANDS[index]!} --help\\)`));
    }
  });

  it('prints the usage on stderr with exit 2 when no command is given', async function () {
    const result = await run([]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^usage: audience-guard <command>/);
  });

  describe('Node.js version guard (bin/audience-guard.js)', function () {
    it('accepts versions in the engines range and refuses older ones, by number not by text', function () {
      assert.equal(nodeVersionProblem('22.19.0', '>=22.19'), undefined);
      assert.equal(nodeVersionProblem('22.100.0', '>=22.19'), undefined);
      assert.equal(nodeVersionProblem('24.0.0', '>=22.19'), undefined);
      assert.match(nodeVersionProblem('22.18.9', '>=22.19') ?? '', /Node\.js 22\.18\.9 is too old: audience-guard needs Node\.js >=22\.19/);
      assert.match(nodeVersionProblem('v20.20.2', '>=22.19') ?? '', /20\.20\.2 is too old/);
      assert.equal(nodeVersionProblem('9.0.0', '^22 || ^24'), undefined, 'a range of another form is left to Node');
    });

    it('runs on this Node', async function () {
      const result = await run(['--version'], process.execPath, BIN);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${MANIFEST.version}\n`);
    });

    it('refuses an older Node with one line naming both versions, before anything else fails', async function () {
      const older = olderNode();
      if (older === undefined) {
        console.log(`      (skipped: no Node.js older than ${MANIFEST.engines.node} besides this one on PATH, /usr/local/bin, /usr/bin or /bin)`);
        this.skip();
      }
      for (const args of [['--version'], ['serve', '--policy-file', 'x.yaml'], ['explain', '--help']]) {
        const result = await run(args, older.path, BIN);
        assert.equal(result.code, 1, `node ${older.version}: ${result.stderr}`);
        assert.equal(result.stdout, '');
        assert.deepEqual(result.stderr.trim().split('\n'), [`audience-guard: Node.js ${older.version} is too old: audience-guard needs Node.js ${MANIFEST.engines.node} (package.json "engines"); install a newer Node.js`]);
      }
    });
  });
});
