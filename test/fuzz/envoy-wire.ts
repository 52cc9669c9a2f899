/**
 * Envoy's ext_authz wire for the fuzzer: CheckRequests encoded to bytes with
 * protobufjs from Envoy's own proto definitions (@grpc/grpc-js-xds deps/), a
 * raw gRPC client whose serializer passes Buffers through untouched (so the
 * service decodes exactly the mutated bytes), and CheckResponse decoding.
 *
 * Undecodable bytes: grpc-js runs the service's deserializer before any
 * handler, and when it throws answers INTERNAL with the details "Error
 * deserializing request". That refusal is the transport's, not the service's
 * (Envoy never sends such bytes, and would deny on the failed call with
 * failure_mode_allow: false); every other outcome must be a CheckResponse.
 * To judge what the service saw, the fuzzer decodes the same bytes with
 * protobuf semantics: the project's proto through proto-loader (what grpc-js
 * used before any hand-written decoder), else Envoy's full definition.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { CHECK_METHOD_PATH, loadAuthorizationService, type CheckRequest } from '../../src/envoy/proto.ts';
import { envoyIncludeDirs } from '../support/envoy-protos.ts';

let root: protobuf.Root | undefined;

/** Envoy's real external_auth.proto and everything it imports, loaded with protobufjs (snake_case fields). */
export function envoyRoot(): protobuf.Root {
  if (root !== undefined) return root;
  const includeDirs = envoyIncludeDirs();
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) => {
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  loaded.loadSync('envoy/service/auth/v3/external_auth.proto', { keepCase: true });
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

/** Encodes a CheckRequest object (snake_case, as Envoy's proto names it) to wire bytes. */
export function encodeCheckRequest(request: Record<string, unknown>): Buffer {
  const type = envoyRoot().lookupType('envoy.service.auth.v3.CheckRequest');
  return Buffer.from(type.encode(type.fromObject(request)).finish());
}

export interface DecodedCheckResponse {
  status?: { code?: number; message?: string };
  denied_response?: { status?: { code?: number }; headers?: { header?: { key?: string; value?: string } }[]; body?: string };
  ok_response?: { headers?: unknown[]; headers_to_remove?: string[]; query_parameters_to_remove?: string[] };
  dynamic_metadata?: { fields?: Record<string, { stringValue?: string }> };
}

/** Decodes a CheckResponse with Envoy's definition; enums as numbers. */
export function decodeCheckResponse(bytes: Uint8Array): DecodedCheckResponse {
  const type = envoyRoot().lookupType('envoy.service.auth.v3.CheckResponse');
  return type.toObject(type.decode(bytes), { enums: Number, longs: String, defaults: false });
}

const protoLoaderDeserialize = loadAuthorizationService().service.Check!.requestDeserialize;

/** These bytes decoded by proto-loader from the project's proto (protobuf semantics), or undefined when that throws. */
export function serviceDecode(bytes: Buffer): CheckRequest | undefined {
  try {
    return protoLoaderDeserialize(bytes) as CheckRequest;
  } catch {
    return undefined;
  }
}

/** These bytes decoded with Envoy's full CheckRequest definition, or undefined. */
export function envoyDecode(bytes: Buffer): CheckRequest | undefined {
  try {
    const type = envoyRoot().lookupType('envoy.service.auth.v3.CheckRequest');
    return type.toObject(type.decode(bytes), { longs: String, enums: String, defaults: false, oneofs: true });
  } catch {
    return undefined;
  }
}

/** grpc-js's answer when the service's deserializer throws. */
export function isTransportRefusal(outcome: RawOutcome): boolean {
  return outcome.kind === 'rpc-error' && outcome.code === (grpc.status.INTERNAL as number) && outcome.details.startsWith('Error deserializing request');
}

export type RawOutcome =
  | { readonly kind: 'response'; readonly response: DecodedCheckResponse; readonly bytes: Buffer }
  | { readonly kind: 'rpc-error'; readonly code: number; readonly details: string };

/** A gRPC client for Check that sends bytes as they are. */
export class RawCheckClient {
  readonly #client: grpc.Client;

  constructor(port: number) {
    this.#client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  check(bytes: Buffer, deadlineMs = 10_000): Promise<RawOutcome> {
    return new Promise((resolve) => {
      this.#client.makeUnaryRequest<Buffer, Buffer>(
        CHECK_METHOD_PATH,
        (value) => value,
        (value) => value,
        bytes,
        { deadline: Date.now() + deadlineMs },
        (error, response) => {
          if (error !== null) resolve({ kind: 'rpc-error', code: error.code, details: error.details });
          else if (response === undefined) resolve({ kind: 'rpc-error', code: -1, details: 'no response' });
          else {
            try {
              resolve({ kind: 'response', response: decodeCheckResponse(response), bytes: response });
            } catch (decodeError) {
              resolve({ kind: 'rpc-error', code: -2, details: `undecodable CheckResponse: ${String(decodeError)}` });
            }
          }
        },
      );
    });
  }

  close(): void {
    this.#client.close();
  }
}

function lengthDelimited(fieldNumber: number, content: Uint8Array): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32(((fieldNumber << 3) | 2) >>> 0).bytes(content);
  return Buffer.from(writer.finish());
}

/**
 * `request` (a CheckRequest object) encoded with an `attributes.metadata_context`
 * whose Struct nests `depth` levels, written by hand: deeper than protobufjs'
 * encoder allows (its recursion limit is 100, like protoc's). The Struct goes
 * into the same `attributes` message: protobufjs replaces a repeated embedded
 * message instead of merging it, so a second `attributes` would drop the first.
 */
export function withDeepStruct(request: Record<string, unknown>, depth: number): Buffer {
  const root = envoyRoot();
  const requestType = root.lookupType('envoy.service.auth.v3.CheckRequest');
  const attributesType = root.lookupType('envoy.service.auth.v3.AttributeContext');
  const attributes = Buffer.from(attributesType.encode(attributesType.fromObject((request.attributes ?? {}) as Record<string, unknown>)).finish());
  // google.protobuf.Value: string_value = 3, struct_value = 5; Struct: fields = 1 (map entry: key 1, value 2).
  let value: Buffer = lengthDelimited(3, Buffer.from('leaf'));
  let struct: Buffer = Buffer.alloc(0);
  for (let level = 0; level < Math.max(1, depth); level += 1) {
    struct = lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from('a')), lengthDelimited(2, value)]));
    value = lengthDelimited(5, struct);
  }
  const metadata = lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from('x')), lengthDelimited(2, struct)]));
  const withMetadata = Buffer.concat([attributes, lengthDelimited(attributesType.fields.metadata_context!.id, metadata)]);
  return lengthDelimited(requestType.fields.attributes!.id, withMetadata);
}
