// The storage conformance cases about snapshots (storage-conformance.ts): compaction by a snapshot
// put in force, and a snapshot's bytes streamed in and out, whole or chunk by chunk.

import type { Index } from "../ids.js";
import { InvalidPersistError } from "../storage-errors.js";
import { expectEqual, expectRejection } from "./assert.js";
import {
  expectEntries,
  expectLoads,
  expectMisuse,
  type NamedCase,
  persistStored,
  readAll,
  store,
  text,
} from "./conformance-steps.js";
import { batch, command, commands, hard, snapshotAt, snapshotData } from "./fixtures.js";

/** Snapshots: the log they compact, their bytes stored, received, read and forgotten. */
export const snapshotCases: readonly NamedCase[] = [
  [
    "compacts the log up to a snapshot and keeps the entries after it",
    async (open, reopen) => {
      const storage = await open();
      await persistStored(storage, { entries: commands(1, 6, 1) });
      await persistStored(storage, { snapshot: snapshotAt(4, 1) });
      const expected = {
        hardState: hard(0, null, 0),
        snapshot: snapshotAt(4, 1),
        entries: commands(5, 6, 1),
      };
      await expectLoads(storage, expected, "load");
      await expectLoads(await reopen(), expected, "load after a reopen");
    },
  ],
  [
    "empties the log for a snapshot past its end; the next entry follows the snapshot",
    async (open, reopen) => {
      const storage = await open();
      await persistStored(storage, { entries: commands(1, 3, 1) });
      await persistStored(storage, { snapshot: snapshotAt(10, 2) });
      const snapshotOnly = {
        hardState: hard(0, null, 0),
        snapshot: snapshotAt(10, 2),
        entries: [],
      };
      await expectLoads(storage, snapshotOnly, "load");
      await expectMisuse(storage, { entries: [command(4, 2)] });
      await expectMisuse(storage, { entries: [command(11, 1)] });
      await persistStored(storage, { entries: commands(11, 12, 2) });
      const expected = { ...snapshotOnly, entries: commands(11, 12, 2) };
      await expectLoads(await reopen(), expected, "load after a reopen");
    },
  ],
  [
    "refuses an older snapshot and a truncation into the snapshot",
    async (open) => {
      const storage = await open();
      await persistStored(storage, { entries: commands(1, 6, 1), snapshot: snapshotAt(0, 0) });
      await persistStored(storage, { snapshot: snapshotAt(4, 1) });
      await expectMisuse(storage, { snapshot: snapshotAt(3, 1) });
      await expectMisuse(storage, { truncateFrom: 4 as Index, entries: [command(4, 2)] });
      await persistStored(storage, { truncateFrom: 5 as Index, entries: [command(5, 2)] });
      await expectEntries(storage, [command(5, 2)], "entries");
    },
  ],
  [
    // Raft §7: the entries after a snapshot are kept only if the log agrees with it at its index.
    "drops the whole suffix after a snapshot that disagrees with the log, and only so",
    async (open, reopen) => {
      const storage = await open();
      await persistStored(storage, { entries: commands(1, 6, 1), hardState: hard(1, "a", 2) });
      // Entry 4 has term 1; a snapshot of term 2 there must take entries 5 and 6 with it.
      await expectMisuse(storage, { snapshot: snapshotAt(4, 2) });
      await expectMisuse(storage, { snapshot: snapshotAt(4, 2), truncateFrom: 6 as Index });
      await persistStored(storage, {
        snapshot: snapshotAt(4, 2),
        truncateFrom: 5 as Index,
        hardState: hard(2, null, 4),
      });
      const expected = { hardState: hard(2, null, 4), snapshot: snapshotAt(4, 2), entries: [] };
      await expectLoads(storage, expected, "load");
      const reopened = await reopen();
      await expectLoads(reopened, expected, "load after a reopen");
      // Nothing is stored after the snapshot now: a disagreeing one needs no truncation.
      await persistStored(reopened, { entries: commands(5, 6, 2) });
      await persistStored(reopened, { snapshot: snapshotAt(6, 3) });
      await expectLoads(reopened, { ...expected, snapshot: snapshotAt(6, 3) }, "load");
    },
  ],
  [
    "applies snapshot, truncation, entries and hard state of one batch in that order",
    async (open, reopen) => {
      const storage = await open();
      await persistStored(storage, { entries: commands(1, 8, 1) });
      await persistStored(storage, {
        snapshot: snapshotAt(3, 1),
        truncateFrom: 6 as Index,
        entries: commands(6, 7, 2),
        hardState: hard(2, "b", 5),
      });
      const expected = {
        hardState: hard(2, "b", 5),
        snapshot: snapshotAt(3, 1),
        entries: [...commands(4, 5, 1), ...commands(6, 7, 2)],
      };
      await expectLoads(storage, expected, "load");
      await expectLoads(await reopen(), expected, "load after a reopen");
    },
  ],
  [
    "streams a snapshot in and out: stored, put in force by persist, read whole and in chunks",
    async (open, reopen) => {
      const storage = await open();
      const snap = snapshotAt(5, 2, "the state at index five");
      await persistStored(storage, { entries: commands(1, 6, 2) });
      await store(storage, snap);
      // Stored but not in force: the loaded state is unchanged, its bytes readable already.
      expectEqual((await storage.load()).snapshot, null, "snapshot before persist");
      expectEqual(text(await storage.readSnapshotChunk(snap, 4, 5)), "state", "chunk 4..9");
      await storage.persist(batch({ snapshot: snap }));
      const reopened = await reopen();
      expectEqual((await reopened.load()).snapshot, snap, "snapshot after a reopen");
      expectEqual(
        text(await readAll(reopened.readSnapshot(snap))),
        "the state at index five",
        "bytes",
      );
      expectEqual(text(await reopened.readSnapshotChunk(snap, 19, 99)), "five", "the last chunk");
      expectEqual(text(await reopened.readSnapshotChunk(snap, 0, 0)), "", "an empty chunk");
    },
  ],
  [
    "receives a snapshot chunk by chunk; refuses to put in force one not held whole",
    async (open, reopen) => {
      const storage = await open();
      const snap = snapshotAt(7, 3, "received in three chunks");
      const data = snapshotData(snap);
      await storage.writeSnapshotChunk(snap, 0, data.subarray(0, 8));
      await storage.writeSnapshotChunk(snap, 8, data.subarray(8, 16));
      await expectMisuse(storage, { snapshot: { ...snap, index: 8 as Index } });
      await expectRejection(
        storage.persist(batch({ snapshot: snap })),
        InvalidPersistError,
        "persist before the last chunk",
      );
      await expectRejection(
        storage.writeSnapshotChunk(snap, 20, data.subarray(20)),
        InvalidPersistError,
        "a chunk past the end of what was received",
      );
      await storage.writeSnapshotChunk(snap, 16, data.subarray(16));
      await storage.persist(batch({ snapshot: snap, hardState: hard(3, null, 7) }));
      const reopened = await reopen();
      expectEqual((await reopened.load()).snapshot, snap, "snapshot after a reopen");
      expectEqual(
        text(await readAll(reopened.readSnapshot(snap))),
        "received in three chunks",
        "bytes",
      );
      // A transfer that starts again from offset 0 replaces a partial one.
      const next = snapshotAt(9, 3, "newer");
      await reopened.writeSnapshotChunk(next, 0, snapshotData(next).subarray(0, 2));
      await reopened.writeSnapshotChunk(next, 0, snapshotData(next));
      await reopened.persist(batch({ snapshot: next }));
      expectEqual((await reopened.load()).snapshot, next, "the newer snapshot");
      // Storage no longer holds the older one's bytes.
      expectEqual(await reopened.readSnapshotChunk(snap, 0, 4), null, "the replaced snapshot");
    },
  ],
  [
    "forgets a snapshot received in part, or stored and never put in force, on reopen",
    async (open, reopen) => {
      const storage = await open();
      const taken = snapshotAt(3, 1, "taken, never in force");
      const partial = snapshotAt(4, 1, "received in part");
      await persistStored(storage, { entries: commands(1, 4, 1) });
      await store(storage, taken);
      await storage.writeSnapshotChunk(partial, 0, snapshotData(partial).subarray(0, 4));
      const reopened = await reopen();
      expectEqual(await reopened.readSnapshotChunk(taken, 0, 4), null, "the stored one");
      await expectRejection(
        reopened.persist(batch({ snapshot: taken })),
        InvalidPersistError,
        "putting the stored one in force",
      );
      await expectRejection(
        reopened.writeSnapshotChunk(partial, 4, snapshotData(partial).subarray(4)),
        InvalidPersistError,
        "continuing the partial one",
      );
    },
  ],
];
