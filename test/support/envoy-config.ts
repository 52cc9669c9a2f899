/**
 * Parses Envoy YAML configuration against Envoy's own protos (the files vendored by
 * @grpc/grpc-js-xds, see envoy-protos.ts), the way Envoy reads it: proto3 JSON
 * mapping with snake_case field names, `typed_config` and other Any values resolved
 * by their `@type`, Durations as strings ("0.2s"), wrapper types as plain scalars.
 * Unlike protobufjs' fromObject, an unknown field name, a wrong scalar type, an unknown
 * enum value, two members of one oneof, or a missing `(validate.rules).message.required`
 * field is an error naming its path, so a misspelt field fails.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import protobuf from 'protobufjs';
import type { Field, Root, Type } from 'protobufjs';
import { envoyIncludeDirs, loadProtoRoot } from './envoy-protos.ts';

/** The proto files a static bootstrap with HTTP ext_authz needs (Any payloads must be loaded to resolve). */
export const ENVOY_CONFIG_PROTOS = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
] as const;

let cachedRoot: Root | undefined;

export function envoyConfigRoot(): Root {
  if (cachedRoot !== undefined) return cachedRoot;
  // google/protobuf/descriptor.proto (for custom options) ships as a file with protobufjs;
  // the other well-known types are bundled in protobufjs itself.
  const protobufjsDir = dirname(createRequire(import.meta.url).resolve('protobufjs/package.json'));
  const includeDirs = [...envoyIncludeDirs(), protobufjsDir];
  cachedRoot = loadProtoRoot(ENVOY_CONFIG_PROTOS, includeDirs);
  return cachedRoot;
}

export class EnvoyConfigError extends Error {}

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const WRAPPERS = new Set(['BoolValue', 'StringValue', 'BytesValue', 'DoubleValue', 'FloatValue', 'Int32Value', 'UInt32Value', 'Int64Value', 'UInt64Value'].map((name) => `google.protobuf.${name}`));

function fullName(type: Type): string {
  return type.fullName.replace(/^\./, '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** "1.5s", "0.2s", "0s", "-3s" → {seconds, nanos} (proto3 JSON mapping of google.protobuf.Duration). */
function duration(value: unknown, path: string): { seconds: number; nanos: number } {
  const match = typeof value === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(value) : null;
  if (match === null) throw new EnvoyConfigError(`${path}: expected a duration like "0.2s", got ${JSON.stringify(value)}`);
  const sign = match[1] === undefined ? 1 : -1;
  return { seconds: sign * Number(match[2]), nanos: sign * Number((match[3] ?? '').padEnd(9, '0')) };
}

function scalar(type: string, value: unknown, path: string): unknown {
  const fail = (): never => {
    throw new EnvoyConfigError(`${path}: expected ${type}, got ${JSON.stringify(value)}`);
  };
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : fail();
    case 'bool':
      return typeof value === 'boolean' ? value : fail();
    case 'bytes':
      return typeof value === 'string' ? value : fail();
    case 'double':
    case 'float':
      return typeof value === 'number' ? value : fail();
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value)) ? value : fail();
    default:
      // int32, uint32, sint32, fixed32, sfixed32
      return typeof value === 'number' && Number.isInteger(value) && (!type.startsWith('u') || value >= 0) ? value : fail();
  }
}

function fieldValue(field: Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string' && value in resolved.values) return value;
    if (typeof value === 'number' && Object.values(resolved.values).includes(value)) return value;
    throw new EnvoyConfigError(`${path}: ${JSON.stringify(value)} is not a value of ${resolved.name} (${Object.keys(resolved.values).join(', ')})`);
  }
  if (resolved instanceof protobuf.Type) return message(resolved, value, path);
  return scalar(field.type, value, path);
}

/** Converts a YAML value to protobufjs' object form of `type`, strictly. */
function message(type: Type, value: unknown, path: string): Record<string, unknown> {
  const name = fullName(type);
  if (name === 'google.protobuf.Duration') return duration(value, path);
  if (WRAPPERS.has(name)) return { value: scalar(type.fields.value!.type, value, path) };
  if (name === 'google.protobuf.Any') return any(value, path);
  if (name === 'google.protobuf.Struct') {
    if (!isPlainObject(value)) throw new EnvoyConfigError(`${path}: expected an object`);
    return { fields: Object.fromEntries(Object.entries(value).map(([key, item]) => [key, structValue(item)])) };
  }
  if (!isPlainObject(value)) throw new EnvoyConfigError(`${path}: expected a ${type.name} object, got ${JSON.stringify(value)}`);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const field = type.fields[key];
    const at = `${path}.${key}`;
    if (field === undefined) throw new EnvoyConfigError(`${at}: ${type.name} has no field "${key}"`);
    if (field instanceof protobuf.MapField) {
      if (!isPlainObject(item)) throw new EnvoyConfigError(`${at}: expected a map`);
      out[key] = Object.fromEntries(Object.entries(item).map(([mapKey, mapValue]) => [mapKey, fieldValue(field, mapValue, `${at}.${mapKey}`)]));
    } else if (field.repeated) {
      if (!Array.isArray(item)) throw new EnvoyConfigError(`${at}: expected a list`);
      out[key] = item.map((element: unknown, index) => fieldValue(field, element, `${at}[${String(index)}]`));
    } else {
      out[key] = fieldValue(field, item, at);
    }
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((field) => field.name in value).map((field) => field.name);
    if (set.length > 1) throw new EnvoyConfigError(`${path}: only one of ${set.join(', ')} may be set (oneof ${oneof.name})`);
  }
  for (const field of type.fieldsArray) {
    // Inside a oneof, `required` only says the chosen member must not be empty.
    if (field.partOf === null && field.options?.['(validate.rules).message.required'] === true && !(field.name in value)) {
      throw new EnvoyConfigError(`${path}: ${type.name}.${field.name} is required`);
    }
  }
  return out;
}

function structValue(value: unknown): Record<string, unknown> {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(structValue) } };
  return { structValue: { fields: Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, structValue(item)])) } };
}

/** {"@type": URL, ...fields} → {type_url, value: encoded bytes}, the payload checked against its own type. */
function any(value: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(value) || typeof value['@type'] !== 'string') throw new EnvoyConfigError(`${path}: an Any needs "@type"`);
  const { '@type': typeUrl, ...fields } = value as { '@type': string } & Record<string, unknown>;
  if (!typeUrl.startsWith(TYPE_URL_PREFIX)) throw new EnvoyConfigError(`${path}.@type: expected ${TYPE_URL_PREFIX}…, got ${typeUrl}`);
  let type: Type;
  try {
    type = envoyConfigRoot().lookupType(typeUrl.slice(TYPE_URL_PREFIX.length));
  } catch {
    throw new EnvoyConfigError(`${path}.@type: unknown type ${typeUrl}`);
  }
  return { type_url: typeUrl, value: encode(type, fields, `${path}<${type.name}>`) };
}

function encode(type: Type, value: unknown, path: string): Uint8Array {
  const object = message(type, value, path);
  const problem = type.verify(type.fromObject(object));
  if (problem !== null) throw new EnvoyConfigError(`${path}: ${problem}`);
  return type.encode(type.fromObject(object)).finish();
}

/** Parses `value` as the Envoy message `typeName` (e.g. envoy.config.bootstrap.v3.Bootstrap); throws EnvoyConfigError. */
export function parseEnvoyMessage(typeName: string, value: unknown): Record<string, unknown> {
  const type = envoyConfigRoot().lookupType(typeName);
  const bytes = encode(type, value, typeName);
  return type.toObject(type.decode(bytes), { enums: String, longs: String, defaults: false });
}
