import type { StoredSnapshot } from "@flotilla/core";
import type { TailDamage } from "./record.js";

// The checks FileStorage makes of the bytes it reads back, and the order it serves its calls in,
// kept in one record so that the cluster simulator can plant a violation of each (a test replaces
// one through `FileStorageOptions.rules`) and show that a seed search finds it. Production code
// passes none.

/** The checks FileStorage makes of what it reads back from disk, and how it orders its calls. */
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
};

/** The rules FileStorage ships with. */
export const shippedStorageRules: FileStorageRules = {
  snapshotIntact: (expected, found) =>
    expected.size === found.size && expected.checksum === found.checksum,
  snapshotBlockIntact: (expectedCrc, foundCrc) => expectedCrc === foundCrc,
  tornTail: (damage) => !damage.recordAfter,
  serializesCalls: true,
};
