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
import { StateMachineFailedError, StorageFailedError } from "./errors.js";
import type { IoRequest } from "./io-request.js";

type ChunkRead = Extract<IoRequest, { type: "readSnapshotChunk" }>;
type ChunkWrite = Extract<IoRequest, { type: "writeSnapshotChunk" }>;

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
};

export class SnapshotIo<Result> {
  readonly #storage: Storage;
  readonly #stateMachine: StateMachine<Result>;
  readonly #host: SnapshotIoHost;

  constructor(storage: Storage, stateMachine: StateMachine<Result>, host: SnapshotIoHost) {
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
    void this.#store(index, stream);
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
    const { to, snapshot, offset, length } = request;
    this.#storage.readSnapshotChunk(snapshot, offset, length).then(
      (data) => {
        if (!this.#host.running()) return;
        this.#host.enqueue({
          type: "snapshotChunkRead",
          to,
          snapshotIndex: snapshot.index,
          snapshotTerm: snapshot.term,
          offset,
          data,
        });
      },
      (error: unknown) => {
        if (this.#host.running())
          this.#host.fail(new StorageFailedError("readSnapshotChunk", error));
      },
    );
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
