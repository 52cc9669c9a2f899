// The shape of the CheckResponse the server sends (src/envoy/proto.ts loads the protos).
// Field names are snake_case (keepCase); every field is optional because
// proto3 decoding with defaults:false omits unset fields. google.protobuf.*
// well-known types come from protobufjs' bundled definitions and keep their
// camelCase field names (Struct values are `{ stringValue: 'x' }`, BoolValue
// is `{ value: false }`). Re-exported by proto.ts.

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
