import {
  type Event,
  type Index,
  readAllBytes,
  type Snapshot,
  type SnapshotStream,
  StorageFailedError,
} from "@flotilla/core";
import { type IoRequest, SnapshotIo, type SnapshotSource } from "@flotilla/core/runtime";
import type { Prng } from "@flotilla/transport-memory";
import { waitUntil } from "./async-work.js";
import { SnapshotDamagedUndamagedDiskError } from "./errors.js";
import type { NodeHost } from "./node-host.js";
import type { NodeKv } from "./node-kv.js";
import type { SimStorage, StorageFailed } from "./sim-storage.js";
import { pacedSlices, StateMachinePace } from "./slow-state-machine.js";
import { SnapshotActivity, type SnapshotWindow } from "./snapshot-crashes.js";

/** What a node's snapshot I/O needs of the node. */
export interface SnapshotIoNode {
  readonly id: string;
  readonly index: number;
  readonly storage: SimStorage;
  readonly kv: NodeKv;
  readonly up: boolean;
  /** The node's life: a completion of an older one is dropped. */
  incarnation(): number;
  /** Queues an event for the node's runtime. */
  deliver(event: Event): void;
  /** Stops the node when its storage fails (the current life's). */
  failed(): StorageFailed;
  /** The snapshot at `index` went bad while being sent: capture the state machine again now. */
  retakeSnapshot(index: number): void;
  crash(torn: Prng | null): void;
  forget(fromBackup: boolean): void;
}

/** How a snapshot read back from storage reaches the key-value state (see `NodeKv`). */
type Restoring = { readonly index: number; readonly how: "load" | "install" };

/**
 * A simulated node's snapshot I/O: the driver's own `SnapshotIo` (createNode's, on
 * @flotilla/core/runtime) between the node's key-value state machine and its storage, one per
 * life. What stays here is the simulation's: the state machine's pace in virtual time
 * (slow-state-machine.ts), counting the async work so the loop drains it between events, and
 * noting what a crash would cut (snapshot-crashes.ts), where the swarm may crash the node.
 */
export class NodeSnapshotIo {
  readonly #host: NodeHost;
  readonly #node: SnapshotIoNode;
  readonly #activity = new SnapshotActivity();
  /** How long the state machine takes to apply, stream a snapshot and restore one. */
  readonly pace: StateMachinePace;
  /** Chunk reads that found the snapshot's bytes damaged (nothing sent; retaken). */
  damagedSends = 0;
  /** The driver's snapshot I/O of the node's current life (null before its storage opened). */
  #io: SnapshotIo | null = null;
  /** The index the runtime asked a snapshot at (the state machine's own: see `take`). */
  #capturing = 0;
  /**
   * The bytes of every snapshot this node took, installed or loaded, by index: what a chunk it
   * reads to send must be (state machine safety: bytes at an index are the committed state's).
   */
  readonly #known = new Map<number, Uint8Array>();
  /** The snapshot being restored, and whether it is loaded at boot or installed from a leader. */
  #restoring: Restoring | null = null;

  constructor(host: NodeHost, node: SnapshotIoNode) {
    this.#host = host;
    this.#node = node;
    this.pace = new StateMachinePace(host.options.stateMachineDelayMs);
  }

  /** The windows a crash now would hit. */
  openWindows(): readonly SnapshotWindow[] {
    const options = this.#host.options;
    // A leader's transfer counts as under way for an election timeout after a chunk read.
    return this.#activity.open(this.#host.nowMs, options.electionTimeoutTicks * options.tickMs);
  }

  /** The process is gone, and its I/O with it. */
  reset(): void {
    this.#activity.reset();
    this.#io = null;
  }

  /** A new life opened its storage: the driver's snapshot I/O on it, for this life only. */
  opened(): void {
    const node = this.#node;
    const incarnation = node.incarnation();
    const failed = node.failed();
    this.#io = new SnapshotIo(node.storage.snapshotStorage(), this.#stateMachine(), {
      enqueue: (event) => {
        if (event.type === "snapshotChunkRead") this.#checkRead(event);
        node.deliver(event);
      },
      fail: (error) => this.#failed(error, failed),
      running: () => incarnation === node.incarnation(),
      stored: () => this.#activity.writeEnded(),
      beside: (work) => this.#track(work, () => {}, failed),
      damaged: (snapshot, error) => {
        const host = this.#host;
        // Bytes found damaged where no fault damaged any: a bug (a file cut under a read).
        if (!node.storage.damagedAtRest) {
          host.fail(new SnapshotDamagedUndamagedDiskError(node.id, snapshot.index, error.message));
          return;
        }
        host.trace.fault(host.nowMs, `n${node.id} snapshot ${snapshot.index}: ${error.message}`);
        this.damagedSends++;
        node.retakeSnapshot(snapshot.index);
      },
    });
  }

  /** Loads the snapshot in force into the state machine at boot; `done` once loaded. */
  load(snapshot: Snapshot, done: () => void, failed: StorageFailed): void {
    this.#restoring = { index: snapshot.index, how: "load" };
    this.#track(this.#open().restore(snapshot), done, failed);
  }

  /** Restores a snapshot received from the leader (a turn's `restore`); `done` once restored. */
  restore(snapshot: Snapshot, done: () => void): void {
    this.#restoring = { index: snapshot.index, how: "install" };
    this.#track(this.#open().restore(snapshot), done, this.#node.failed());
  }

  /** A chunk of a snapshot being received goes to storage; `done` once stored. */
  writeChunk(request: Extract<IoRequest, { type: "writeSnapshotChunk" }>, done: () => void): void {
    this.#activity.chunkStored(request.snapshot.index);
    this.#ioStarted();
    this.#track(this.#open().write(request), done, this.#node.failed());
  }

  /** A write that put the snapshot at `snapshotIndex` in force is durable. */
  installed(snapshotIndex: number): void {
    this.#activity.installed(snapshotIndex);
  }

  /**
   * The key-value state is persistent (applies make new values), so holding it is the capture;
   * its bytes go to storage beside the turns and come back as the `snapshot` event once durable.
   */
  take(index: Index): void {
    this.#capturing = index;
    this.#activity.writeStarted();
    this.#ioStarted();
    this.#track(this.#open().capture(index), () => {}, this.#node.failed());
  }

  /** Reads a chunk the leader's core asked for; it comes back as `snapshotChunkRead`. */
  readChunk(request: Extract<IoRequest, { type: "readSnapshotChunk" }>): void {
    this.#activity.chunkRead(this.#host.nowMs);
    this.#ioStarted();
    this.#open().startRead(request);
  }

  /** A chunk read to send must be the bytes of the snapshot this node holds: never damaged ones. */
  #checkRead(read: Extract<Event, { type: "snapshotChunkRead" }>): void {
    const known = this.#known.get(read.snapshotIndex);
    if (read.data === null || known === undefined) return;
    const expected = known.subarray(read.offset, read.offset + read.data.byteLength);
    if (
      expected.byteLength === read.data.byteLength &&
      expected.every((b, i) => b === read.data?.[i])
    )
      return;
    this.#host.checker.report(
      "stateMachineSafety",
      this.#node.index,
      `n${this.#node.id} read bytes ${read.offset}..${read.offset + read.data.byteLength} of snapshot ${read.snapshotIndex} to send that are not the snapshot's: damaged bytes would leave`,
    );
  }

  #open(): SnapshotIo {
    const io = this.#io;
    if (io === null) throw new RangeError("snapshot I/O before the storage was opened");
    return io;
  }

  /** The key-value state machine as the driver's snapshot I/O sees it, at the run's pace. */
  #stateMachine(): SnapshotSource {
    const kv = this.#node.kv;
    const pace = this.pace;
    const sleep = (ms: number) => {
      const host = this.#host;
      return waitUntil(host.work, host.nowMs + ms, host.scheduleAt);
    };
    return {
      snapshot: () => {
        // Compared at the index the runtime asked for: a runtime naming the wrong one shows at once.
        const data = kv.snapshot(this.#capturing);
        this.#known.set(this.#capturing, data);
        return pace.slow ? pacedSlices(data, () => sleep(pace.delayMs)) : oneSlice(data);
      },
      restore: async (stream) => {
        const data = await readAllBytes(stream);
        const restoring = this.#restoring;
        if (restoring === null) throw new RangeError("a restore nobody asked for");
        this.#restoring = null;
        this.#known.set(restoring.index, data);
        if (restoring.how === "load") {
          kv.load(restoring.index, data);
          return;
        }
        kv.restore(restoring.index, data, "restored a snapshot from the leader");
        if (pace.slow) await sleep(pace.restoreMs(data.length));
      },
    };
  }

  /**
   * Counts `work` as async work in flight until it settled. A completion of an older life is
   * dropped; a failure goes to `#failed`; whatever `then` sets off and throws crashes the run.
   */
  #track(work: Promise<void>, then: () => void, failed: StorageFailed): void {
    const node = this.#node;
    const incarnation = node.incarnation();
    const tracker = this.#host.work;
    tracker.started();
    work.then(
      () => {
        try {
          if (incarnation === node.incarnation()) then();
        } catch (error) {
          tracker.failed(error);
        } finally {
          tracker.ended();
        }
      },
      (error: unknown) => {
        try {
          if (incarnation === node.incarnation()) this.#failed(error, failed);
        } finally {
          tracker.ended();
        }
      },
    );
  }

  /**
   * The driver's snapshot I/O failed: the storage's typed failures (a full disk, a failed fsync,
   * damage the run's fault made) stop the node, as createNode's; anything else is a bug.
   */
  #failed(error: unknown, failed: StorageFailed): void {
    const cause = error instanceof StorageFailedError ? error.cause : error;
    if (cause instanceof Error && this.#node.storage.stopsNode(cause)) failed(cause);
    else this.#host.fail(error);
  }

  /** The node's storage cut an old file down a step: the swarm may crash the node there. */
  removalCut(): void {
    const node = this.#node;
    const incarnation = node.incarnation();
    this.#host.snapshotCrashes.removalCut((prng) => {
      if (node.up && incarnation === node.incarnation()) this.#host.crashNode(node, prng);
    });
  }

  /** A piece of snapshot I/O began: the swarm may crash the node in its window. */
  #ioStarted(): void {
    const node = this.#node;
    const incarnation = node.incarnation();
    this.#host.snapshotCrashes.ioStarted((prng) => {
      if (node.up && incarnation === node.incarnation()) this.#host.crashNode(node, prng);
    });
  }
}

async function* oneSlice(data: Uint8Array): SnapshotStream {
  yield data;
}
