import type { Index, PersistBatch, Persisted, Term } from "@flotilla/core";
import type { Prng } from "@flotilla/transport-memory";
import { SimDisk } from "./sim-disk.js";

// A node's durable storage as the simulated node drives it: the runtime's `write` requests go
// here, one at a time, and complete in virtual time. Callbacks rather than promises, so a disk
// that needs no I/O (the bare in-memory one) runs without a single microtask, and one that does
// (FileStorage over a simulated file system) calls back once its I/O is done.

/** Schedules `callback` at virtual time `atMs` (after everything already due then). */
export type ScheduleAt = (atMs: number, callback: () => void) => void;

/** Called with the storage's typed error (`StorageFullError`, `StorageNeedsReopenError`). */
export type StorageFailed = (error: Error) => void;

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
   * Power loss: what was not durable is lost, except what the storage's own crash model keeps
   * (`torn` draws the tear; `tornEntries` scripts it). Returns a note for the trace.
   */
  crash(torn: Prng | null, tornEntries?: number): string;
  /** Keeps a copy of what is durable now: an operator's backup, for a later `forget`. */
  backup(): void;
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
  readonly #latency: () => number;
  readonly #scheduleAt: ScheduleAt;
  readonly #nowMs: () => number;

  constructor(latency: () => number, nowMs: () => number, scheduleAt: ScheduleAt) {
    this.#latency = latency;
    this.#nowMs = nowMs;
    this.#scheduleAt = scheduleAt;
  }

  // The bare disk never fails: ENOSPC and EIO are FileStorage's (the default disk's) faults.
  readonly full = false;

  load(loaded: (persisted: Persisted) => void): void {
    loaded(this.disk.load());
  }

  stop(): void {}

  fill(): void {}

  free(): void {}

  endFaults(): void {}

  write(batch: PersistBatch, durable: () => void): void {
    const disk = this.disk;
    const atMs = disk.write(batch, this.#nowMs(), this.#latency());
    const generation = disk.generation;
    this.#scheduleAt(atMs, () => {
      if (generation !== disk.generation) return; // the crash came first
      disk.completeNext();
      durable();
    });
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
    return kept === undefined ? "" : ` (torn write keeps ${kept}/${inProgress} entries)`;
  }

  backup(): void {
    this.#backup = this.disk.durableCopy();
  }

  forget(fromBackup: boolean): string {
    const backup = fromBackup ? this.#backup : null;
    // Called after a crash, which made every completion scheduled on the old disk stale.
    this.disk = backup?.durableCopy() ?? emptyDisk();
    return describeForgotten(backup !== null);
  }
}

function emptyDisk(): SimDisk {
  return new SimDisk({ term: 0 as Term, vote: null, commit: 0 as Index });
}

/** The trace's note for amnesia: which copy the node comes back from. */
export function describeForgotten(fromBackup: boolean): string {
  return fromBackup ? "amnesia: back to an older backup" : "amnesia: an empty data directory";
}
