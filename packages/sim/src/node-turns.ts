import type { PersistBatch } from "@flotilla/core";
import type {
  IoCompletion,
  IoRequest,
  NodeRuntime,
  Turn,
  TurnReport,
} from "@flotilla/core/runtime";
import type { KvOutput } from "@flotilla/kv-model";
import type { Prng } from "@flotilla/transport-memory";
import type { NodeHost } from "./node-host.js";
import type { NodeKv } from "./node-kv.js";
import type { NodeSnapshotIo } from "./node-snapshot-io.js";
import type { ProcessTarget, RestartTarget } from "./process-faults.js";
import type { SimStorage, StorageFailed } from "./sim-storage.js";

/**
 * The rule of createNode's shell (turn-shell.ts) that keeps a node's storage calls from
 * overlapping, as the simulator's turns follow it; a test plants its violation.
 */
export type ShellRules = {
  /**
   * A turn waits for its snapshot chunk write before it goes on (to the write that installs the
   * snapshot, or to the next chunk). With the runtime's own rules (one write in flight, chunk
   * writes only between writes) no two of the storage's queued calls then overlap.
   */
  readonly awaitsChunkWrites: boolean;
};

export const shippedShellRules: ShellRules = { awaitsChunkWrites: true };

/** What a node's turns need of the node. */
export interface TurnNode<S> {
  /**
   * The node as the process faults see it: a TimeoutNow it sends may pause or cut it off, a read
   * it forwards may crash and restart it.
   */
  readonly process: ProcessTarget & RestartTarget;
  readonly storage: SimStorage;
  readonly kv: NodeKv;
  readonly snapshotIo: NodeSnapshotIo;
  /** The node's life: a completion of an older one is dropped. */
  incarnation(): number;
  /** The runtime of the node's current life; null while it is down or loading. */
  runtime(): NodeRuntime<S, KvOutput> | null;
  /** While the process is paused: keeps `input` for its wake-up and returns true (node-clock.ts). */
  hold(input: () => void): boolean;
  /** Stops the node when its storage fails (the current life's). */
  failed(): StorageFailed;
  /** What a turn applied, then the driver's settlement (node-settlement.ts). */
  report(report: TurnReport<KvOutput>): void;
}

/**
 * Runs a simulated node's turns (@flotilla/core/runtime's `Turn`) and carries out the I/O each
 * asks for, as createNode's shell does: at once, except a snapshot chunk write, a restore and a
 * slow state machine's applies, which complete in virtual time while the turn waits, and the
 * storage's writes, which the turn hands over and does not wait for (write-pipeline.ts). Events
 * that arrive meanwhile wait in the runtime's inbox for the next turn.
 */
export class NodeTurns<S> {
  readonly #host: NodeHost;
  readonly #node: TurnNode<S>;
  /** The node's "apply/<id>" stream: which applies stall (`slowApplyProbability`). */
  readonly #applyPrng: Prng;
  readonly #rules: ShellRules;
  /** The turn in flight, suspended on I/O; null between turns. */
  #turn: Turn<KvOutput> | null = null;

  constructor(
    host: NodeHost,
    node: TurnNode<S>,
    applyPrng: Prng,
    rules: ShellRules = shippedShellRules,
  ) {
    this.#rules = rules;
    this.#host = host;
    this.#node = node;
    this.#applyPrng = applyPrng;
  }

  /** The process is gone or booted anew: no turn is in flight. */
  reset(): void {
    this.#turn = null;
  }

  /** Runs turns while `runtime` has work, unless a turn waits on I/O (it goes on when done). */
  run(runtime: NodeRuntime<S, KvOutput>): void {
    while (this.#turn === null && this.#node.runtime() === runtime && runtime.hasWork) {
      this.#turn = runtime.turn();
      this.#resume(runtime, undefined);
    }
  }

  /** Runs the turn in flight until it waits on I/O or ends. */
  #resume(runtime: NodeRuntime<S, KvOutput>, completion: IoCompletion<KvOutput>): void {
    const node = this.#node;
    const turn = this.#turn as Turn<KvOutput>;
    let input = completion;
    for (;;) {
      const next = turn.next(input);
      if (next.done === true) {
        this.#turn = null;
        node.report(next.value);
        return;
      }
      const request = next.value;
      if (request.type === "write") {
        this.#startWrite(request.batch, runtime);
        input = undefined;
        continue;
      }
      if (request.type === "writeSnapshotChunk") {
        if (!this.#rules.awaitsChunkWrites) {
          // A planted defect only: the chunk write is handed over and the turn goes on.
          node.snapshotIo.writeChunk(request, () => {});
          input = undefined;
          continue;
        }
        node.snapshotIo.writeChunk(request, this.#resumer(turn, runtime, undefined));
        return;
      }
      if (request.type === "restore") {
        node.snapshotIo.restore(request.snapshot, this.#resumer(turn, runtime, undefined));
        return;
      }
      const applyMs = request.type === "apply" ? this.#applyMs() : 0;
      if (request.type === "apply" && applyMs > 0) {
        // A slow state machine: the turn waits for the apply, as createNode's does.
        this.#later(applyMs, turn, runtime, node.kv.apply(request.entries));
        return;
      }
      input = this.#perform(request);
      if (node.runtime() !== runtime) return; // a checker stopped the run, or the node crashed
    }
  }

  /**
   * A callback that resumes `turn` with `completion` once the I/O it waits for is done. It does
   * nothing once the node's life or turn moved on, and waits while the process is paused.
   */
  #resumer(
    turn: Turn<KvOutput>,
    runtime: NodeRuntime<S, KvOutput>,
    completion: IoCompletion<KvOutput>,
  ): () => void {
    const node = this.#node;
    const incarnation = node.incarnation();
    const resume = () => {
      if (incarnation !== node.incarnation() || this.#turn !== turn) return;
      if (node.hold(resume)) return;
      this.#resume(runtime, completion);
      this.run(runtime);
    };
    return resume;
  }

  /**
   * Hands the runtime's write to storage; the turn goes on at once (write-pipeline.ts), and once the
   * write is durable (in virtual time) the runtime is told and a turn takes it up.
   */
  #startWrite(batch: PersistBatch, runtime: NodeRuntime<S, KvOutput>): void {
    const node = this.#node;
    const incarnation = node.incarnation();
    const installed = batch.snapshot?.index;
    let installedTold = false;
    const durable = () => {
      if (incarnation !== node.incarnation() || node.runtime() !== runtime) return;
      if (installed !== undefined && !installedTold) node.snapshotIo.installed(installed);
      installedTold = true;
      if (node.hold(durable)) return; // a paused process hears of it once it runs again
      runtime.written();
      if (this.#turn === null) this.run(runtime);
    };
    node.storage.write(batch, durable, node.failed());
  }

  /**
   * How long an apply batch takes: the slow state machine's delay, and now and then (safety phase
   * only) one to three election timeouts more; no draw when the run has no slow applies, so
   * other runs replay as before.
   */
  #applyMs(): number {
    const options = this.#host.options;
    const delayMs = this.#node.snapshotIo.pace.delayMs;
    const p = options.slowApplyProbability;
    if (p === 0 || !this.#host.faultsOn() || !this.#applyPrng.chance(p)) return delayMs;
    const electionTimeoutMs = options.electionTimeoutTicks * options.tickMs;
    return delayMs + electionTimeoutMs * this.#applyPrng.intBetween(1, 3);
  }

  /** Resumes the turn with `completion` after `ms` of virtual time (a slow state machine). */
  #later(
    ms: number,
    turn: Turn<KvOutput>,
    runtime: NodeRuntime<S, KvOutput>,
    completion: IoCompletion<KvOutput>,
  ): void {
    this.#host.scheduler.setTimeout(this.#resumer(turn, runtime, completion), ms);
  }

  #perform(
    request: Exclude<IoRequest, { type: "write" | "writeSnapshotChunk" | "restore" }>,
  ): IoCompletion<KvOutput> {
    const node = this.#node;
    switch (request.type) {
      case "send": {
        const { network, spin, nowMs } = this.#host;
        for (const message of request.messages) {
          spin.sent(message.to, nowMs);
          network.send(message.from, message.to, message);
        }
        if (request.messages.some((m) => m.type === "timeoutNow")) {
          this.#host.afterTimeoutNow(node.process);
        }
        if (request.messages.some((m) => m.type === "readIndexRequest")) {
          this.#host.afterForwardedRead(node.process);
        }
        return undefined;
      }
      case "apply":
        return node.kv.apply(request.entries);
      case "takeSnapshot":
        node.snapshotIo.take(request.index);
        return undefined;
      case "readSnapshotChunk":
        node.snapshotIo.readChunk(request);
        return undefined;
      default: {
        const never: never = request;
        throw new TypeError(`unknown I/O request ${JSON.stringify(never)}`);
      }
    }
  }
}
