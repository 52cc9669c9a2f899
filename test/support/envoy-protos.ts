/**
 * Envoy's own ext_authz proto definitions, as vendored by @grpc/grpc-js-xds
 * under deps/ — the reference the project's proto/ subset is held to, and what
 * the test client speaks so requests are encoded exactly as Envoy would.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Include roots of Envoy's real protos. */
export function envoyIncludeDirs(): string[] {
  // resolve() only locates the package entry point; nothing is executed.
  let dir = dirname(createRequire(import.meta.url).resolve('@grpc/grpc-js-xds'));
  while (!existsSync(join(dir, 'deps', 'envoy-api'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('@grpc/grpc-js-xds deps/ not found');
    dir = parent;
  }
  const deps = join(dir, 'deps');
  return ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((name) => join(deps, name));
}
