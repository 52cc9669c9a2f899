/**
 * The service's listeners, started and stopped together: gRPC (ext_authz
 * and `grpc.health.v1`), the admin HTTP server, and the HTTP forward-auth
 * listener when `--http-authz-address` is set. Health (gRPC health and
 * `/readyz`) says SERVING once a policy snapshot is in force and stops saying
 * it as soon as a stop begins, so Envoy and the kubelet turn away first.
 */
import type { Metrics } from '../obs/metrics.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import type { HttpAuthzServer } from '../http-authz/http-authz-server.ts';
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
  /** The forward-auth listener's port and address, when there is one. */
  readonly httpAuthzPort: number | undefined;
  readonly httpAuthz: string | undefined;
}

/** What the gRPC server answers checks with. */
type GrpcHandler = ConstructorParameters<typeof AuthorizationGrpcServer>[0];

export class ServiceListeners {
  readonly #options: ListenerOptions;
  readonly #grpc: AuthorizationGrpcServer;
  readonly #admin: AdminServer;
  readonly #httpAuthz: { readonly server: HttpAuthzServer; readonly address: string } | undefined;
  #stopping = false;

  constructor(
    handler: GrpcHandler, store: PolicyStore, metrics: Metrics, options: ListenerOptions,
    httpAuthz?: { readonly server: HttpAuthzServer; readonly address: string },
  ) {
    this.#options = options;
    this.#httpAuthz = httpAuthz;
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

  /** Binds them all; when one cannot bind, the error is thrown and `close(0)` is up to the caller. */
  async listen(): Promise<BoundAddresses> {
    const grpcPort = await this.#grpc.listen();
    const adminPort = await this.#admin.listen();
    const httpAuthzPort = await this.#httpAuthz?.server.listen();
    return {
      grpcPort,
      adminPort,
      grpc: replacePort(this.#options.grpcAddress, grpcPort),
      admin: replacePort(this.#options.adminAddress, adminPort),
      httpAuthzPort,
      httpAuthz: httpAuthzPort === undefined ? undefined : replacePort(this.#httpAuthz?.address ?? '', httpAuthzPort),
    };
  }

  /** NOT_SERVING from now on, on gRPC health and `/readyz`. */
  beginStop(): void {
    this.#stopping = true;
    this.#grpc.setServing(false);
  }

  /** Closes them all; open gRPC calls and forward-auth checks get `graceMs` more. */
  async close(graceMs: number): Promise<void> {
    await Promise.all([this.#grpc.shutdown(graceMs), this.#httpAuthz?.server.close(graceMs)]);
    await this.#admin.close();
  }
}

function replacePort(address: string, port: number): string {
  return `${address.slice(0, address.lastIndexOf(':'))}:${port}`;
}
