// One behavioural suite for every Storage (MemoryStorage in @flotilla/core, FileStorage in
// @flotilla/storage-file, and yours), so that the simulator's storage and the durable ones can
// never disagree about what a persist batch means or which batches are misuse.
//
// It takes the test framework's `describe`, `it` and `afterEach` instead of importing one, so it
// runs under vitest, jest, mocha or node:test alike:
//
//   import { describe, it, afterEach } from "vitest";
//   describeStorageConformance({ describe, it, afterEach }, "MyStorage", async () => harness);

import { utf8Decode } from "../codec/utf8.js";
import type { Entry, Membership, Persisted, Snapshot } from "../entry.js";
import { type Index, nodeId, type Term } from "../ids.js";
import type { PersistBatch, SnapshotStream, Storage } from "../interfaces.js";
import { InvalidPersistError, StorageClosedError } from "../storage-errors.js";
import { expectEqual, expectRejection } from "./assert.js";
import {
  batch,
  command,
  commands,
  hard,
  hasSnapshotData,
  membershipAB,
  snapshotAt,
  snapshotData,
  streamOf,
} from "./fixtures.js";

function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : (utf8Decode(bytes, 0, bytes.byteLength) ?? null);
}

async function readAll(stream: SnapshotStream): Promise<Uint8Array> {
  const parts: number[] = [];
  for await (const slice of stream) parts.push(...slice);
  return Uint8Array.from(parts);
}

/** The parts of a test framework the suite uses (vitest, jest, mocha and node:test all fit). */
export type TestFramework = {
  /** Groups tests under a name (`describe`). */
  readonly describe: (name: string, body: () => void) => unknown;
  /** One test: the body rejects to fail (`it`, `test`). */
  readonly it: (name: string, body: () => Promise<void>) => unknown;
  /** Runs after each test of the group (cleanup). */
  readonly afterEach: (body: () => Promise<void>) => unknown;
};

/** A fresh storage under test, and the means to reopen it over the same data (a restart). */
export type StorageHarness = {
  readonly storage: Storage;
  /** Closes the current storage and opens a new one over the same stored data. */
  reopen(): Promise<Storage>;
  /** Releases everything the harness created (temp directories). */
  cleanup(): Promise<void>;
};

type Case = (open: () => Promise<Storage>, reopen: () => Promise<Storage>) => Promise<void>;

/**
 * Registers the suite every `Storage` must pass, with your test framework's `describe`, `it` and
 * `afterEach`, and a factory of fresh harnesses. It is the contract: what a batch means, which
 * batches are misuse (`InvalidPersistError`, nothing changed), what survives a reopen, and refusals
 * after close.
 */
export function describeStorageConformance(
  framework: TestFramework,
  name: string,
  makeHarness: () => Promise<StorageHarness>,
): void {
  framework.describe(`Storage conformance: ${name}`, () => {
    let harness: StorageHarness | undefined;
    framework.afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });
    const open = async () => {
      harness = await makeHarness();
      return harness.storage;
    };
    const reopen = () => harness!.reopen();
    for (const [title, body] of cases) framework.it(title, () => body(open, reopen));
  });
}

/** Stores the bytes of the batch's snapshot (built by `snapshotAt`), then persists the batch. */
async function persistStored(storage: Storage, parts: Partial<PersistBatch>): Promise<void> {
  if (parts.snapshot !== undefined) await store(storage, parts.snapshot);
  await storage.persist(batch(parts));
}

/** Stores a snapshot's bytes (not yet in force) the way a node stores one it took. */
async function store(storage: Storage, snapshot: Snapshot): Promise<void> {
  const stored = await storage.writeSnapshot(snapshot.index, streamOf(snapshotData(snapshot)));
  expectEqual(stored, { size: snapshot.size, checksum: snapshot.checksum }, "writeSnapshot");
}

async function expectMisuse(storage: Storage, parts: Partial<PersistBatch>): Promise<void> {
  // Its bytes stored, when it has any, so that only the batch itself is at fault.
  if (parts.snapshot !== undefined && hasSnapshotData(parts.snapshot)) {
    await store(storage, parts.snapshot);
  }
  const before = await storage.load();
  const what = `persist(${describeBatch(parts)})`;
  await expectRejection(storage.persist(batch(parts)), InvalidPersistError, what);
  expectEqual(await storage.load(), before, `after the refused ${what}`);
}

function describeBatch(parts: Partial<PersistBatch>): string {
  const described: string[] = [];
  if (parts.snapshot !== undefined) {
    described.push(`snapshot ${parts.snapshot.index}/${parts.snapshot.term}`);
  }
  if (parts.truncateFrom !== undefined) described.push(`truncateFrom ${parts.truncateFrom}`);
  if (parts.entries !== undefined) {
    described.push(`entries ${parts.entries.map((e) => `${e.index}/${e.term}`).join(",")}`);
  }
  if (parts.hardState !== undefined) described.push(`hardState ${JSON.stringify(parts.hardState)}`);
  return described.join("; ");
}

async function expectLoads(storage: Storage, expected: Persisted, what: string): Promise<void> {
  expectEqual(await storage.load(), expected, what);
}

async function expectEntries(storage: Storage, expected: Entry[], what: string): Promise<void> {
  expectEqual((await storage.load()).entries, expected, what);
}

const empty: Persisted = { hardState: hard(0, null, 0), snapshot: null, entries: [] };

const cases: readonly (readonly [string, Case])[] = [
  [
    "loads an empty state when nothing was stored",
    async (open) => expectLoads(await open(), empty, "load"),
  ],
  [
    "stores entries of every kind and the hard state, and keeps them across a reopen",
    async (open, reopen) => {
      const storage = await open();
      const entries: Entry[] = [
        { kind: "noop", index: 1 as Index, term: 1 as Term },
        command(2, 1),
        {
          kind: "membership",
          index: 3 as Index,
          term: 2 as Term,
          membership: { ...membershipAB, outgoing: [nodeId("c")] },
        },
        command(4, 2, ""),
      ];
      await persistStored(storage, { entries: entries.slice(0, 2), hardState: hard(1, "a", 0) });
      await persistStored(storage, { entries: entries.slice(2), hardState: hard(2, null, 3) });
      const expected = { hardState: hard(2, null, 3), snapshot: null, entries };
      await expectLoads(storage, expected, "load");
      await expectLoads(await reopen(), expected, "load after a reopen");
    },
  ],
  [
    "refuses entries that are not contiguous with the log, leaving it unchanged",
    async (open) => {
      const storage = await open();
      await expectMisuse(storage, { entries: [command(2, 1)] });
      await persistStored(storage, { entries: commands(1, 3, 1) });
      await expectMisuse(storage, { entries: [command(5, 1)] });
      await expectMisuse(storage, { entries: [command(3, 1)] });
      await expectMisuse(storage, { entries: [command(4, 1), command(6, 1)] });
      await expectMisuse(storage, { entries: [command(4, 1), command(4, 1)] });
    },
  ],
  [
    "refuses a term that goes back along the log or in the hard state",
    async (open) => {
      const storage = await open();
      await persistStored(storage, { entries: commands(1, 2, 3), hardState: hard(3, null, 0) });
      await expectMisuse(storage, { entries: [command(3, 2)] });
      await expectMisuse(storage, { entries: [command(3, 4), command(4, 3)] });
      await expectMisuse(storage, { hardState: hard(2, null, 0) });
    },
  ],
  [
    "refuses malformed numbers and an incomplete batch as a whole",
    async (open) => {
      const storage = await open();
      await expectMisuse(storage, { entries: [command(1, -1)] });
      await expectMisuse(storage, { truncateFrom: 1.5 as Index });
      await expectMisuse(storage, { hardState: hard(1, "", 0) });
      // The hard state is valid but the entries are not: nothing at all is stored.
      await expectMisuse(storage, { hardState: hard(1, "a", 0), entries: [command(2, 1)] });
    },
  ],
  [
    "refuses a membership that is not one (entry or snapshot), leaving storage usable",
    async (open, reopen) => {
      const storage = await open();
      const bad = [
        { voters: [""], learners: [] },
        { voters: ["a"], learners: "b" },
        { voters: ["a"], learners: [], outgoing: [7] },
        { voters: ["\uD800"], learners: [] },
      ] as unknown as Membership[];
      for (const membership of bad) {
        const entry: Entry = { kind: "membership", index: 1 as Index, term: 1 as Term, membership };
        await expectMisuse(storage, { entries: [entry] });
        await expectMisuse(storage, { snapshot: { ...snapshotAt(1, 1), membership } });
      }
      await persistStored(storage, { entries: commands(1, 2, 1), snapshot: snapshotAt(0, 0) });
      await expectEntries(await reopen(), commands(1, 2, 1), "entries after a reopen");
    },
  ],
  [
    "truncates a conflicting suffix and appends in one batch",
    async (open, reopen) => {
      const storage = await open();
      await persistStored(storage, { entries: commands(1, 5, 1) });
      await persistStored(storage, { truncateFrom: 3 as Index, entries: commands(3, 4, 2) });
      await expectEntries(storage, [...commands(1, 2, 1), ...commands(3, 4, 2)], "entries");
      await persistStored(storage, { truncateFrom: 2 as Index });
      await expectEntries(storage, commands(1, 1, 1), "entries after truncating from 2");
      // Past the end, truncation drops nothing; the next entry still has to follow the last.
      await persistStored(storage, { truncateFrom: 9 as Index, entries: [command(2, 3)] });
      await expectEntries(storage, [command(1, 1), command(2, 3)], "entries");
      await expectMisuse(storage, { truncateFrom: 9 as Index, entries: [command(9, 3)] });
      await expectEntries(await reopen(), [command(1, 1), command(2, 3)], "after a reopen");
    },
  ],
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
    "copies what it stores and what it returns",
    async (open) => {
      const storage = await open();
      const entry = command(1, 1, "abc");
      const snap = snapshotAt(0, 0, "snap");
      await persistStored(storage, { entries: [entry], snapshot: snap });
      (entry as { data: Uint8Array }).data[0] = 0;
      const loaded = await storage.load();
      expectEqual(loaded.entries, [command(1, 1, "abc")], "entries after changing the input");
      expectEqual(loaded.snapshot, snapshotAt(0, 0, "snap"), "snapshot after changing the input");
      (loaded.entries[0] as { data: Uint8Array }).data[0] = 0;
      (loaded.entries as Entry[]).length = 0;
      await expectEntries(storage, [command(1, 1, "abc")], "entries after changing a load");
    },
  ],
  [
    "applies persist calls in the order they were made, without the caller waiting",
    async (open) => {
      const storage = await open();
      const calls = [
        storage.persist(batch({ entries: commands(1, 2, 1) })),
        storage.persist(batch({ entries: commands(3, 4, 1), hardState: hard(1, null, 2) })),
        storage.persist(batch({ entries: [command(9, 1)] })),
        storage.persist(batch({ truncateFrom: 4 as Index, entries: [command(4, 2)] })),
      ];
      const results = await Promise.allSettled(calls);
      const statuses = results.map((result) => result.status);
      expectEqual(statuses, ["fulfilled", "fulfilled", "rejected", "fulfilled"], "outcomes");
      await expectRejection(calls[2]!, InvalidPersistError, "the third call");
      await expectLoads(
        storage,
        {
          hardState: hard(1, null, 2),
          snapshot: null,
          entries: [...commands(1, 3, 1), command(4, 2)],
        },
        "load",
      );
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
  [
    "refuses to work after close",
    async (open) => {
      const storage = await open();
      await storage.close();
      const persist = storage.persist(batch({ entries: [command(1, 1)] }));
      await expectRejection(persist, StorageClosedError, "persist after close");
      await expectRejection(storage.load(), StorageClosedError, "load after close");
      await expectRejection(
        storage.writeSnapshot(1 as Index, streamOf(new Uint8Array(1))),
        StorageClosedError,
        "writeSnapshot after close",
      );
    },
  ],
];
