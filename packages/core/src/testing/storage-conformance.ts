// One behavioural suite for every Storage (MemoryStorage here, FileStorage in
// @flotilla/storage-file), so that the simulator's storage and the durable one can never disagree
// about what a persist batch means or which batches are misuse.

import { afterEach, describe, expect, it } from "vitest";
import { utf8Encode } from "../codec/utf8.js";
import {
  type Entry,
  type HardState,
  type Index,
  InvalidPersistError,
  type Membership,
  type NodeId,
  nodeId,
  type PersistBatch,
  type Snapshot,
  type Storage,
  StorageClosedError,
  type Term,
} from "../index.js";

/** Test data as bytes (a copy: storage may keep what it is given). */
function textBytes(text: string): Uint8Array {
  return (utf8Encode(text) ?? new Uint8Array()).slice();
}

export type StorageHarness = {
  readonly storage: Storage;
  /** Closes the current storage and opens a new one over the same stored data. */
  reopen(): Promise<Storage>;
  /** Releases everything the harness created (temp directories). */
  cleanup(): Promise<void>;
};

export function command(index: number, term: number, text = `e${index}`): Entry {
  return {
    kind: "command",
    index: index as Index,
    term: term as Term,
    data: textBytes(text),
  };
}

export function commands(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(command(i, term));
  return out;
}

export const membershipAB: Membership = { voters: [nodeId("a"), nodeId("b")], learners: [] };

export function snapshotAt(index: number, term: number, text = `s${index}`): Snapshot {
  return {
    index: index as Index,
    term: term as Term,
    membership: membershipAB,
    data: textBytes(text),
  };
}

export function hard(term: number, vote: string | null, commit: number): HardState {
  return { term: term as Term, vote: vote as NodeId | null, commit: commit as Index };
}

export function batch(parts: Partial<PersistBatch>): PersistBatch {
  return { entries: [], ...parts };
}

export function describeStorageConformance(
  name: string,
  makeHarness: () => Promise<StorageHarness>,
): void {
  describe(`Storage conformance: ${name}`, () => {
    let harness: StorageHarness | undefined;
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });
    async function open(): Promise<Storage> {
      harness = await makeHarness();
      return harness.storage;
    }
    async function expectMisuse(storage: Storage, parts: Partial<PersistBatch>): Promise<void> {
      const before = await storage.load();
      await expect(storage.persist(batch(parts))).rejects.toBeInstanceOf(InvalidPersistError);
      expect(await storage.load()).toEqual(before);
    }

    it("loads an empty state when nothing was stored", async () => {
      const storage = await open();
      expect(await storage.load()).toEqual({
        hardState: hard(0, null, 0),
        snapshot: null,
        entries: [],
      });
    });

    it("stores entries of every kind and the hard state, and keeps them across a reopen", async () => {
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
      await storage.persist(batch({ entries: entries.slice(0, 2), hardState: hard(1, "a", 0) }));
      await storage.persist(batch({ entries: entries.slice(2), hardState: hard(2, null, 3) }));
      const expected = { hardState: hard(2, null, 3), snapshot: null, entries };
      expect(await storage.load()).toEqual(expected);
      expect(await harness!.reopen().then((s) => s.load())).toEqual(expected);
    });

    it("refuses entries that are not contiguous with the log, leaving it unchanged", async () => {
      const storage = await open();
      await expectMisuse(storage, { entries: [command(2, 1)] });
      await storage.persist(batch({ entries: commands(1, 3, 1) }));
      await expectMisuse(storage, { entries: [command(5, 1)] });
      await expectMisuse(storage, { entries: [command(3, 1)] });
      await expectMisuse(storage, { entries: [command(4, 1), command(6, 1)] });
      await expectMisuse(storage, { entries: [command(4, 1), command(4, 1)] });
    });

    it("refuses a term that goes back along the log or in the hard state", async () => {
      const storage = await open();
      await storage.persist(batch({ entries: commands(1, 2, 3), hardState: hard(3, null, 0) }));
      await expectMisuse(storage, { entries: [command(3, 2)] });
      await expectMisuse(storage, { entries: [command(3, 4), command(4, 3)] });
      await expectMisuse(storage, { hardState: hard(2, null, 0) });
    });

    it("refuses malformed numbers and an incomplete batch as a whole", async () => {
      const storage = await open();
      await expectMisuse(storage, { entries: [command(1, -1)] });
      await expectMisuse(storage, { truncateFrom: 1.5 as Index });
      await expectMisuse(storage, { hardState: hard(1, "", 0) });
      // The hard state is valid but the entries are not: nothing at all is stored.
      await expectMisuse(storage, { hardState: hard(1, "a", 0), entries: [command(2, 1)] });
    });

    it("refuses a membership that is not one (entry or snapshot), leaving storage usable", async () => {
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
      await storage.persist(batch({ entries: commands(1, 2, 1), snapshot: snapshotAt(0, 0) }));
      const reopened = await harness!.reopen();
      expect((await reopened.load()).entries).toEqual(commands(1, 2, 1));
    });

    it("truncates a conflicting suffix and appends in one batch", async () => {
      const storage = await open();
      await storage.persist(batch({ entries: commands(1, 5, 1) }));
      await storage.persist(batch({ truncateFrom: 3 as Index, entries: commands(3, 4, 2) }));
      expect((await storage.load()).entries).toEqual([...commands(1, 2, 1), ...commands(3, 4, 2)]);
      await storage.persist(batch({ truncateFrom: 2 as Index }));
      expect((await storage.load()).entries).toEqual(commands(1, 1, 1));
      // Past the end, truncation drops nothing; the next entry still has to follow the last.
      await storage.persist(batch({ truncateFrom: 9 as Index, entries: [command(2, 3)] }));
      expect((await storage.load()).entries).toEqual([command(1, 1), command(2, 3)]);
      await expectMisuse(storage, { truncateFrom: 9 as Index, entries: [command(9, 3)] });
      const reopened = await harness!.reopen();
      expect((await reopened.load()).entries).toEqual([command(1, 1), command(2, 3)]);
    });

    it("compacts the log up to a snapshot and keeps the entries after it", async () => {
      const storage = await open();
      await storage.persist(batch({ entries: commands(1, 6, 1) }));
      await storage.persist(batch({ snapshot: snapshotAt(4, 1) }));
      const expected = {
        hardState: hard(0, null, 0),
        snapshot: snapshotAt(4, 1),
        entries: commands(5, 6, 1),
      };
      expect(await storage.load()).toEqual(expected);
      expect(await harness!.reopen().then((s) => s.load())).toEqual(expected);
    });

    it("empties the log for a snapshot past its end; the next entry follows the snapshot", async () => {
      const storage = await open();
      await storage.persist(batch({ entries: commands(1, 3, 1) }));
      await storage.persist(batch({ snapshot: snapshotAt(10, 2) }));
      expect(await storage.load()).toEqual({
        hardState: hard(0, null, 0),
        snapshot: snapshotAt(10, 2),
        entries: [],
      });
      await expectMisuse(storage, { entries: [command(4, 2)] });
      await expectMisuse(storage, { entries: [command(11, 1)] });
      await storage.persist(batch({ entries: commands(11, 12, 2) }));
      const reopened = await harness!.reopen();
      expect(await reopened.load()).toEqual({
        hardState: hard(0, null, 0),
        snapshot: snapshotAt(10, 2),
        entries: commands(11, 12, 2),
      });
    });

    it("refuses an older snapshot and a truncation into the snapshot", async () => {
      const storage = await open();
      await storage.persist(batch({ entries: commands(1, 6, 1), snapshot: snapshotAt(0, 0) }));
      await storage.persist(batch({ snapshot: snapshotAt(4, 1) }));
      await expectMisuse(storage, { snapshot: snapshotAt(3, 1) });
      await expectMisuse(storage, { truncateFrom: 4 as Index, entries: [command(4, 2)] });
      await storage.persist(batch({ truncateFrom: 5 as Index, entries: [command(5, 2)] }));
      expect((await storage.load()).entries).toEqual([command(5, 2)]);
    });

    it("applies snapshot, truncation, entries and hard state of one batch in that order", async () => {
      const storage = await open();
      await storage.persist(batch({ entries: commands(1, 8, 1) }));
      await storage.persist(
        batch({
          snapshot: snapshotAt(3, 1),
          truncateFrom: 6 as Index,
          entries: commands(6, 7, 2),
          hardState: hard(2, "b", 5),
        }),
      );
      const expected = {
        hardState: hard(2, "b", 5),
        snapshot: snapshotAt(3, 1),
        entries: [...commands(4, 5, 1), ...commands(6, 7, 2)],
      };
      expect(await storage.load()).toEqual(expected);
      expect(await harness!.reopen().then((s) => s.load())).toEqual(expected);
    });

    it("copies what it stores and what it returns", async () => {
      const storage = await open();
      const entry = command(1, 1, "abc");
      const snap = snapshotAt(0, 0, "snap");
      await storage.persist(batch({ entries: [entry], snapshot: snap }));
      (entry as { data: Uint8Array }).data[0] = 0;
      snap.data[0] = 0;
      const loaded = await storage.load();
      expect(loaded.entries).toEqual([command(1, 1, "abc")]);
      expect(loaded.snapshot).toEqual(snapshotAt(0, 0, "snap"));
      (loaded.entries[0] as { data: Uint8Array }).data[0] = 0;
      (loaded.entries as Entry[]).length = 0;
      expect((await storage.load()).entries).toEqual([command(1, 1, "abc")]);
    });

    it("applies persist calls in the order they were made, without the caller waiting", async () => {
      const storage = await open();
      const calls = [
        storage.persist(batch({ entries: commands(1, 2, 1) })),
        storage.persist(batch({ entries: commands(3, 4, 1), hardState: hard(1, null, 2) })),
        storage.persist(batch({ entries: [command(9, 1)] })),
        storage.persist(batch({ truncateFrom: 4 as Index, entries: [command(4, 2)] })),
      ];
      const results = await Promise.allSettled(calls);
      expect(results.map((r) => r.status)).toEqual([
        "fulfilled",
        "fulfilled",
        "rejected",
        "fulfilled",
      ]);
      expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidPersistError);
      expect(await storage.load()).toEqual({
        hardState: hard(1, null, 2),
        snapshot: null,
        entries: [...commands(1, 3, 1), command(4, 2)],
      });
    });

    it("refuses to work after close", async () => {
      const storage = await open();
      await storage.close();
      await expect(storage.persist(batch({ entries: [command(1, 1)] }))).rejects.toBeInstanceOf(
        StorageClosedError,
      );
      await expect(storage.load()).rejects.toBeInstanceOf(StorageClosedError);
    });
  });
}
