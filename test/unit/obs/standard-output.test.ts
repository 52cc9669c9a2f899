/**
 * The service's log destination (standard output through sonic-boom in buffer
 * mode, src/obs/logger.ts): a child process logs many lines as fast as it can,
 * some with multi-byte UTF-8, and exits without flushing. Every line must
 * arrive whole, in order, as valid JSON — nothing lost in the asynchronous
 * buffer at exit, no line cut or interleaved by the batching.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';

const LOGGER = new URL('../../../src/obs/logger.ts', import.meta.url).href;
const LINES = 20_000;

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
});
