// The service drives every policy source (files, the Kubernetes API) through
// the one PolicySource interface, and only the source's `firstLoad` differs:
//   before-listening  the first load succeeds before anything listens; a failing
//                     one leaves nothing listening (nothing half-started);
//   while-serving     the listeners start first, health turns SERVING with the
//                     first complete load.
// A stop turns health NOT_SERVING before it stops the source, then closes the
// listeners. Driven here with a test double of the interface and real listeners.
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createLogger } from '../../../src/obs/logger.ts';
import { startService, type RunningService, type ServiceOptions } from '../../../src/server/audience-guard-service.ts';
import type { FirstLoad, PolicySource, PolicySourceContext } from '../../../src/sources/policy-source.ts';
import { capturingDestination } from '../../support/secret-ledger.ts';

const OPTIONS: ServiceOptions = {
  policyFiles: [],
  grpcAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0',
  checkTimeoutMs: 2_000, maxTokenBytes: 16_384, maxRequestBytes: 1_048_576, maxConnectionAgeMs: 60_000,
};

/** Listening sockets of this process (gRPC and admin are one each). */
function listeningSockets(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'TCPServerWrap').length;
}

/**
 * The count once closing sockets are gone: a closed server leaves the list a
 * few event-loop turns later (after its last connection). Waits up to 100
 * turns for `expected`, and returns what it counts then.
 */
async function listeningSocketsSettled(expected: number): Promise<number> {
  for (let turn = 0; turn < 100 && listeningSockets() !== expected; turn += 1) await nextTurn();
  return listeningSockets();
}

async function readyz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
}

/** A PolicySource test double: records what the service asks of it and loads an empty set when told. */
class PolicySourceDouble implements PolicySource {
  readonly firstLoad: FirstLoad;
  readonly calls: string[] = [];
  /** Listening sockets when `start()` was called. */
  socketsAtStart: number | undefined;
  /** `/readyz` while `stop()` ran. */
  readyzAtStop: number | undefined;
  adminPort: number | undefined;
  readonly #context: PolicySourceContext;
  readonly #failure: Error | undefined;
  #finish: (() => void) | undefined;

  constructor(firstLoad: FirstLoad, context: PolicySourceContext, options: { failure?: Error; loadAtOnce?: boolean } = {}) {
    this.firstLoad = firstLoad;
    this.#context = context;
    this.#failure = options.failure;
    if (options.loadAtOnce === true) this.#finish = () => undefined;
  }

  start(): Promise<void> {
    this.calls.push('start');
    this.socketsAtStart = listeningSockets();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#finish !== undefined) {
      this.#context.store.replace([], 0);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#finish = () => {
        this.#context.store.replace([], 0);
        resolve();
      };
    });
  }

  /** Completes a first load that is still pending. */
  load(): void {
    this.#finish?.();
  }

  async stop(): Promise<void> {
    this.calls.push('stop');
    if (this.adminPort !== undefined) this.readyzAtStop = await readyz(this.adminPort);
  }
}

describe('the service drives any PolicySource the same way', () => {
  let logs: Record<string, unknown>[];
  let service: RunningService | undefined;
  let blocker: Server | undefined;
  let baseline: number;

  const logger = () => createLogger('info', capturingDestination((line) => logs.push(JSON.parse(line) as Record<string, unknown>)));
  const events = (): unknown[] => logs.map((line) => line.event);

  /** Starts the service with a double as its source; returns both once startService settles. */
  async function start(firstLoad: FirstLoad, options: { failure?: Error; loadAtOnce?: boolean } = {}, overrides: Partial<ServiceOptions> = {}): Promise<{ double: () => PolicySourceDouble; started: Promise<RunningService> }> {
    let double: PolicySourceDouble | undefined;
    const started = startService({ ...OPTIONS, ...overrides }, logger(), (context) => {
      double = new PolicySourceDouble(firstLoad, context, options);
      return Promise.resolve({ source: double, kubernetes: undefined });
    });
    await started.then((running) => { service = running; }, () => undefined);
    return { double: () => double ?? assert.fail('no source was opened'), started };
  }

  beforeEach(async () => {
    logs = [];
    service = undefined;
    blocker = undefined;
    baseline = await listeningSocketsSettled(0);
  });
  afterEach(async () => {
    await service?.stop(0);
    await new Promise((resolve) => { if (blocker === undefined) resolve(undefined); else blocker.close(resolve); });
  });

  it('before-listening: the first load is in force before anything listens', async () => {
    const { double, started } = await start('before-listening', { loadAtOnce: true });
    const running = await started;
    assert.deepEqual(double().calls, ['start']);
    assert.equal(double().socketsAtStart, baseline, 'nothing listened while the first load ran');
    assert.equal(listeningSockets(), baseline + 2);
    assert.equal(await readyz(running.adminPort), 200);
    assert.ok(events().indexOf('policies_loaded') < events().indexOf('listening'));
  });

  it('attack: a failing first load of a before-listening source must leave nothing listening', async () => {
    const failure = new Error('bad policy files');
    const { double, started } = await start('before-listening', { failure });
    await assert.rejects(started, failure);
    assert.deepEqual(double().calls, ['start']);
    assert.equal(await listeningSocketsSettled(baseline), baseline, 'no listener is left half-started');
    assert.ok(!events().includes('listening'));
  });

  it('while-serving: the listeners start first and say NOT_SERVING until the first complete load', async () => {
    const { double, started } = await start('while-serving');
    const running = await started;
    assert.deepEqual(double().calls, ['start']);
    assert.equal(double().socketsAtStart, baseline + 2, 'both listeners were up when the source started');
    assert.equal(await readyz(running.adminPort), 503);
    double().load();
    await running.loaded;
    assert.equal(await readyz(running.adminPort), 200);
  });

  for (const firstLoad of ['before-listening', 'while-serving'] as const) {
    it(`${firstLoad}: a stop says NOT_SERVING before it stops the source, then closes the listeners`, async () => {
      const { double, started } = await start(firstLoad, { loadAtOnce: true });
      const running = await started;
      double().adminPort = running.adminPort;
      await running.stop(0);
      service = undefined;
      assert.deepEqual(double().calls, ['start', 'stop']);
      assert.equal(double().readyzAtStop, 503);
      assert.equal(await listeningSocketsSettled(baseline), baseline);
    });

    it(`${firstLoad}: a listener that cannot bind stops the source and every listener`, async () => {
      const taken = createServer();
      blocker = taken;
      const port = await new Promise<number>((resolve) => taken.listen(0, '127.0.0.1', () => { resolve((taken.address() as { port: number }).port); }));
      const { double, started } = await start(firstLoad, { loadAtOnce: true }, { adminAddress: `127.0.0.1:${port}` });
      await assert.rejects(started, /EADDRINUSE/);
      assert.deepEqual(double().calls, firstLoad === 'before-listening' ? ['start', 'stop'] : ['stop'], 'a while-serving source is never started');
      assert.equal(await listeningSocketsSettled(baseline + 1), baseline + 1, 'only the port taken by the test is still listening');
    });
  }
});
