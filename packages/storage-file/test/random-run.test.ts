// A long seeded run of appends, truncations, snapshots, hard-state updates, refused batches and
// reopens, on FileStorage and on MemoryStorage side by side: both must accept and refuse the
// same batches and always load the same state.

import {
  type Entry,
  type Index,
  InvalidPersistError,
  MemoryStorage,
  type PersistBatch,
  type Persisted,
  type Storage,
} from "@flotilla/core";
import { batch, command, hard, persistStored, snapshotAt } from "@flotilla/core/testing";
import { describe, expect, it } from "vitest";
import { type FileStorageOptions, openFileStorage } from "../src/index.js";
import { SimFileSystem } from "../src/testing.js";
import { prng, tempDir, testSeed } from "./helpers.js";

type Tip = {
  snapshotIndex: number;
  lastIndex: number;
  term: number;
  lastTerm: number;
  commit: number;
  /** The term of the entry at `index` (the snapshot's term at its index). */
  termAt: (index: number) => number;
};

function tipOf(state: Persisted): Tip {
  const snapshotIndex = state.snapshot?.index ?? 0;
  const last = state.entries.at(-1);
  return {
    snapshotIndex,
    lastIndex: last?.index ?? snapshotIndex,
    term: state.hardState.term,
    commit: state.hardState.commit,
    lastTerm: last?.term ?? state.snapshot?.term ?? 0,
    termAt: (index) =>
      state.entries.find((entry) => entry.index === index)?.term ?? state.snapshot?.term ?? 0,
  };
}

function entriesFrom(first: number, count: number, term: number, random: () => number): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < count; i++)
    out.push(command(first + i, term, "x".repeat(Math.floor(random() * 40))));
  return out;
}

/** One random batch, valid unless the dice say to test refusal. */
function randomBatch(tip: Tip, random: () => number): PersistBatch {
  const roll = random();
  const term = Math.max(tip.term, tip.lastTerm) + (random() < 0.1 ? 1 : 0);
  if (roll < 0.45) {
    return batch({
      entries: entriesFrom(tip.lastIndex + 1, 1 + Math.floor(random() * 8), term, random),
    });
  }
  if (roll < 0.6) {
    const from =
      tip.snapshotIndex + 1 + Math.floor(random() * (tip.lastIndex - tip.snapshotIndex + 1));
    const count = Math.floor(random() * 4);
    return batch({
      truncateFrom: from as Index,
      entries: entriesFrom(from, count, term + 1, random),
      hardState: hard(term + 1, "a", tip.commit),
    });
  }
  if (roll < 0.72) {
    const index =
      tip.snapshotIndex + Math.floor(random() * (tip.lastIndex - tip.snapshotIndex + 4));
    const beyond = index > tip.lastIndex;
    const snapshot = snapshotAt(index, beyond ? term : tip.termAt(index), `snap${index}`);
    // A snapshot inside the log keeps its suffix; past the end the log restarts after it.
    return batch({
      snapshot,
      ...(beyond
        ? { entries: entriesFrom(index + 1, Math.floor(random() * 3), term, random) }
        : {}),
    });
  }
  if (roll < 0.9) {
    return batch({
      // The commit index only grows at a correct node (FileStorage keeps the largest it saw).
      hardState: hard(
        term,
        random() < 0.5 ? null : "b",
        Math.max(tip.commit, Math.floor(random() * (tip.lastIndex + 1))),
      ),
    });
  }
  // Misuse: a gap after the log, or a truncation into the snapshot.
  return random() < 0.5
    ? batch({ entries: [command(tip.lastIndex + 2, term)] })
    : batch({ truncateFrom: Math.max(0, tip.snapshotIndex) as Index });
}

async function run(
  name: string,
  seed: number,
  steps: number,
  open: () => Promise<Storage>,
): Promise<void> {
  const random = prng(seed);
  let model = new MemoryStorage();
  let file = await open();
  const outcomes = { fulfilled: 0, rejected: 0 };
  for (let step = 0; step < steps; step++) {
    const label = `${name} seed ${seed} step ${step}`;
    if (random() < 0.03) {
      await file.close();
      file = await open();
      // A commit moved by a batch that wrote nothing else is not durable (Raft does not need it
      // to be); everything else is, and the commit never exceeds what was persisted.
      model = await expectReloaded(await file.load(), await model.load(), label);
    }
    const next = randomBatch(tipOf(await model.load()), random);
    const [expected, actual] = await Promise.allSettled([
      persistStored(model, next),
      persistStored(file, next),
    ]);
    expect(actual.status, `${label}: ${JSON.stringify(actual)}`).toBe(expected.status);
    outcomes[actual.status] += 1;
    if (actual.status === "rejected")
      expect(actual.reason, label).toBeInstanceOf(InvalidPersistError);
    if (step % 7 === 0 || step === steps - 1)
      expect(await file.load(), label).toEqual(await model.load());
  }
  await file.close();
  // The dice must have exercised both sides.
  expect(outcomes.rejected).toBeGreaterThan(steps / 50);
  expect(outcomes.fulfilled).toBeGreaterThan(steps / 2);
  const reopened = await open();
  await expectReloaded(await reopened.load(), await model.load(), `${name} seed ${seed}: final`);
  await reopened.close();
}

/** Checks a reopened storage against the model; returns the model for the state it loaded. */
async function expectReloaded(
  loaded: Persisted,
  expected: Persisted,
  label: string,
): Promise<MemoryStorage> {
  const commit = loaded.hardState.commit;
  expect(commit, `${label}: reloaded commit`).toBeLessThanOrEqual(expected.hardState.commit);
  expect(loaded, `${label}: reloaded`).toEqual({
    ...expected,
    hardState: { ...expected.hardState, commit },
  });
  return new MemoryStorage(loaded);
}

describe("FileStorage against MemoryStorage, randomized", () => {
  it("agrees over a long run on the simulated file system", async () => {
    const seed = testSeed("random run (simulated fs)", 424_242);
    const fs = new SimFileSystem();
    const options: FileStorageOptions = { fs, segmentBytesMax: 300 };
    await run("simulated fs", seed, 3000, () => openFileStorage("/node", options));
  });

  it("agrees on node:fs", async () => {
    const seed = testSeed("random run (node:fs)", 515_151);
    const { dir, remove } = await tempDir();
    try {
      await run("node:fs", seed, 400, () => openFileStorage(dir, { segmentBytesMax: 2000 }));
    } finally {
      await remove();
    }
  });
});
