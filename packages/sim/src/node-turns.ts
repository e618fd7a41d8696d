import type {
  IoCompletion,
  IoRequest,
  NodeRuntime,
  Turn,
  TurnReport,
} from "@flotilla/core/runtime";
import type { KvOutput } from "@flotilla/kv-model";
import type { NodeHost } from "./node-host.js";
import type { NodeKv } from "./node-kv.js";
import type { NodeSnapshotIo } from "./node-snapshot-io.js";
import type { ProcessTarget } from "./process-faults.js";
import type { SimStorage, StorageFailed } from "./sim-storage.js";

/** What a node's turns need of the node. */
export interface TurnNode<S> {
  /** The node as the process faults see it: a TimeoutNow it sends may pause or cut it off. */
  readonly process: ProcessTarget;
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
 * asks for, as createNode's shell does: at once, except the storage's writes, a restore and a slow
 * state machine's applies, which complete in virtual time while the turn waits. Events that
 * arrive meanwhile wait in the runtime's inbox for the next turn.
 */
export class NodeTurns<S> {
  readonly #host: NodeHost;
  readonly #node: TurnNode<S>;
  /** The turn in flight, suspended on I/O; null between turns. */
  #turn: Turn<KvOutput> | null = null;

  constructor(host: NodeHost, node: TurnNode<S>) {
    this.#host = host;
    this.#node = node;
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
      if (request.type === "write" || request.type === "writeSnapshotChunk") {
        this.#waitFor(request, turn, runtime);
        return;
      }
      if (request.type === "restore") {
        node.snapshotIo.restore(request.snapshot, this.#resumer(turn, runtime, undefined));
        return;
      }
      if (request.type === "apply" && node.snapshotIo.pace.slow) {
        // A slow state machine: the turn waits for the apply, as createNode's does.
        this.#later(node.snapshotIo.pace.delayMs, turn, runtime, node.kv.apply(request.entries));
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

  /** Resumes the turn once storage completed `request` (in virtual time). */
  #waitFor(
    request: Extract<IoRequest, { type: "write" | "writeSnapshotChunk" }>,
    turn: Turn<KvOutput>,
    runtime: NodeRuntime<S, KvOutput>,
  ): void {
    const node = this.#node;
    const incarnation = node.incarnation();
    const resume = this.#resumer(turn, runtime, undefined);
    if (request.type === "write") {
      const installed = request.batch.snapshot?.index;
      const durable =
        installed === undefined
          ? resume
          : () => {
              if (incarnation === node.incarnation()) node.snapshotIo.installed(installed);
              resume();
            };
      node.storage.write(request.batch, durable, node.failed());
    } else {
      node.snapshotIo.writeChunk(request, resume);
    }
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
    request: Exclude<IoRequest<KvOutput>, { type: "write" | "writeSnapshotChunk" | "restore" }>,
  ): IoCompletion<KvOutput> {
    const node = this.#node;
    switch (request.type) {
      case "settle":
        node.report(request.report);
        return undefined;
      case "send": {
        const { network, spin, nowMs } = this.#host;
        for (const message of request.messages) {
          spin.sent(message.to, nowMs);
          network.send(message.from, message.to, message);
        }
        if (request.messages.some((m) => m.type === "timeoutNow")) {
          this.#host.afterTimeoutNow(node.process);
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
