import type { StoredSnapshot } from "@flotilla/core";
import type { TailDamage } from "./record.js";

// The checks FileStorage makes of the bytes it reads back, the order it serves its calls in, and
// the guards of its removal of old files in the background (gradual-removal.ts), kept in one
// record so that the cluster simulator can plant a violation of each (a test replaces one
// through `FileStorageOptions.rules`) and show that a seed search finds it. Production code
// passes none.

/**
 * The checks FileStorage makes of what it reads back from disk, how it orders its calls, and how
 * it removes files no longer in force.
 */
export type FileStorageRules = {
  /**
   * Whether a snapshot's bytes as read back (their size and CRC-32) are the ones it was stored
   * with: checked when the storage opens (the snapshot in force, read whole) and at the end of
   * every `readSnapshot`. A disk may damage a sector at rest; only this check sees it.
   */
  readonly snapshotIntact: (expected: StoredSnapshot, found: StoredSnapshot) => boolean;
  /**
   * Whether a block of a snapshot read to send (`readSnapshotChunk`) has the CRC-32 recorded for
   * it when the whole snapshot was last found intact: a chunk whose bytes fail it never leaves.
   */
  readonly snapshotBlockIntact: (expectedCrc: number, foundCrc: number) => boolean;
  /**
   * Whether bytes that fail their checks after the last whole record of the log, found when the
   * storage opens, are a write a crash tore (never acknowledged: recovery cuts them off) rather
   * than acknowledged data damaged at rest (refused, StorageCorruptionError). Each persist writes
   * one record and syncs it before the next is written, so a whole record after the damage means
   * the damaged one was synced (record.ts; docs/architecture.md).
   */
  readonly tornTail: (damage: TailDamage) => boolean;
  /**
   * Whether a call (`persist`, `writeSnapshotChunk`, `load`, `close`) starts only once the one
   * before it settled. Each reads the state the one before left (the log's tip, the snapshot
   * being received) and writes after it: run together, a persist's fsync can return before the
   * other's record is written, or an install can check and rename a file still being written.
   */
  readonly serializesCalls: boolean;
  /**
   * Whether a log segment a snapshot covers is renamed to a temp name (the directory synced)
   * before it is cut down in the background (gradual-removal.ts). Cut under its own name, a crash
   * midway leaves a segment torn before the end of the log, which the next open reads as log.
   */
  readonly setsAsideCoveredSegments: boolean;
  /**
   * Whether a superseded snapshot's data file is cut down only once no read still uses it (a
   * chunk read to send, a restore): cut under a read, the read finds bytes missing.
   */
  readonly removalWaitsForReads: boolean;
  /**
   * Whether a snapshot read whole (a restore) holds its file as a chunk read does, so that the
   * removal waits for it too. The driver starts no write while a restore is under way, so no
   * newer snapshot goes in force meanwhile: this guards storage used some other way.
   */
  readonly restoreHoldsFile: boolean;
};

/** The rules FileStorage ships with. */
export const shippedStorageRules: FileStorageRules = {
  snapshotIntact: (expected, found) =>
    expected.size === found.size && expected.checksum === found.checksum,
  snapshotBlockIntact: (expectedCrc, foundCrc) => expectedCrc === foundCrc,
  tornTail: (damage) => !damage.recordAfter,
  serializesCalls: true,
  setsAsideCoveredSegments: true,
  removalWaitsForReads: true,
  restoreHoldsFile: true,
};
