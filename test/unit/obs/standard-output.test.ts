/**
 * The service's log destination (standard output through sonic-boom in buffer
 * mode, src/obs/logger.ts): a child process logs many lines as fast as it can,
 * some with multi-byte UTF-8, and exits without flushing. Every line must
 * arrive whole, in order, as valid JSON — nothing lost in the asynchronous
 * buffer at exit, no line cut or interleaved by the batching. And when nobody
 * reads stdout, lines beyond the buffer bound are dropped and counted, and
 * close() gives the waiting lines up so the process can exit.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';

const LOGGER = new URL('../../../src/obs/logger.ts', import.meta.url).href;
const LINES = 20_000;

/** Runs `script` with a stdout pipe nobody reads; resolves with its exit code and what it wrote to stderr. */
function childWithStalledStdout(script: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      child.stdout.destroy();
      resolve({ code, stderr });
    });
  });
}

function childOutput(script: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => { stdout += chunk; });
    child.on('close', (code) => { resolve({ code, stdout }); });
  });
}

describe('standard output log destination', function () {
  this.timeout(30_000);

  it('writes every line whole and in order, multi-byte text included, even when the process exits right after', async function () {
    const { code, stdout } = await childOutput(`
      const { createLogger } = await import(${JSON.stringify(LOGGER)});
      const logger = createLogger('info');
      for (let i = 0; i < ${String(LINES)}; i++) logger.info({ event: 'n', i, text: i % 3 === 0 ? 'Grüße, 世界 ✓' : 'plain' }, 'line');
    `);
    assert.equal(code, 0);
    const lines = stdout.split('\n');
    assert.equal(lines.pop(), '', 'output ends with a newline');
    assert.equal(lines.length, LINES);
    lines.forEach((line, index) => {
      const record = JSON.parse(line) as { i: number; text: string };
      assert.equal(record.i, index);
      assert.equal(record.text, index % 3 === 0 ? 'Grüße, 世界 ✓' : 'plain');
    });
  });

  it('attack: with stdout stalled, lines beyond the bound must be dropped and counted, and close() must let the process exit', async function () {
    const { code, stderr } = await childWithStalledStdout(`
      const { standardOutput } = await import(${JSON.stringify(LOGGER)});
      const output = standardOutput({ maxBufferedBytes: 1024 * 1024 });
      const line = JSON.stringify({ event: 'n', text: 'x'.repeat(1000) }) + '\\n';
      for (let i = 0; i < 20_000; i++) output.write(line);
      const flushed = await output.close(300);
      process.stderr.write(JSON.stringify({ dropped: output.dropped, flushed }));
      if (!flushed) process.exit(0);
    `);
    assert.equal(code, 0, stderr);
    const { dropped, flushed } = JSON.parse(stderr) as { dropped: number; flushed: boolean };
    assert.equal(flushed, false);
    // 20 MB written, at most the 1 MiB bound and the pipe's own buffer taken.
    assert.ok(dropped > 18_000 && dropped < 20_000, `${String(dropped)} of 20,000 lines dropped`);
  });
});
