/**
 * Envoy's own ext_authz proto definitions, as vendored by @grpc/grpc-js-xds
 * under deps/ — the reference the project's proto/ subset is held to, and what
 * the test client speaks so requests are encoded exactly as Envoy would.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import type { Root } from 'protobufjs';

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

/**
 * Loads .proto files into a resolved protobufjs Root, keeping snake_case field
 * names; imports are looked up in `includeDirs` (google/protobuf/* well-known
 * types come from protobufjs' bundled definitions first).
 */
export function loadProtoRoot(files: string | readonly string[], includeDirs: readonly string[]): Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    throw new Error(`${target} not found in ${includeDirs.join(', ')}`);
  };
  root.loadSync(typeof files === 'string' ? files : [...files], { keepCase: true });
  root.resolveAll();
  return root;
}
