/**
 * The baseline: a grpc-js server with the same Check method (the project's
 * proto/ files, loaded the usual proto-loader way) that answers every call
 * with one fixed allow CheckResponse, shaped like audience-guard's allow. It
 * measures what grpc-js, HTTP/2 and protobuf cost on this machine — the floor
 * audience-guard's check path is compared with. Logs `listening` like the
 * service, exits 0 on SIGTERM.
 *
 * `--codecs audience-guard` swaps in the service's own Check codecs
 * (src/envoy/check-service.ts) and answers with the allow's shared frozen
 * parts, to show the transport floor apart from protobuf decoding.
 */
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { authorizationServiceForServer } from '../../src/envoy/check-service.ts';
import { EXTERNAL_AUTH_PROTO, PROTO_ROOT } from '../../src/envoy/proto.ts';

const { values } = parseArgs({ options: { codecs: { type: 'string', default: 'proto-loader' } } });
const ownCodecs = values.codecs === 'audience-guard';
const definition = loadSync(EXTERNAL_AUTH_PROTO, { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, includeDirs: [PROTO_ROOT] });
const service = ownCodecs ? authorizationServiceForServer() : definition['envoy.service.auth.v3.Authorization'] as grpc.ServiceDefinition;

const STATUS = Object.freeze({ code: 0 });
const REMOVALS = Object.freeze({ headers_to_remove: Object.freeze(['authorization']), query_parameters_to_remove: Object.freeze(['access_token']) });
const allow = (): object => ({
  status: STATUS,
  ok_response: REMOVALS,
  dynamic_metadata: { fields: { policy: { stringValue: 'bench/mcp' }, decision: { stringValue: 'allowed' }, sub: { stringValue: 'mcp-client' }, client_id: { stringValue: 'mcp-client' } } },
});

const server = new grpc.Server({ 'grpc.max_receive_message_length': 1_048_576, 'grpc.max_connection_age_ms': 5 * 60_000, 'grpc.max_connection_age_grace_ms': 30_000 });
server.addService(service, {
  Check: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => { callback(null, allow()); },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) throw error;
  process.stdout.write(`${JSON.stringify({ event: 'listening', grpc: `127.0.0.1:${String(port)}` })}\n`);
});
process.once('SIGTERM', () => {
  server.tryShutdown(() => process.exit(0));
});
