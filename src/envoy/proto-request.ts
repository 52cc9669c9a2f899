// The decoded CheckRequest's shape (src/envoy/proto.ts loads the protos).
// Field names are snake_case (keepCase); every field is optional because
// proto3 decoding with defaults:false omits unset fields. google.protobuf.*
// well-known types come from protobufjs' bundled definitions and keep their
// camelCase field names (Struct values are `{ stringValue: 'x' }`, BoolValue
// is `{ value: false }`). Re-exported by proto.ts.

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
