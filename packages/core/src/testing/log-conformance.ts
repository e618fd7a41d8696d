// The storage conformance cases about the log and the hard state (storage-conformance.ts): what a
// batch of entries and hard state means, and which batches are misuse.

import type { Entry, Membership } from "../entry.js";
import { type Index, nodeId, type Term } from "../ids.js";
import {
  emptyState,
  expectEntries,
  expectLoads,
  expectMisuse,
  type NamedCase,
  persistStored,
} from "./conformance-steps.js";
import { command, commands, hard, membershipAB, snapshotAt } from "./fixtures.js";

/** Entries, truncation and the hard state: stored, kept across a reopen, or refused. */
export const logCases: readonly NamedCase[] = [
  [
    "loads an empty state when nothing was stored",
    async (open) => expectLoads(await open(), emptyState, "load"),
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
          // A joint configuration left only on request: every field of it survives a reopen.
          membership: { ...membershipAB, outgoing: [nodeId("c")], explicitLeave: true },
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
];
