/**
 * A Check client built from Envoy's real protos (not the project's subset), so
 * every request is encoded the way Envoy encodes it. `check()` resolves with
 * the decoded CheckResponse, or rejects when the RPC itself fails — which the
 * tests treat as a defect: a deny must never be an RPC error.
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { envoyIncludeDirs } from './envoy-protos.ts';

const definition = loadSync('envoy/service/auth/v3/external_auth.proto', {
  keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, includeDirs: envoyIncludeDirs(),
});
const AuthorizationClient = grpc.makeClientConstructor(
  definition['envoy.service.auth.v3.Authorization'] as grpc.ServiceDefinition,
  'Authorization',
);

export interface HeaderOption { header?: { key?: string; value?: string }; append?: { value?: boolean }; append_action?: string }

export interface EnvoyCheckResponse {
  status?: { code?: number; message?: string };
  denied_response?: { status?: { code?: string | number }; headers?: HeaderOption[]; body?: string };
  ok_response?: { headers?: HeaderOption[]; headers_to_remove?: string[]; query_parameters_to_remove?: string[] };
  dynamic_metadata?: { fields?: Record<string, { stringValue?: string }> };
}

export interface RequestShape {
  authority?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  contextExtensions?: Record<string, string>;
  /** `attributes.request.http.body` (Envoy's with_request_body) */
  body?: string;
  /** `attributes.request.http.raw_body` (with_request_body.pack_as_bytes) */
  rawBody?: Uint8Array;
  /** The client certificate Envoy saw (PEM); sent URL-encoded in `source.certificate`, as Envoy does. */
  certificate?: string;
}

export function checkRequest(shape: RequestShape): Record<string, unknown> {
  const headers: Record<string, string> = {
    ':authority': shape.authority ?? 'mcp.example.com',
    ':path': shape.path ?? '/mcp',
    ':method': shape.method ?? 'POST',
    ':scheme': 'https',
    'user-agent': 'test-client/1.0',
    'x-request-id': 'req-1',
    ...shape.headers,
  };
  return {
    attributes: {
      source: {
        address: { socket_address: { address: '10.1.2.3', port_value: 40000 } },
        ...(shape.certificate === undefined ? {} : { certificate: encodeURIComponent(shape.certificate) }),
      },
      request: {
        http: {
          id: '1', method: headers[':method'], headers, path: headers[':path'], host: headers[':authority'], scheme: 'https', protocol: 'HTTP/1.1',
          ...(shape.body === undefined ? {} : { body: shape.body }),
          ...(shape.rawBody === undefined ? {} : { raw_body: Buffer.from(shape.rawBody) }),
        },
      },
      ...(shape.contextExtensions === undefined ? {} : { context_extensions: shape.contextExtensions }),
    },
  };
}

export class EnvoyCheckClient {
  readonly #client: grpc.Client & {
    Check: (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response: EnvoyCheckResponse) => void) => void;
  };

  constructor(port: number) {
    this.#client = new AuthorizationClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as never;
  }

  /** `metadata`: gRPC metadata of the call itself (where Envoy puts its trace context when it traces). */
  check(shape: RequestShape, deadlineMs = 5_000, metadata?: Record<string, string>): Promise<EnvoyCheckResponse> {
    const callMetadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(metadata ?? {})) callMetadata.set(key, value);
    return new Promise((resolve, reject) => {
      this.#client.Check(checkRequest(shape), callMetadata, { deadline: Date.now() + deadlineMs }, (error, response) => {
        if (error !== null) reject(error);
        else resolve(response);
      });
    });
  }

  close(): void {
    this.#client.close();
  }
}

/** The value of a header set in a denied or ok response. */
export function headerValue(headers: HeaderOption[] | undefined, key: string): string | undefined {
  return headers?.find((option) => option.header?.key === key)?.header?.value;
}

export function httpStatus(response: EnvoyCheckResponse): number | undefined {
  const code = response.denied_response?.status?.code;
  if (code === undefined) return undefined;
  return typeof code === 'number' ? code : Number.isNaN(Number(code)) ? STATUS_NAMES[code] : Number(code);
}

// enums: String decodes envoy.type.v3.StatusCode by name.
const STATUS_NAMES: Record<string, number> = { OK: 200, BadRequest: 400, Unauthorized: 401, Forbidden: 403, InternalServerError: 500, ServiceUnavailable: 503 };
