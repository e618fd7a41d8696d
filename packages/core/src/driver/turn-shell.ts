// The async shell around the node runtime's turns (runtime.ts): it runs one turn at a time,
// performing each I/O request the turn yields with the application's Storage, Transport and
// StateMachine (each possibly async) and resuming the turn with the completion. A storage write
// is handed over and not waited for (write-pipeline.ts): turns go on while it is in flight, and
// the next one takes it up once it is durable. Any failure of storage, of the state machine or of
// the core stops the node (the host's `fail`): continuing on state that may not match the disk is
// how replicas silently diverge.

import type { Entry } from "../entry.js";
import type { Index } from "../ids.js";
import type { PersistBatch, StateMachine, Storage, Transport } from "../interfaces.js";
import type { Message } from "../message.js";
import { applyCommands, isPromiseLike } from "./apply-commands.js";
import { StorageFailedError } from "./errors.js";
import type { IoCompletion, IoRequest } from "./io-request.js";
import type { Notifier } from "./notifier.js";
import type { OperatorLog } from "./operator-log.js";
import type { Reducer } from "./reducer.js";
import type { NodeRuntime } from "./runtime.js";
import type { Scheduler } from "./scheduler.js";
import type { SnapshotIo } from "./snapshot-io.js";
import type { StatsRecorder } from "./stats.js";
import type { TurnReport } from "./turn-work.js";

/** What the shell works with: the runtime and the application's parts, and the node's state. */
export type TurnShellParts<State, Result> = {
  readonly reducer: Reducer<State>;
  readonly runtime: NodeRuntime<State, Result>;
  readonly storage: Storage;
  readonly transport: Transport;
  readonly stateMachine: StateMachine<Result>;
  readonly snapshots: SnapshotIo;
  readonly scheduler: Scheduler;
  readonly stats: StatsRecorder;
  readonly log: OperatorLog;
  readonly notifier: Notifier<Result>;
  /** Whether the node runs (turns start only then). */
  readonly running: () => boolean;
  /** Whether the node failed (a write completing then is dropped). */
  readonly failed: () => boolean;
  /** Stops the node for good after an error. */
  readonly fail: (error: unknown) => void;
};

/** Runs the runtime's turns one at a time and carries out the I/O they ask for. */
export class TurnShell<State, Result> {
  readonly #parts: TurnShellParts<State, Result>;
  #turn: Promise<void> | null = null;
  /** The write in flight (one at a time: write-pipeline.ts), settled once it is taken up. */
  #writing: Promise<void> | null = null;
  #kickQueued = false;
  #lastCommit = 0;

  constructor(parts: TurnShellParts<State, Result>) {
    this.#parts = parts;
  }

  /** The node starts from a snapshot at `index`: commits are counted from there. */
  startedAt(index: number): void {
    this.#lastCommit = index;
  }

  /**
   * Starts a turn once the I/O events ready now are handled (`Scheduler.afterIo`), so events
   * arriving together share it: with asynchronous writes nothing else holds a turn back, and a
   * turn per request cost a datagram to each follower and back per proposal (issue #10).
   * A turn that would only take up the write just made durable starts after the current job
   * instead: no event waits to share it, and what it releases (a follower's acknowledgement, a
   * candidate's votes) would otherwise wait for the host's next I/O phase. With a storage that
   * completes at once (MemoryStorage) that was a whole loop iteration per hop, behind whatever
   * timers were due first (issue #10, `bench latency`).
   */
  kick(): void {
    const parts = this.#parts;
    if (!parts.running() || this.#turn !== null || this.#kickQueued) return;
    const runtime = parts.runtime;
    if (!runtime.hasWork) return;
    this.#kickQueued = true;
    const { scheduler } = parts;
    if (scheduler.afterIo !== undefined && !runtime.onlyWriteCompleted) {
      scheduler.afterIo(this.#startTurns);
    } else scheduler.queueMicrotask(this.#startTurns);
  }

  /** The queued kick: runs turns while there is work, unless a turn started meanwhile. */
  readonly #startTurns = (): void => {
    const parts = this.#parts;
    this.#kickQueued = false;
    if (!parts.running() || this.#turn !== null) return;
    // Cleared in a later microtask (never synchronously, even if there was nothing to do), then
    // kicked again for whatever arrived between the last turn and now.
    this.#turn = this.#runTurns().then(() => {
      this.#turn = null;
      this.kick();
    });
  };

  /** Resolves once the turn running (if any), then the write in flight (if any), are done. */
  async quiet(): Promise<void> {
    if (this.#turn !== null) await this.#turn;
    if (this.#writing !== null) await this.#writing;
  }

  /** Writes `batch` and waits for it (the last write when the node stops). */
  async write(batch: PersistBatch): Promise<void> {
    const { scheduler, storage, stats, log } = this.#parts;
    const started = scheduler.now?.();
    try {
      await storage.persist(batch);
    } catch (error) {
      throw new StorageFailedError("persist", error);
    }
    if (started !== undefined) {
      const ms = (scheduler.now?.() ?? started) - started;
      stats.persistMs.observe(ms);
      log.wrote(ms);
    }
  }

  async #runTurns(): Promise<void> {
    const parts = this.#parts;
    try {
      while (parts.running() && parts.runtime.hasWork) await this.#turnOnce();
    } catch (error) {
      parts.fail(error);
    }
  }

  /** Runs one turn of the runtime, performing each I/O request it yields. */
  async #turnOnce(): Promise<void> {
    const turn = this.#parts.runtime.turn();
    let completion: IoCompletion<Result>;
    for (let next = turn.next(); ; next = turn.next(completion)) {
      if (next.done === true) {
        this.#settle(next.value);
        return;
      }
      const pending = this.#perform(next.value);
      completion = isPromiseLike(pending) ? await pending : pending;
    }
  }

  /** Settles and announces what a turn (or its applies before the write) did. */
  #settle(report: TurnReport<Result>): void {
    const { stats, log, notifier } = this.#parts;
    const commitIndex = this.#commitIndex();
    if (commitIndex > this.#lastCommit) stats.committed(commitIndex - this.#lastCommit);
    this.#lastCommit = Math.max(this.#lastCommit, commitIndex);
    for (const { origin, index, term } of report.work.snapshots) log.snapshot(origin, index, term);
    notifier.finish(report, commitIndex);
  }

  /** Carries out one request; synchronous where the I/O is, so a turn takes no needless jobs. */
  #perform(request: IoRequest): IoCompletion<Result> | Promise<IoCompletion<Result>> {
    const snapshots = this.#parts.snapshots;
    switch (request.type) {
      case "send":
        this.#sendAll(request.messages);
        return undefined;
      case "write":
        this.#startWrite(request.batch);
        return undefined;
      case "apply":
        return this.#timedApply(request.entries);
      case "restore":
        return snapshots.restore(request.snapshot).then(() => undefined);
      case "takeSnapshot":
        return snapshots.capture(request.index).then(() => undefined);
      case "readSnapshotChunk":
        snapshots.startRead(request);
        return undefined;
      case "writeSnapshotChunk":
        return snapshots.write(request).then(() => undefined);
      default: {
        const never: never = request;
        throw new TypeError(`unknown I/O request ${JSON.stringify(never)}`);
      }
    }
  }

  /** Starts the runtime's write; turns go on meanwhile, and the next one takes it up once durable. */
  #startWrite(batch: PersistBatch): void {
    const parts = this.#parts;
    this.#writing = this.write(batch).then(
      () => {
        this.#writing = null;
        if (parts.failed()) return;
        parts.runtime.written();
        this.kick();
      },
      (error: unknown) => {
        this.#writing = null;
        parts.fail(error);
      },
    );
  }

  /** Applies committed entries, counted and timed for `stats()`. */
  #timedApply(
    entries: readonly Entry[],
  ): readonly (Result | undefined)[] | Promise<readonly (Result | undefined)[]> {
    const { scheduler, stats, stateMachine } = this.#parts;
    const started = scheduler.now?.();
    const done = (results: readonly (Result | undefined)[]) => {
      stats.applied(entries.length);
      if (started !== undefined) stats.applyMs.observe((scheduler.now?.() ?? started) - started);
      return results;
    };
    const results = applyCommands(stateMachine, entries);
    return isPromiseLike(results) ? results.then(done) : done(results);
  }

  #commitIndex(): Index {
    const { runtime, reducer } = this.#parts;
    const state = runtime.state;
    return state === undefined ? (0 as Index) : reducer.commitIndex(state);
  }

  #sendAll(messages: readonly Message[]): void {
    const { stats, transport } = this.#parts;
    stats.sent(messages);
    for (const message of messages) transport.send(message.to, message);
  }
}
