/**
 * The gRPC listener: `envoy.service.auth.v3.Authorization/Check` and
 * `grpc.health.v1` (grpc-health-check) on one port. Health answers SERVING for
 * "" and the Authorization service only after the first complete policy load,
 * and NOT_SERVING from the start of a shutdown.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { authorizationServiceForServer } from '../envoy/check-service.ts';
import { AUTHORIZATION_SERVICE_NAME, type CheckRequest, type CheckResponse } from '../envoy/proto.ts';
import type { EnvoyCheck } from '../envoy/envoy-check.ts';

export interface GrpcServerOptions {
  readonly address: string;
  /** grpc.max_receive_message_length: a CheckRequest larger than this is refused by gRPC itself. */
  readonly maxReceiveMessageBytes: number;
  /** grpc.max_connection_age_ms: spreads Envoy's long-lived connections after a scale-out. */
  readonly maxConnectionAgeMs: number;
}

export class AuthorizationGrpcServer {
  readonly #server: grpc.Server;
  readonly #health = new HealthImplementation({ '': 'NOT_SERVING', [AUTHORIZATION_SERVICE_NAME]: 'NOT_SERVING' });
  readonly #options: GrpcServerOptions;

  constructor(handler: Pick<EnvoyCheck, 'check'>, options: GrpcServerOptions) {
    this.#options = options;
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': options.maxReceiveMessageBytes,
      'grpc.max_connection_age_ms': options.maxConnectionAgeMs,
      'grpc.max_connection_age_grace_ms': 30_000,
    });
    this.#server.addService(authorizationServiceForServer(), {
      Check: (call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) => {
        // handler.check never rejects: every outcome, including errors, is a CheckResponse.
        void handler.check(call.request, call.metadata).then((response) => { callback(null, response); });
      },
    });
    this.#health.addToServer(this.#server);
  }

  /** Binds and returns the bound port (port 0 binds an ephemeral one). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(this.#options.address, grpc.ServerCredentials.createInsecure(), (error, port) => {
        if (error !== null) reject(error);
        else resolve(port);
      });
    });
  }

  setServing(serving: boolean): void {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    this.#health.setStatus('', status);
    this.#health.setStatus(AUTHORIZATION_SERVICE_NAME, status);
  }

  /** Stops accepting new calls, lets in-flight ones finish, then closes (forcibly after `graceMs`). */
  async shutdown(graceMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      force.unref();
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
