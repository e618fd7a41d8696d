// One behavioural suite for every Storage (MemoryStorage in @flotilla/core, FileStorage in
// @flotilla/storage-file, and yours), so that the simulator's storage and the durable ones can
// never disagree about what a persist batch means or which batches are misuse.
//
// It takes the test framework's `describe`, `it` and `afterEach` instead of importing one, so it
// runs under vitest, jest, mocha or node:test alike:
//
//   import { describe, it, afterEach } from "vitest";
//   describeStorageConformance({ describe, it, afterEach }, "MyStorage", async () => harness);
//
// The cases: the log and the hard state in log-conformance.ts, snapshots in
// snapshot-conformance.ts, the storage as an object (copies, call order, close) below.

import type { Entry } from "../entry.js";
import type { Index } from "../ids.js";
import type { Storage } from "../interfaces.js";
import { InvalidPersistError, StorageClosedError } from "../storage-errors.js";
import { expectEqual, expectRejection } from "./assert.js";
import { expectEntries, expectLoads, type NamedCase, persistStored } from "./conformance-steps.js";
import { batch, command, commands, hard, snapshotAt, streamOf } from "./fixtures.js";
import { logCases } from "./log-conformance.js";
import { snapshotCases } from "./snapshot-conformance.js";

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

/** The storage as an object: what it copies, the order of its calls, and refusals after close. */
const callCases: readonly NamedCase[] = [
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

const cases: readonly NamedCase[] = [...logCases, ...snapshotCases, ...callCases];
