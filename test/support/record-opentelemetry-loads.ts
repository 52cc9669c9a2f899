/**
 * Preloaded with `node --import` into a child audience-guard process: counts
 * the modules of the OpenTelemetry SDK that get resolved (every
 * `@opentelemetry/` package but the API, which prom-client loads for its own
 * exemplars), and prints the count as one line on stderr when the process
 * exits (`opentelemetry-modules: N`). Used by test/integration/tracing.test.ts:
 * without `--tracing` the count must be 0.
 */
import { registerHooks } from 'node:module';

const PACKAGES = '/node_modules/@opentelemetry/';
const API = '/node_modules/@opentelemetry/api/';
let loaded = 0;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (resolved.url.includes(PACKAGES) && !resolved.url.includes(API)) loaded += 1;
    return resolved;
  },
});

process.on('exit', () => {
  process.stderr.write(`opentelemetry-modules: ${String(loaded)}\n`);
});
