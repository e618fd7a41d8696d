import {
  type Index,
  type PersistBatch,
  type Persisted,
  readAllBytes,
  type SnapshotStream,
  type Term,
} from "@flotilla/core";
import type { SnapshotStorage } from "@flotilla/core/runtime";
import { MemorySnapshots } from "@flotilla/core/testing";
import type { Prng } from "@flotilla/transport-memory";
import { waitUntil } from "./async-work.js";
import type { AsyncWork } from "./file-disk-storage.js";
import { SimDisk } from "./sim-disk.js";

// A node's durable storage as the simulated node drives it: the runtime's `write` requests go
// here, one at a time, and complete in virtual time. Callbacks rather than promises, so a disk
// that needs no I/O (the bare in-memory one) runs without a single microtask, and one that does
// (FileStorage over a simulated file system) calls back once its I/O is done.

/** Schedules `callback` at virtual time `atMs` (after everything already due then). */
export type ScheduleAt = (atMs: number, callback: () => void) => void;

/** Called with the storage's typed error (`StorageFullError`, `StorageNeedsReopenError`). */
export type StorageFailed = (error: Error) => void;

/** What a sector damaged at rest may hit: snapshot data files only, or log segments too. */
export type DamageableFiles = "snapshots" | "snapshotsAndLog";

export interface SimStorage {
  /**
   * Reads back what is durable: `loaded` is called at once or after simulated I/O, or `failed`
   * if the storage cannot open (a full disk).
   */
  load(loaded: (persisted: Persisted) => void, failed: StorageFailed): void;
  /**
   * Starts one write; `durable` is called once all of it is durable (never after a crash), or
   * `failed` if the storage refused it (disk full, fsync failed): the node must stop.
   */
  write(batch: PersistBatch, durable: () => void, failed: StorageFailed): void;
  /** The node stopped on a storage failure (no power loss): forget the open storage. */
  stop(): void;
  /** Leaves only `headroomBytes` free on the disk (a no-op where the disk has no capacity). */
  fill(headroomBytes: number): void;
  /** Space comes back (the disk is unlimited again). */
  free(): void;
  /** Whether the disk is full (filled and not freed yet). */
  readonly full: boolean;
  /** The heal: no more storage faults (space back, fsyncs succeed). */
  endFaults(): void;
  /**
   * A sector goes bad at rest, drawn from `prng`: of a snapshot data file, or (`files`
   * "snapshotsAndLog", the node is down) of a log record with a whole record after it. Returns
   * what was damaged, or null where nothing can be (no such file; the bare disk).
   */
  corruptAtRest(prng: Prng, files: DamageableFiles): string | null;
  /**
   * The snapshot bytes of the storage opened by the last `load`, for the driver's `SnapshotIo`
   * (one per life): after a crash they are the old life's, whose completions are dropped.
   */
  snapshotStorage(): SnapshotStorage;
  /**
   * Whether `error`, thrown by the storage, is one of its typed failures the node stops on (as
   * createNode's does: a full disk, a failed fsync, damage the run's fault made). Anything else
   * is a bug: the run crashes.
   */
  stopsNode(error: Error): boolean;
  /**
   * Power loss: what was not durable is lost, except what the storage's own crash model keeps
   * (`torn` draws the tear; `tornEntries` scripts it). Returns a note for the trace.
   */
  crash(torn: Prng | null, tornEntries?: number): string;
  /** Keeps a copy of what is durable now: an operator's backup, for a later `forget`. */
  backup(): void;
  /** Whether a fault of the run damaged a sector of this disk at rest (since the last `forget`). */
  readonly damagedAtRest: boolean;
  /** Whether an old file is being removed in the background now (gradual-removal.ts). */
  readonly removing: boolean;
  /** `cut` is called after each cut of such a removal (the node's: the swarm may crash it there). */
  onRemovalCut(cut: () => void): void;
  /**
   * Amnesia, while the node is down: its data becomes the last backup (`fromBackup`, if one was
   * taken) or nothing at all, as when an operator restores an old copy or wipes the directory.
   * Returns a note for the trace.
   */
  forget(fromBackup: boolean): string;
}

/**
 * The bare, fast disk (`--disk memory`): a SimDisk (sim-disk.ts) whose writes become durable
 * after a latency drawn per write, and whose crash may tear the write in progress.
 */
export class MemoryDiskStorage implements SimStorage {
  disk = emptyDisk();
  #backup: SimDisk | null = null;
  /** Snapshot bytes: in force, stored, being received (the rules of MemoryStorage). */
  #snapshots = new MemorySnapshots();
  /** The bytes of the backup's snapshot, if it has one. */
  #backupSnapshotData: Uint8Array | null = null;
  readonly #latency: () => number;
  readonly #scheduleAt: ScheduleAt;
  readonly #nowMs: () => number;
  readonly #work: AsyncWork;

  constructor(latency: () => number, nowMs: () => number, scheduleAt: ScheduleAt, work: AsyncWork) {
    this.#latency = latency;
    this.#nowMs = nowMs;
    this.#scheduleAt = scheduleAt;
    this.#work = work;
  }

  // The bare disk never fails: ENOSPC and EIO are FileStorage's (the default disk's) faults.
  readonly full = false;
  // Nor is it damaged at rest, or removes files in the background.
  readonly damagedAtRest = false;
  readonly removing = false;
  onRemovalCut(): void {}

  load(loaded: (persisted: Persisted) => void): void {
    loaded(this.disk.load());
  }

  stop(): void {}

  fill(): void {}

  free(): void {}

  endFaults(): void {}

  /** The bare disk models no corruption: its snapshots are values, not bytes on a platter. */
  corruptAtRest(): null {
    return null;
  }

  write(batch: PersistBatch, durable: () => void): void {
    const disk = this.disk;
    const snapshot = batch.snapshot;
    if (snapshot !== undefined) {
      // Its bytes are durable under their final name before the batch starts, as FileStorage's.
      this.#snapshots.check(snapshot);
      this.#snapshots.adopt(snapshot);
    }
    const atMs = disk.write(batch, this.#nowMs(), this.#latency());
    const generation = disk.generation;
    this.#scheduleAt(atMs, () => {
      if (generation !== disk.generation) return; // the crash came first
      disk.completeNext();
      if (snapshot !== undefined) this.#snapshots.dropBelow(snapshot.index);
      durable();
    });
  }

  /** The bare disk never fails: nothing it throws is a typed failure. */
  stopsNode(): boolean {
    return false;
  }

  snapshotStorage(): SnapshotStorage {
    const disk = this.disk;
    const generation = disk.generation;
    const snapshots = this.#snapshots;
    const crashed = () => disk !== this.disk || generation !== disk.generation;
    return {
      writeSnapshot: async (index, stream) => {
        const data = await readAllBytes(stream);
        // A crash while the state machine streamed: the bytes never reached this disk.
        if (crashed()) throw new RangeError(`the disk crashed while snapshot ${index} streamed`);
        const stored = snapshots.storeWhole(index, data);
        // Durable as the next event: beside the log's writes (as FileStorage does it), and
        // without a draw from the disk's latency stream, so the writes' latencies do not depend
        // on snapshots.
        await waitUntil(this.#work, this.#nowMs(), this.#scheduleAt);
        return stored;
      },
      writeSnapshotChunk: async (snapshot, offset, data) => {
        snapshots.writeChunk(snapshot, offset, data);
      },
      readSnapshotChunk: async (snapshot, offset, length) =>
        snapshots.readChunk(snapshot, offset, length),
      readSnapshot: (snapshot) => wholeSnapshot(snapshots.bytesOf(snapshot), snapshot.index),
    };
  }

  crash(torn: Prng | null, tornEntries?: number): string {
    const inProgress = this.disk.inProgressEntries;
    const kept =
      inProgress === null
        ? undefined
        : tornEntries !== undefined
          ? Math.min(tornEntries, inProgress)
          : torn !== null
            ? torn.int(inProgress + 1)
            : undefined;
    this.disk.crash(kept);
    this.#snapshots.keepOnly(this.disk.snapshot);
    return kept === undefined ? "" : ` (torn write keeps ${kept}/${inProgress} entries)`;
  }

  backup(): void {
    this.#backup = this.disk.durableCopy();
    const snapshot = this.#backup.snapshot;
    this.#backupSnapshotData = snapshot === null ? null : this.#snapshots.bytesOf(snapshot);
  }

  forget(fromBackup: boolean): string {
    const backup = fromBackup ? this.#backup : null;
    // Called after a crash, which made every completion scheduled on the old disk stale.
    this.disk = backup?.durableCopy() ?? emptyDisk();
    this.#snapshots = new MemorySnapshots();
    const snapshot = this.disk.snapshot;
    if (snapshot !== null && this.#backupSnapshotData !== null) {
      this.#snapshots.storeWhole(snapshot.index, this.#backupSnapshotData);
    }
    return describeForgotten(backup !== null);
  }
}

async function* wholeSnapshot(bytes: Uint8Array | null, index: number): SnapshotStream {
  if (bytes === null) throw new RangeError(`snapshot ${index} is not stored`);
  yield bytes;
}

function emptyDisk(): SimDisk {
  return new SimDisk({ term: 0 as Term, vote: null, commit: 0 as Index });
}

/** The trace's note for amnesia: which copy the node comes back from. */
export function describeForgotten(fromBackup: boolean): string {
  return fromBackup ? "amnesia: back to an older backup" : "amnesia: an empty data directory";
}
