/**
 * An in-process OTLP/HTTP receiver: a test double of an OpenTelemetry
 * collector's `otlphttp` receiver on 127.0.0.1. It takes what the service's
 * real exporter sends to `POST /v1/traces` (OTLP JSON), answers 200 with an
 * empty export response, and keeps the spans for tests to read. Every body it
 * receives goes to the secret ledger too, so the suite-wide token-leak scan
 * (test/support/root-hooks.ts) covers exported spans like log lines.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { captureOutput } from './secret-ledger.ts';

type AnyValue = { stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number; arrayValue?: { values?: AnyValue[] } };
interface KeyValue { key: string; value: AnyValue }

/** One exported span, flattened: ids in hex, attributes as plain values. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTLP's SpanKind: 2 SERVER, 3 CLIENT. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly status: { readonly code?: number; readonly message?: string };
  readonly events: readonly unknown[];
  /** The resource's attributes (service.name, …). */
  readonly resource: Readonly<Record<string, unknown>>;
}

interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { spans?: {
      traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number;
      attributes?: KeyValue[]; status?: { code?: number; message?: string }; events?: unknown[];
    }[]; }[];
  }[];
}

function plain(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.arrayValue?.values?.map(plain);
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, plain(value)]));
}

export class OTLPReceiver {
  readonly #server: Server;
  readonly #spans: ReceivedSpan[] = [];
  /** Request bodies as received, for scans over everything exported. */
  readonly bodies: string[] = [];
  #port = 0;

  constructor() {
    this.#server = createServer((request, response) => { this.#receive(request, response); });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
  get endpoint(): string {
    return `http://127.0.0.1:${String(this.#port)}`;
  }

  get tracesURL(): string {
    return `${this.endpoint}/v1/traces`;
  }

  get spans(): readonly ReceivedSpan[] {
    return this.#spans;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.#spans.filter((span) => span.traceId === traceId);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => { resolve(); }));
  }

  #receive(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (request.method !== 'POST' || request.url !== '/v1/traces' || !String(request.headers['content-type']).startsWith('application/json')) {
        response.writeHead(415).end();
        return;
      }
      captureOutput(body);
      this.bodies.push(body);
      for (const resourceSpans of (JSON.parse(body) as ExportRequest).resourceSpans ?? []) {
        const resource = attributesOf(resourceSpans.resource?.attributes);
        for (const span of (resourceSpans.scopeSpans ?? []).flatMap((scope) => scope.spans ?? [])) {
          this.#spans.push({
            traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId === '' ? undefined : span.parentSpanId,
            name: span.name, kind: span.kind, attributes: attributesOf(span.attributes), status: span.status ?? {},
            events: span.events ?? [], resource,
          });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  }
}

export async function startOTLPReceiver(): Promise<OTLPReceiver> {
  const receiver = new OTLPReceiver();
  await receiver.start();
  return receiver;
}
