// The scenario cluster's model of a node's disk (cluster.ts): what a persist effect leaves on it,
// exactly the `Persisted` a restart is given. A write that would leave a gap in the log is
// reported as a `VIOLATION` trace line.

import type { Entry, HardState, Index, PersistEffect, Snapshot, Term } from "@flotilla/core";

/** What a node's disk holds: exactly the `Persisted` a restart is given. */
export type Disk = { hardState: HardState; snapshot: Snapshot | null; entries: Entry[] };

/** A disk that never held anything. */
export const emptyDisk = (): Disk => ({
  hardState: { term: 0 as Term, vote: null, commit: 0 as Index },
  snapshot: null,
  entries: [],
});

/**
 * Applies one write of node `id` to its disk, in the order a batch is applied (snapshot,
 * truncation, entries, hard state); returns whether it changed the log. `violation` receives a
 * `VIOLATION` line for an entry that does not follow the log.
 */
export function writeDisk(
  id: string,
  disk: Disk,
  write: PersistEffect,
  violation: (line: string) => void,
): boolean {
  if (write.snapshot !== undefined) {
    disk.snapshot = write.snapshot;
    const snapshotIndex = write.snapshot.index;
    disk.entries = disk.entries.filter((e) => e.index > snapshotIndex);
  }
  if (write.truncateFrom !== undefined) {
    const from = write.truncateFrom;
    disk.entries = disk.entries.filter((e) => e.index < from);
  }
  for (const entry of write.entries) {
    const expectedIndex = (disk.entries.at(-1)?.index ?? disk.snapshot?.index ?? 0) + 1;
    if (entry.index !== expectedIndex) {
      violation(
        `VIOLATION ${id}: persisted entry ${entry.index}/${entry.term} leaves a gap (log ends at ${expectedIndex - 1})`,
      );
    }
    disk.entries.push(entry);
  }
  if (write.hardState !== undefined) disk.hardState = write.hardState;
  return (
    write.entries.length > 0 || write.truncateFrom !== undefined || write.snapshot !== undefined
  );
}
