import type { Event, Index } from "@flotilla/core";
import type { IoRequest } from "@flotilla/core/runtime";
import type { Prng } from "@flotilla/transport-memory";
import type { NodeHost } from "./node-host.js";
import type { NodeKv } from "./node-kv.js";
import type { SimStorage, StorageFailed } from "./sim-storage.js";
import { StateMachinePace } from "./slow-state-machine.js";
import { SnapshotActivity, type SnapshotWindow } from "./snapshot-crashes.js";

/** What a node's snapshot I/O needs of the node. */
export interface SnapshotIoNode {
  readonly storage: SimStorage;
  readonly kv: NodeKv;
  readonly up: boolean;
  /** The node's life: a completion of an older one is dropped. */
  incarnation(): number;
  /** Queues an event for the node's runtime. */
  deliver(event: Event): void;
  /** Stops the node when its storage fails (the current life's). */
  failed(): StorageFailed;
  crash(torn: Prng | null): void;
  forget(fromBackup: boolean): void;
}

/**
 * A simulated node's snapshot I/O beside its turns: taking a snapshot (its bytes streamed into
 * storage, as slowly as the run's state machine is), reading chunks for a transfer, and noting
 * what a crash would cut (snapshot-crashes.ts), where the swarm may crash the node.
 */
export class NodeSnapshotIo {
  readonly #host: NodeHost;
  readonly #node: SnapshotIoNode;
  readonly #activity = new SnapshotActivity();
  /** How long the state machine takes to apply, stream a snapshot and restore one. */
  readonly pace: StateMachinePace;

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
  }

  /** A chunk of a snapshot being received goes to storage. */
  chunkStored(snapshotIndex: number): void {
    this.#activity.chunkStored(snapshotIndex);
    this.#ioStarted();
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
    const node = this.#node;
    const incarnation = node.incarnation();
    this.#activity.writeStarted();
    this.#ioStarted();
    node.storage.writeSnapshot(
      index,
      node.kv.snapshot(index),
      ({ size, checksum }) => {
        if (incarnation !== node.incarnation()) return;
        this.#activity.writeEnded();
        node.deliver({ type: "snapshot", index, size, checksum });
      },
      node.failed(),
      this.pace.delayMs,
    );
  }

  /** Reads a chunk the leader's core asked for; it comes back as `snapshotChunkRead`. */
  readChunk(request: Extract<IoRequest, { type: "readSnapshotChunk" }>): void {
    const node = this.#node;
    const { to, snapshot, offset, length } = request;
    const incarnation = node.incarnation();
    this.#activity.chunkRead(this.#host.nowMs);
    this.#ioStarted();
    const read = (data: Uint8Array | null) => {
      if (incarnation !== node.incarnation()) return;
      node.deliver({
        type: "snapshotChunkRead",
        to,
        snapshotIndex: snapshot.index,
        snapshotTerm: snapshot.term,
        offset,
        data,
      });
    };
    node.storage.readSnapshotChunk(snapshot, offset, length, read, node.failed());
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
