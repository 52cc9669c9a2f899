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

// ---------------------------------------------------------------------------
// Decoded and outgoing message shapes. Field names are snake_case (keepCase);
// every field is optional because proto3 decoding with defaults:false omits
// unset fields. google.protobuf.* well-known types come from protobufjs'
// bundled definitions and keep their camelCase field names (Struct values are
// `{ stringValue: 'x' }`, BoolValue is `{ value: false }`).
// ---------------------------------------------------------------------------

/** google.protobuf.Timestamp as decoded (int64 seconds as a decimal string). */
export interface Timestamp {
  seconds?: string;
  nanos?: number;
}

/** envoy.config.core.v3.SocketAddress as decoded. */
export interface SocketAddress {
  protocol?: 'TCP' | 'UDP';
  address?: string;
  port_value?: number;
  named_port?: string;
  /** Virtual oneof property: which port field is set. */
  port_specifier?: 'port_value' | 'named_port';
  resolver_name?: string;
  ipv4_compat?: boolean;
}

/** envoy.config.core.v3.Pipe as decoded. */
export interface Pipe {
  path?: string;
  mode?: number;
}

/** envoy.config.core.v3.EnvoyInternalAddress as decoded. */
export interface EnvoyInternalAddress {
  server_listener_name?: string;
  address_name_specifier?: 'server_listener_name';
  endpoint_id?: string;
}

/** envoy.config.core.v3.Address as decoded. */
export interface Address {
  socket_address?: SocketAddress;
  pipe?: Pipe;
  envoy_internal_address?: EnvoyInternalAddress;
  /** Virtual oneof property: which address kind is set. */
  address?: 'socket_address' | 'pipe' | 'envoy_internal_address';
}

/** envoy.service.auth.v3.AttributeContext.Peer as decoded. */
export interface AttributeContextPeer {
  address?: Address;
  service?: string;
  labels?: Record<string, string>;
  principal?: string;
  certificate?: string;
}

/** envoy.service.auth.v3.AttributeContext.HttpRequest as decoded. */
export interface AttributeContextHttpRequest {
  id?: string;
  method?: string;
  /** Lower-cased header names; repeated headers are comma-joined by Envoy. */
  headers?: Record<string, string>;
  path?: string;
  host?: string;
  scheme?: string;
  query?: string;
  fragment?: string;
  /** int64, decoded as a decimal string. */
  size?: string;
  protocol?: string;
  body?: string;
  raw_body?: Buffer;
}

/** envoy.service.auth.v3.AttributeContext.Request as decoded. */
export interface AttributeContextRequest {
  time?: Timestamp;
  http?: AttributeContextHttpRequest;
}

/** envoy.service.auth.v3.AttributeContext as decoded. */
export interface AttributeContext {
  source?: AttributeContextPeer;
  destination?: AttributeContextPeer;
  request?: AttributeContextRequest;
  context_extensions?: Record<string, string>;
}

/** envoy.service.auth.v3.CheckRequest as decoded by the server. */
export interface CheckRequest {
  attributes?: AttributeContext;
}

/** google.protobuf.Value (camelCase: protobufjs' bundled definition). */
export interface StructValue {
  nullValue?: 'NULL_VALUE' | 0;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: Struct;
  listValue?: { values?: StructValue[] };
  /** Virtual oneof property set when decoding: which kind is present. */
  kind?: 'nullValue' | 'numberValue' | 'stringValue' | 'boolValue' | 'structValue' | 'listValue';
}

/** google.protobuf.Struct (camelCase: protobufjs' bundled definition). */
export interface Struct {
  fields?: Record<string, StructValue>;
}

/** google.protobuf.BoolValue. */
export interface BoolValue {
  value?: boolean;
}

/** google.protobuf.Any as protobufjs encodes it (type_url, value bytes). */
export interface AnyMessage {
  type_url?: string;
  value?: Uint8Array;
}

/** google.rpc.Status; code is a google.rpc.Code (0 = OK, 7 = PERMISSION_DENIED, 16 = UNAUTHENTICATED). */
export interface RpcStatus {
  code?: number;
  message?: string;
  details?: AnyMessage[];
}

/** envoy.config.core.v3.HeaderValue. Set value or raw_value, not both. */
export interface HeaderValue {
  key?: string;
  value?: string;
  raw_value?: Uint8Array;
}

export type HeaderAppendAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';

/** envoy.config.core.v3.HeaderValueOption. For ext_authz, `append` defaults to false. */
export interface HeaderValueOption {
  header?: HeaderValue;
  append?: BoolValue;
  append_action?: HeaderAppendAction;
  keep_empty_value?: boolean;
}

/** envoy.config.core.v3.QueryParameter. */
export interface QueryParameter {
  key?: string;
  value?: string;
}

/** envoy.type.v3.HttpStatus; code is the numeric HTTP status (an envoy.type.v3.StatusCode value). */
export interface HttpStatus {
  code?: number;
}

/** envoy.service.auth.v3.DeniedHttpResponse. */
export interface DeniedHttpResponse {
  status?: HttpStatus;
  headers?: HeaderValueOption[];
  body?: string;
}

/** envoy.service.auth.v3.OkHttpResponse. */
export interface OkHttpResponse {
  headers?: HeaderValueOption[];
  headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  query_parameters_to_set?: QueryParameter[];
  query_parameters_to_remove?: string[];
}

/** envoy.service.auth.v3.CheckResponse as sent by the server. Set at most one of denied_response / ok_response. */
export interface CheckResponse {
  status?: RpcStatus;
  denied_response?: DeniedHttpResponse;
  ok_response?: OkHttpResponse;
  dynamic_metadata?: Struct;
}
