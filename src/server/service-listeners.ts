/**
 * The service's two listeners, started and stopped together: gRPC (ext_authz
 * and `grpc.health.v1`) and the admin HTTP server. Health (gRPC health and
 * `/readyz`) says SERVING once a policy snapshot is in force and stops saying
 * it as soon as a stop begins, so Envoy and the kubelet turn away first.
 */
import type { Metrics } from '../obs/metrics.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { AdminServer } from './admin-server.ts';
import { AuthorizationGrpcServer } from './grpc-server.ts';

export interface ListenerOptions {
  readonly grpcAddress: string;
  readonly adminAddress: string;
  readonly maxRequestBytes: number;
  readonly maxConnectionAgeMs: number;
}

export interface BoundAddresses {
  readonly grpcPort: number;
  readonly adminPort: number;
  /** The configured addresses with the bound ports (port 0 binds an ephemeral one). */
  readonly grpc: string;
  readonly admin: string;
}

/** What the gRPC server answers checks with. */
type GrpcHandler = ConstructorParameters<typeof AuthorizationGrpcServer>[0];

export class ServiceListeners {
  readonly #options: ListenerOptions;
  readonly #grpc: AuthorizationGrpcServer;
  readonly #admin: AdminServer;
  #stopping = false;

  constructor(handler: GrpcHandler, store: PolicyStore, metrics: Metrics, options: ListenerOptions) {
    this.#options = options;
    this.#grpc = new AuthorizationGrpcServer(handler, {
      address: options.grpcAddress,
      maxReceiveMessageBytes: options.maxRequestBytes,
      maxConnectionAgeMs: options.maxConnectionAgeMs,
    });
    this.#admin = new AdminServer(options.adminAddress, metrics, store, { ready: () => store.loaded() && !this.#stopping });
  }

  /** A policy snapshot is in force: SERVING, unless a stop has begun. */
  policiesLoaded(): void {
    if (!this.#stopping) this.#grpc.setServing(true);
  }

  /** Binds both; when one cannot bind, the error is thrown and `close(0)` is up to the caller. */
  async listen(): Promise<BoundAddresses> {
    const grpcPort = await this.#grpc.listen();
    const adminPort = await this.#admin.listen();
    return {
      grpcPort,
      adminPort,
      grpc: replacePort(this.#options.grpcAddress, grpcPort),
      admin: replacePort(this.#options.adminAddress, adminPort),
    };
  }

  /** NOT_SERVING from now on, on gRPC health and `/readyz`. */
  beginStop(): void {
    this.#stopping = true;
    this.#grpc.setServing(false);
  }

  /** Closes both; open gRPC calls get `graceMs` more. */
  async close(graceMs: number): Promise<void> {
    await this.#grpc.shutdown(graceMs);
    await this.#admin.close();
  }
}

function replacePort(address: string, port: number): string {
  return `${address.slice(0, address.lastIndexOf(':'))}:${port}`;
}
