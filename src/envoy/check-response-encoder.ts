/**
 * Encodes the CheckResponse the server sends (the types of src/envoy/proto.ts,
 * field numbers of proto/, which test/envoy/proto-wire.test.ts holds to
 * Envoy's own files) without proto-loader's fromObject copy: ~2 µs instead of
 * 5–10 µs per call (bench/README.md).
 *
 * Safety rules:
 *   - every field of those types is written; an object carrying any other
 *     property, a string enum this file does not know or a negative number
 *     throws, and `encodeCheckResponse` hands the response to `fallback`
 *     (proto-loader) instead — a field added later is never dropped silently;
 *   - a frozen sub-message (the parts check-response.ts reuses for every
 *     call of a policy and reason) is encoded once and its bytes kept by
 *     identity: a frozen object cannot change afterwards.
 */
import type {
  AnyMessage, BoolValue, CheckResponse, DeniedHttpResponse, HeaderValue, HeaderValueOption, HttpStatus, OkHttpResponse, QueryParameter,
  RpcStatus, Struct, StructValue,
} from './proto.ts';
import { WireWriter } from './protobuf-wire-writer.ts';

const keys = (...names: string[]): ReadonlySet<string> => new Set(names);
const RESPONSE_KEYS = keys('status', 'denied_response', 'ok_response', 'dynamic_metadata');
const STATUS_KEYS = keys('code', 'message', 'details');
const ANY_KEYS = keys('type_url', 'value');
const DENIED_KEYS = keys('status', 'headers', 'body');
const HTTP_STATUS_KEYS = keys('code');
const OK_KEYS = keys('headers', 'headers_to_remove', 'response_headers_to_add', 'query_parameters_to_set', 'query_parameters_to_remove');
const OPTION_KEYS = keys('header', 'append', 'append_action', 'keep_empty_value');
const HEADER_KEYS = keys('key', 'value', 'raw_value');
const BOOL_KEYS = keys('value');
const QUERY_KEYS = keys('key', 'value');
const STRUCT_KEYS = keys('fields');
// `kind` is the virtual oneof property protobufjs adds when decoding; it carries no data.
const VALUE_KEYS = keys('nullValue', 'numberValue', 'stringValue', 'boolValue', 'structValue', 'listValue', 'kind');
const LIST_KEYS = keys('values');

const APPEND_ACTIONS: Readonly<Record<string, number>> = {
  APPEND_IF_EXISTS_OR_ADD: 0,
  ADD_IF_ABSENT: 1,
  OVERWRITE_IF_EXISTS_OR_ADD: 2,
  OVERWRITE_IF_EXISTS: 3,
};

const NULL_VALUES: Readonly<Record<string, number>> = { NULL_VALUE: 0 };

const scratch = new WireWriter();
const frozenParts = new WeakMap<object, Buffer>();

type Write<T> = (writer: WireWriter, message: T) => void;

function only(value: object, allowed: ReadonlySet<string>): void {
  for (const key in value) if (!allowed.has(key)) throw new TypeError(`unsupported field ${key}`);
}

function enumValue(value: string | number, names: Readonly<Record<string, number>>): number {
  if (typeof value === 'number') return value;
  const number = Object.hasOwn(names, value) ? names[value] : undefined;
  if (number === undefined) throw new TypeError(`unknown enum value ${value}`);
  return number;
}

/** Writes `message` as field `field`; a frozen message is encoded once and its bytes reused. */
function part<T extends object>(writer: WireWriter, field: number, message: T, write: Write<T>): void {
  if (!Object.isFrozen(message)) {
    const start = writer.begin(field);
    write(writer, message);
    writer.end(start);
    return;
  }
  let bytes = frozenParts.get(message);
  if (bytes === undefined) {
    const own = new WireWriter();
    write(own, message);
    bytes = own.finish();
    frozenParts.set(message, bytes);
  }
  writer.bytes(field, bytes);
}

// Each message type has one named writer at module level, so encoding a
// response creates no functions.

const writeAny: Write<AnyMessage> = (writer, any) => {
  only(any, ANY_KEYS);
  if (any.type_url !== undefined) writer.string(1, any.type_url);
  if (any.value !== undefined) writer.bytes(2, any.value);
};

const writeStatus: Write<RpcStatus> = (writer, status) => {
  only(status, STATUS_KEYS);
  if (status.code !== undefined) writer.uint(1, status.code);
  if (status.message !== undefined) writer.string(2, status.message);
  for (const detail of status.details ?? []) part(writer, 3, detail, writeAny);
};

const writeHeaderValue: Write<HeaderValue> = (writer, header) => {
  only(header, HEADER_KEYS);
  if (header.key !== undefined) writer.string(1, header.key);
  if (header.value !== undefined) writer.string(2, header.value);
  if (header.raw_value !== undefined) writer.bytes(3, header.raw_value);
};

const writeBoolValue: Write<BoolValue> = (writer, value) => {
  only(value, BOOL_KEYS);
  if (value.value !== undefined) writer.bool(1, value.value);
};

const writeOption: Write<HeaderValueOption> = (writer, option) => {
  only(option, OPTION_KEYS);
  if (option.header !== undefined) part(writer, 1, option.header, writeHeaderValue);
  if (option.append !== undefined) part(writer, 2, option.append, writeBoolValue);
  if (option.append_action !== undefined) writer.uint(3, enumValue(option.append_action, APPEND_ACTIONS));
  if (option.keep_empty_value !== undefined) writer.bool(4, option.keep_empty_value);
};

const writeHttpStatus: Write<HttpStatus> = (writer, status) => {
  only(status, HTTP_STATUS_KEYS);
  if (status.code !== undefined) writer.uint(1, status.code);
};

const writeDenied: Write<DeniedHttpResponse> = (writer, denied) => {
  only(denied, DENIED_KEYS);
  if (denied.status !== undefined) part(writer, 1, denied.status, writeHttpStatus);
  for (const option of denied.headers ?? []) part(writer, 2, option, writeOption);
  if (denied.body !== undefined) writer.string(3, denied.body);
};

const writeQueryParameter: Write<QueryParameter> = (writer, parameter) => {
  only(parameter, QUERY_KEYS);
  if (parameter.key !== undefined) writer.string(1, parameter.key);
  if (parameter.value !== undefined) writer.string(2, parameter.value);
};

const writeOk: Write<OkHttpResponse> = (writer, ok) => {
  only(ok, OK_KEYS);
  for (const option of ok.headers ?? []) part(writer, 2, option, writeOption);
  for (const name of ok.headers_to_remove ?? []) writer.string(5, name);
  for (const option of ok.response_headers_to_add ?? []) part(writer, 6, option, writeOption);
  for (const parameter of ok.query_parameters_to_set ?? []) part(writer, 7, parameter, writeQueryParameter);
  for (const name of ok.query_parameters_to_remove ?? []) writer.string(8, name);
};

/** google.protobuf.Struct: map<string, Value> fields = 1, each entry key = 1, value = 2. */
const writeStruct: Write<Struct> = (writer, struct) => {
  only(struct, STRUCT_KEYS);
  for (const [key, value] of Object.entries(struct.fields ?? {})) {
    const entry = writer.begin(1);
    writer.string(1, key);
    part(writer, 2, value, writeValue);
    writer.end(entry);
  }
};

const writeValue: Write<StructValue> = (writer, value) => {
  only(value, VALUE_KEYS);
  if (value.nullValue !== undefined) writer.uint(1, enumValue(value.nullValue, NULL_VALUES));
  if (value.numberValue !== undefined) writer.double(2, value.numberValue);
  if (value.stringValue !== undefined) writer.string(3, value.stringValue);
  if (value.boolValue !== undefined) writer.bool(4, value.boolValue);
  if (value.structValue !== undefined) part(writer, 5, value.structValue, writeStruct);
  if (value.listValue !== undefined) {
    part(writer, 6, value.listValue, (own, list) => {
      only(list, LIST_KEYS);
      for (const item of list.values ?? []) part(own, 1, item, writeValue);
    });
  }
};

/**
 * The CheckResponse bytes; anything this encoder does not cover goes to
 * `fallback`. A frozen response (a remembered decision's answer, a deny
 * without claims) is encoded once: its bytes are returned again, so the
 * caller must not write into them (grpc-js copies them into its frame).
 */
export function encodeCheckResponse(response: CheckResponse, fallback: (response: CheckResponse) => Buffer): Buffer {
  if (!Object.isFrozen(response)) return encodeOnce(response, fallback);
  let bytes = frozenParts.get(response);
  if (bytes === undefined) {
    bytes = encodeOnce(response, fallback);
    frozenParts.set(response, bytes);
  }
  return bytes;
}

function encodeOnce(response: CheckResponse, fallback: (response: CheckResponse) => Buffer): Buffer {
  try {
    const writer = scratch.reset();
    only(response, RESPONSE_KEYS);
    if (response.status !== undefined) part(writer, 1, response.status, writeStatus);
    if (response.denied_response !== undefined) part(writer, 2, response.denied_response, writeDenied);
    if (response.ok_response !== undefined) part(writer, 3, response.ok_response, writeOk);
    if (response.dynamic_metadata !== undefined) part(writer, 4, response.dynamic_metadata, writeStruct);
    return writer.finish();
  } catch {
    return fallback(response);
  }
}
