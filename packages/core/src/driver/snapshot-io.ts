// The driver's snapshot I/O: what `createNode` does for the runtime's snapshot requests, between
// the application's StateMachine and Storage. Snapshot bytes only ever stream: from the state
// machine into storage when one is taken, from storage to the wire in chunks when one is sent,
// from the wire into storage chunk by chunk when one is received, and from storage into the state
// machine on a restore. The slow parts (storing a taken snapshot, reading chunks) run beside the
// turns and come back as events, so the node keeps ticking and answering while they run.

import type { Snapshot } from "../entry.js";
import type { Event } from "../event.js";
import type { Index } from "../ids.js";
import type { SnapshotStream, StateMachine, Storage } from "../interfaces.js";
import { SnapshotDamagedError } from "../storage-errors.js";
import type { ApplyTracker } from "./apply-tracker.js";
import { StateMachineFailedError, StorageFailedError } from "./errors.js";
import type { IoRequest } from "./io-request.js";
import type { OperatorLog } from "./operator-log.js";

type ChunkRead = Extract<IoRequest, { type: "readSnapshotChunk" }>;
type ChunkWrite = Extract<IoRequest, { type: "writeSnapshotChunk" }>;

/** The part of `Storage` that holds snapshot bytes: all the snapshot I/O touches. */
export type SnapshotStorage = Pick<
  Storage,
  "writeSnapshot" | "writeSnapshotChunk" | "readSnapshotChunk" | "readSnapshot"
>;

/** The part of the `StateMachine` that produces and consumes snapshot bytes. */
export type SnapshotSource = Pick<StateMachine<unknown>, "snapshot" | "restore">;

/** The event that hands a chunk read for `request` (null: no longer stored) to the core. */
export function snapshotChunkReadEvent(request: ChunkRead, data: Uint8Array | null): Event {
  const { to, snapshot, offset } = request;
  return {
    type: "snapshotChunkRead",
    to,
    snapshotIndex: snapshot.index,
    snapshotTerm: snapshot.term,
    offset,
    data,
  };
}

/** What the snapshot I/O needs of the driver around it. */
export type SnapshotIoHost = {
  /** Queues an event for the next turn (a stored snapshot, a chunk read). */
  readonly enqueue: (event: Event) => void;
  /** Stops the node after a failure in the background (storing a snapshot, reading a chunk). */
  readonly fail: (error: unknown) => void;
  /** Whether the node still runs: late completions of background work are dropped otherwise. */
  readonly running: () => boolean;
  /** A taken snapshot of `size` bytes was stored (statistics). */
  readonly stored: (size: number) => void;
  /**
   * Work that runs beside the turns started (storing a taken snapshot, reading a chunk); its
   * promise never rejects. createNode lets it run; the simulator counts it as work in flight, so
   * it drains it before its next virtual event.
   */
  readonly beside?: (work: Promise<void>) => void;
  /**
   * A snapshot read to send failed its check (`SnapshotDamagedError`: storage set it aside and
   * sent nothing): take a fresh one from the state machine, and tell the operator.
   */
  readonly damaged: (snapshot: Snapshot, error: SnapshotDamagedError) => void;
};

/**
 * createNode's answer to a snapshot that went bad while being sent: the operator is told, and the
 * state machine is captured again at once (the simulator does the same with its own trace).
 */
export function retakeDamaged(
  tracker: ApplyTracker<unknown>,
  log: OperatorLog,
  snapshot: Snapshot,
  error: SnapshotDamagedError,
): void {
  log.snapshotDamaged(snapshot.index, error.message);
  tracker.retake(snapshot.index);
}

/**
 * Snapshot bytes between a state machine and storage, for the runtime's snapshot requests: the
 * one implementation createNode and the simulator both run.
 */
export class SnapshotIo {
  readonly #storage: SnapshotStorage;
  readonly #stateMachine: SnapshotSource;
  readonly #host: SnapshotIoHost;

  constructor(storage: SnapshotStorage, stateMachine: SnapshotSource, host: SnapshotIoHost) {
    this.#storage = storage;
    this.#stateMachine = stateMachine;
    this.#host = host;
  }

  /** Streams a stored snapshot from storage into the state machine; resolves once restored. */
  async restore(snapshot: Snapshot): Promise<void> {
    let storageError: unknown;
    let failed = false;
    const storage = this.#storage;
    async function* fromStorage(): SnapshotStream {
      try {
        yield* storage.readSnapshot(snapshot);
      } catch (error) {
        failed = true;
        storageError = error;
        throw error;
      }
    }
    try {
      await this.#stateMachine.restore(fromStorage());
    } catch (error) {
      if (failed) throw new StorageFailedError("readSnapshot", storageError);
      throw new StateMachineFailedError("restore", error);
    }
    // A state machine that stopped reading early did not restore what was stored.
    if (failed) throw new StorageFailedError("readSnapshot", storageError);
  }

  /**
   * Captures the state machine now (resolves once captured), then stores the bytes in the
   * background and enqueues `snapshot` once they are durable.
   */
  async capture(index: Index): Promise<void> {
    let stream: SnapshotStream;
    try {
      stream = await this.#stateMachine.snapshot();
    } catch (error) {
      throw new StateMachineFailedError("snapshot", error);
    }
    this.#beside(this.#store(index, stream));
  }

  #beside(work: Promise<void>): void {
    if (this.#host.beside === undefined) void work;
    else this.#host.beside(work);
  }

  async #store(index: Index, stream: SnapshotStream): Promise<void> {
    let stored: { size: number; checksum: number };
    try {
      stored = await this.#storage.writeSnapshot(index, stream);
    } catch (error) {
      if (this.#host.running()) this.#host.fail(new StorageFailedError("writeSnapshot", error));
      return;
    }
    if (!this.#host.running()) return;
    this.#host.stored(stored.size);
    this.#host.enqueue({ type: "snapshot", index, size: stored.size, checksum: stored.checksum });
  }

  /** Starts reading a chunk to send; enqueues `snapshotChunkRead` with it. Returns at once. */
  startRead(request: ChunkRead): void {
    this.#beside(this.#read(request));
  }

  async #read(request: ChunkRead): Promise<void> {
    const { snapshot, offset, length } = request;
    let data: Uint8Array | null;
    try {
      data = await this.#storage.readSnapshotChunk(snapshot, offset, length);
    } catch (error) {
      if (!this.#host.running()) return;
      if (!(error instanceof SnapshotDamagedError)) {
        this.#host.fail(new StorageFailedError("readSnapshotChunk", error));
        return;
      }
      // Nothing was sent: the core takes it as a snapshot no longer held, and its transfer starts
      // over with the fresh one once it is in force (or with these bytes retaken, if identical).
      this.#host.damaged(snapshot, error);
      data = null;
    }
    if (this.#host.running()) this.#host.enqueue(snapshotChunkReadEvent(request, data));
  }

  /** Stores a chunk of a snapshot being received; resolves once stored. */
  async write(request: ChunkWrite): Promise<void> {
    try {
      await this.#storage.writeSnapshotChunk(request.snapshot, request.offset, request.data);
    } catch (error) {
      throw new StorageFailedError("writeSnapshotChunk", error);
    }
  }
}
