/**
 * The policy changes made under the load: every `everySeconds` one policy
 * file is rewritten (soak-policies.ts), and every `invalidEvery`-th time an
 * invalid version of that file goes first. A change is a new generation from
 * the moment before its rename until the server shows, through the file's
 * marker policy, that it is in force; an invalid file is no generation at
 * all — the server must report it (`policy_rejected`) and keep what it had.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { CallResult } from './soak-client.ts';
import { observe, type Generations } from './soak-expect.ts';
import { FILES, hostOf, INVALID_KINDS, markerName, type PolicyFolder } from './soak-policies.ts';
import { encodeCheck } from './soak-requests.ts';

/**
 * How the soak learns that the server refused an invalid policy file: its
 * `policy_rejected` log line, or, while its stdout is not being read, its
 * `audience_guard_policies{state="rejected"}` gauge.
 */
export interface RejectionSignal {
  /** A mark to wait from: taken just before the invalid file is written. */
  mark(): number;
  /** Resolves true once the server has reported a rejection since `mark`, or false after `timeoutMs`. */
  since(mark: number, timeoutMs: number): Promise<boolean>;
}

/** How long a change may take to show, and an invalid file to be reported. */
const CONFIRM_MS = 10_000;

export interface ChangeOptions {
  readonly everySeconds: number;
  readonly invalidEvery: number;
}

export interface ChangeHooks {
  /** One Check call (shares the load's connections). */
  call(frame: Buffer): Promise<CallResult>;
  /** A probe answer: counted with the load's RPC errors when it failed. */
  probed(result: CallResult, what: string): void;
  log(line: string): void;
}

export class PolicyChanger {
  readonly stats = { done: 0, afterInvalid: 0, invalidWritten: 0, invalidNotReported: 0, unconfirmed: 0, propagationMs: [] as number[] };
  readonly #folder: PolicyFolder;
  readonly #generations: Generations;
  readonly #rejections: RejectionSignal;
  readonly #hooks: ChangeHooks;
  readonly #random: () => number;
  readonly #markerFrames = Array.from({ length: FILES }, (_, file) => encodeCheck({ authority: hostOf(markerName(file)) }));

  constructor(folder: PolicyFolder, generations: Generations, rejections: RejectionSignal, hooks: ChangeHooks, random: () => number) {
    this.#folder = folder;
    this.#generations = generations;
    this.#rejections = rejections;
    this.#hooks = hooks;
    this.#random = random;
  }

  /** Changes the policies until `signal` aborts (a change under way is finished first). */
  async run(options: ChangeOptions, signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await delay(options.everySeconds * 1000, undefined, { signal });
      } catch {
        return;
      }
      const invalidFirst = (this.stats.done + 1) % options.invalidEvery === 0;
      await this.#change(invalidFirst ? Math.floor(this.#random() * FILES) : undefined);
    }
  }

  async #change(invalidFile: number | undefined): Promise<void> {
    const { stats } = this;
    if (invalidFile !== undefined) {
      const kind = INVALID_KINDS[stats.invalidWritten % INVALID_KINDS.length]!;
      const before = this.#rejections.mark();
      await this.#folder.writeInvalid(invalidFile, kind);
      stats.invalidWritten += 1;
      if (!await this.#rejections.since(before, CONFIRM_MS)) {
        stats.invalidNotReported += 1;
        this.#hooks.log(`an invalid policy file (${kind}) was not reported as policy_rejected within ${String(CONFIRM_MS / 1000)} s`);
      }
    }
    // The valid file follows (the same one after an invalid version).
    const { state, change } = this.#folder.plan(invalidFile);
    const writtenAt = performance.now();
    const generation = this.#generations.written(state, writtenAt);
    const version = await this.#folder.apply(change.file, state);
    const confirmedAt = await this.#confirm(change.file, version);
    stats.done += 1;
    if (invalidFile !== undefined) stats.afterInvalid += 1;
    if (confirmedAt === undefined) {
      stats.unconfirmed += 1;
      this.#hooks.log(`generation ${String(generation)} (file ${String(change.file)} version ${String(version)}) was not seen in force within ${String(CONFIRM_MS / 1000)} s of probing`);
      return;
    }
    this.#generations.confirmed(generation, confirmedAt);
    stats.propagationMs.push(confirmedAt - writtenAt);
  }

  /** Asks marker-F, without a token, until its challenge names `scope="gen:VERSION"`; returns when that answer came. */
  async #confirm(file: number, version: number): Promise<number | undefined> {
    const deadline = performance.now() + CONFIRM_MS;
    while (performance.now() < deadline) {
      const result = await this.#hooks.call(this.#markerFrames[file]!);
      this.#hooks.probed(result, `probe of ${markerName(file)}`);
      if (result.grpcStatus === '0' && result.message !== undefined) {
        const seen = /scope="gen:(\d+)"/.exec(observe(result.message).challenge ?? '')?.[1];
        if (seen !== undefined && Number(seen) >= version) return result.answeredAt;
      }
      await delay(20);
    }
    return undefined;
  }
}
