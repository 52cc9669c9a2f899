/**
 * Leader election with a coordination.k8s.io/v1 Lease, so only one replica
 * writes policy status. The leader renews the Lease every `renewIntervalMs`;
 * another replica takes over only after `leaseDurationSeconds` without a
 * renewal. Writes use the Lease's resourceVersion, so two replicas racing for
 * an expired Lease cannot both win (the loser gets 409 Conflict). A leader
 * that cannot renew in time steps down before its Lease could be taken over.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

export interface LeaseOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly renewIntervalMs: number;
  readonly now?: () => number;
}

function statusCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function time(value: Date | string | undefined): number {
  if (value === undefined) return 0;
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

export class LeaseLeaderElection {
  readonly #api: CoordinationV1Api;
  readonly #options: LeaseOptions;
  readonly #onChange: (leader: boolean) => void;
  readonly #now: () => number;
  #leader = false;
  #lastRenewal = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(config: KubeConfig, options: LeaseOptions, onChange: (leader: boolean) => void) {
    this.#api = config.makeApiClient(CoordinationV1Api);
    this.#options = options;
    this.#onChange = onChange;
    this.#now = options.now ?? (() => Date.now());
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  start(): void {
    void this.#tick();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#set(false);
  }

  /** One acquire-or-renew round (exposed for tests). */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.#options;
    const now = new Date(this.#now());
    try {
      let lease: V1Lease;
      try {
        lease = await this.#api.readNamespacedLease({ namespace, name });
      } catch (error) {
        if (statusCode(error) !== 404) throw error;
        await this.#api.createNamespacedLease({ namespace, body: {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        } });
        return this.#renewed();
      }
      const spec = lease.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const expired = time(spec.renewTime) + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
      if (holder !== identity && holder !== '' && !expired) return this.#lost();
      const takeover = holder !== identity;
      await this.#api.replaceNamespacedLease({ namespace, name, body: {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          renewTime: now,
          ...(takeover ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
        },
      } });
      return this.#renewed();
    } catch {
      // Keep leading only while the last renewal is still within the lease.
      if (this.#now() - this.#lastRenewal > leaseDurationSeconds * 1000 * 2 / 3) return this.#lost();
      return this.#leader;
    }
  }

  #renewed(): boolean {
    this.#lastRenewal = this.#now();
    this.#set(true);
    return true;
  }

  #lost(): boolean {
    this.#set(false);
    return false;
  }

  #set(leader: boolean): void {
    if (leader === this.#leader) return;
    this.#leader = leader;
    this.#onChange(leader);
  }

  #isStopped(): boolean {
    return this.#stopped;
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    await this.tryAcquireOrRenew();
    // stop() may have run while the round was in flight: it already stepped down.
    if (this.#isStopped()) {
      this.#set(false);
      return;
    }
    this.#timer = setTimeout(() => void this.#tick(), this.#options.renewIntervalMs);
    this.#timer.unref();
  }
}
