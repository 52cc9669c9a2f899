/**
 * The OpenTelemetry context of the check in progress, carried across `await`
 * by Node's AsyncLocalStorage: the check span is active while decide() runs,
 * so a JWKS, discovery, introspection or token request it starts finds its
 * parent (traced-fetch.ts) without the decision core knowing of tracing.
 *
 * It is the service's own instance, not the API's global context manager:
 * no global state, so two services in one process (tests) do not see each
 * other's spans, and tracing off changes nothing anywhere. (Registering
 * `AsyncLocalStorageContextManager` of @opentelemetry/context-async-hooks
 * globally would do the same for libraries that read `context.active()`;
 * none on the check path does.)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';

export class ActiveContext {
  readonly #storage = new AsyncLocalStorage<Context>();

  run<T>(context: Context, work: () => Promise<T>): Promise<T> {
    return this.#storage.run(context, work);
  }

  /** The context of the check whose work is running now; undefined outside any check. */
  current(): Context | undefined {
    return this.#storage.getStore();
  }
}
