/**
 * Preloaded with `node --import` into a child audience-guard process: counts
 * the modules of `@kubernetes/client-node` that get resolved, and prints the
 * count as one line on stderr when the process receives SIGUSR2
 * (`kubernetes-client-modules: N`). Used by
 * test/integration/module-footprint.test.ts.
 */
import { registerHooks } from 'node:module';

const PACKAGE = '/node_modules/@kubernetes/client-node/';
let loaded = 0;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (resolved.url.includes(PACKAGE)) loaded += 1;
    return resolved;
  },
});

process.on('SIGUSR2', () => {
  process.stderr.write(`kubernetes-client-modules: ${String(loaded)}\n`);
});
