/**
 * The Authorization service as the gRPC server registers it: proto-loader's
 * definition (service and method names, path) with the Check method's codecs
 * replaced — requests decoded by check-request-decoder.ts (only what a check
 * reads), responses encoded by check-response-encoder.ts, which hands
 * anything it does not cover back to proto-loader's serializer. The choice
 * and its measurements are in bench/README.md ("Proto loading").
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { decodeCheckRequest } from './check-request-decoder.ts';
import { encodeCheckResponse } from './check-response-encoder.ts';
import { loadAuthorizationService, type CheckRequest, type CheckResponse } from './proto.ts';

export function authorizationServiceForServer(): ServiceDefinition {
  const { service } = loadAuthorizationService();
  const check = service.Check as MethodDefinition<CheckRequest, CheckResponse>;
  const generic = check.responseSerialize;
  return {
    ...service,
    Check: {
      ...check,
      requestDeserialize: decodeCheckRequest,
      responseSerialize: (response: CheckResponse) => encodeCheckResponse(response, generic),
    },
  };
}
