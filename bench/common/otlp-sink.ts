/**
 * The collector end of a traced benchmark run (`--tracing RATIO`): an
 * OTLP/HTTP endpoint on 127.0.0.1 that reads each export, counts its spans
 * and answers 200, so the servers under test pay the full price of tracing
 * (span creation, batching, JSON encoding, the HTTP request) and nothing
 * more. The spans are counted by their `spanId` members, not parsed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OTLPSink {
  readonly endpoint: string;
  spans(): number;
  close(): Promise<void>;
}

export async function startOTLPSink(): Promise<OTLPSink> {
  let spans = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => {
      spans += body.split('"spanId"').length - 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    spans: () => spans,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => { resolve(); }));
    },
  };
}
