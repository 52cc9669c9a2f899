/**
 * Mocha root hooks. After the whole suite: scan everything the servers printed
 * for any token (or token segment) issued during the tests. None may appear.
 */
import { strict as assert } from 'node:assert';
import { findLeaks, ledgerSize } from './secret-ledger.ts';

export const mochaHooks = {
  afterAll(): void {
    const { tokens, outputLines } = ledgerSize();
    const { pieces, leaks } = findLeaks();
    if (tokens === 0 || outputLines === 0) return; // a partial run (one file) may have nothing to scan
    assert.deepEqual(leaks, [], `server output must not contain any token or token segment (${pieces} pieces checked over ${outputLines} lines)`);
  },
};
