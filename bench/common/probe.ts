/** One Check call with a pre-encoded frame, to confirm each scenario gets the decision it is meant to measure. */
import { connect } from 'node:http2';
import { CHECK_PATH, decodeCheckResponse } from './grpc-frames.ts';

export interface ProbeResult {
  readonly grpcStatus: string;
  readonly allowed: boolean;
  /** CheckResponse.status.message: the deny reason. */
  readonly reason: string | undefined;
}

export function probe(port: number, frame: Buffer): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${String(port)}`);
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': CHECK_PATH, 'content-type': 'application/grpc', te: 'trailers' });
    const chunks: Buffer[] = [];
    let grpcStatus = '';
    stream.on('response', (headers) => { grpcStatus = String(headers['grpc-status'] ?? grpcStatus); });
    stream.on('trailers', (trailers: Record<string, unknown>) => { grpcStatus = String(trailers['grpc-status']); });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('close', () => {
      session.close();
      const body = Buffer.concat(chunks);
      if (grpcStatus !== '0' || body.length < 5) {
        resolve({ grpcStatus, allowed: false, reason: undefined });
        return;
      }
      const response = decodeCheckResponse(body.subarray(5));
      resolve({ grpcStatus, allowed: (response.status?.code ?? 0) === 0, reason: response.status?.message });
    });
    stream.end(frame);
  });
}
