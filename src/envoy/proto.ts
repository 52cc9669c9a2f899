// Loads the project's wire-compatible subset of Envoy's ext_authz v3 API
// (proto/, checked against Envoy's real files by test/envoy/proto-wire.test.ts)
// and describes the decoded CheckRequest and the CheckResponse we send.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import type { Options, PackageDefinition } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';

/** Finds the repo's proto/ folder by walking up from this module (src/envoy or dist/envoy). */
function findProtoRoot(startDir: string): string {
  let dir = startDir;
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'envoy'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`audience-guard: no proto/envoy folder found above ${startDir}`);
    }
    dir = parent;
  }
}

/** Absolute path of the repo's proto/ include root. */
export const PROTO_ROOT: string = findProtoRoot(dirname(fileURLToPath(import.meta.url)));

/** The ext_authz service file, relative to PROTO_ROOT. */
export const EXTERNAL_AUTH_PROTO = 'envoy/service/auth/v3/external_auth.proto';

/** Absolute path of the ext_authz service file. */
export const EXTERNAL_AUTH_PROTO_PATH: string = join(PROTO_ROOT, EXTERNAL_AUTH_PROTO);

/** Fully-qualified name of the ext_authz gRPC service. */
export const AUTHORIZATION_SERVICE_NAME = 'envoy.service.auth.v3.Authorization';

/** gRPC path of the Check method, as Envoy calls it. */
export const CHECK_METHOD_PATH = '/envoy.service.auth.v3.Authorization/Check';

/**
 * proto-loader options the server decodes and encodes with (without includeDirs).
 * keepCase keeps snake_case field names; int64 becomes a decimal string; enums
 * decode as their names; unset fields are omitted; set oneofs get a virtual
 * property naming the present member.
 */
export const PROTO_LOADER_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
});

export interface LoadedAuthorizationService {
  /** The Authorization service definition, for `server.addService`. */
  readonly service: ServiceDefinition;
  readonly packageDefinition: PackageDefinition;
}

/** Loads proto/envoy/service/auth/v3/external_auth.proto and returns the Authorization service. */
export function loadAuthorizationService(): LoadedAuthorizationService {
  const packageDefinition = loadSync(EXTERNAL_AUTH_PROTO, {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [PROTO_ROOT],
  });
  const definition = packageDefinition[AUTHORIZATION_SERVICE_NAME];
  if (definition === undefined || 'format' in definition) {
    throw new Error(`audience-guard: ${AUTHORIZATION_SERVICE_NAME} is not a service in ${EXTERNAL_AUTH_PROTO_PATH}`);
  }
  const check = definition['Check'];
  if (check?.path !== CHECK_METHOD_PATH) {
    throw new Error(`audience-guard: ${AUTHORIZATION_SERVICE_NAME} has no ${CHECK_METHOD_PATH} method`);
  }
  return { service: definition, packageDefinition };
}

// The decoded and outgoing message shapes.
export type * from './proto-request.ts';
export type * from './proto-response.ts';
