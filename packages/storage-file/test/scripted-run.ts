// The scripted run shared by the crash-point and disk-fault tests: a script of batches covering
// appends, truncations, snapshots (one disagreeing with the log), hard-state changes and
// compaction; which states a recovery may show after it stopped part-way; and the check of a
// recovery.

import { isDeepStrictEqual } from "node:util";
import {
  type Entry,
  FlotillaError,
  type Index,
  MemoryStorage,
  type PersistBatch,
  type Persisted,
} from "@flotilla/core";
import { batch, command, commands, hard, persistStored, snapshotAt } from "@flotilla/core/testing";
import { expect } from "vitest";
import { type FileSystem, openFileStorage } from "../src/index.js";
import type { SimFileSystem } from "../src/testing.js";

export const script: readonly PersistBatch[] = [
  batch({ entries: commands(1, 3, 1), hardState: hard(1, "a", 0) }),
  batch({ entries: commands(4, 6, 1), hardState: hard(1, "a", 3) }),
  batch({ hardState: hard(1, "a", 4) }),
  batch({ truncateFrom: 5 as Index, entries: commands(5, 6, 2), hardState: hard(2, "b", 4) }),
  batch({ snapshot: snapshotAt(4, 1), entries: commands(7, 8, 2) }),
  batch({ truncateFrom: 8 as Index }),
  batch({ snapshot: snapshotAt(20, 3), hardState: hard(3, null, 20) }),
  batch({ entries: commands(21, 24, 3) }),
  batch({ hardState: hard(3, null, 22) }),
  batch({ entries: commands(25, 25, 3), hardState: hard(3, null, 23) }),
  batch({
    snapshot: snapshotAt(22, 3),
    truncateFrom: 24 as Index,
    entries: [command(24, 4)],
    hardState: hard(4, "c", 23),
  }),
  batch({ entries: commands(25, 30, 4), hardState: hard(4, "c", 24) }),
  batch({ hardState: hard(4, "c", 30) }),
  batch({ entries: commands(31, 33, 4) }),
  // A snapshot that disagrees with the entry at its index (term 4 there): the suffix goes too.
  batch({ snapshot: snapshotAt(32, 5), truncateFrom: 33 as Index, hardState: hard(5, null, 32) }),
  batch({ entries: commands(33, 34, 5) }),
];

export const dir = "/node";
// Small segments: the script rolls several and compaction deletes some.
export const options = (fs: FileSystem, pid: number) => ({
  fs,
  segmentBytesMax: 120,
  pid,
  isProcessAlive: (candidate: number) => candidate === pid,
});

/**
 * Runs the script on `fs` until it ends or the storage fails (a simulated crash, or an injected
 * fault); returns how many batches were acknowledged and the error that stopped it, if any.
 */
export async function runScript(
  fs: FileSystem,
): Promise<{ readonly acknowledged: number; readonly failure: unknown }> {
  let acknowledged = 0;
  try {
    const storage = await openFileStorage(dir, options(fs, 1));
    for (const step of script) {
      await persistStored(storage, step);
      acknowledged += 1;
    }
    await storage.close();
  } catch (error) {
    if (!(error instanceof FlotillaError)) throw error;
    return { acknowledged, failure: error };
  }
  return { acknowledged, failure: undefined };
}

/** The states a recovery may show when `acknowledged` batches were acknowledged. */
export async function allowedStates(acknowledged: number): Promise<Persisted[]> {
  const model = new MemoryStorage();
  for (const step of script.slice(0, acknowledged)) await persistStored(model, step);
  const states = [await model.load()];
  const inFlight = script[acknowledged];
  if (inFlight === undefined) return states;
  for (const part of durableParts(inFlight, await model.load())) {
    await persistStored(model, part);
    states.push(await model.load());
  }
  return states;
}

/**
 * The parts of `inFlight` in the order FileStorage makes them durable: snapshot, log record, hard
 * state; but a truncation that comes with a snapshot first, on its own (see FileStorage #apply).
 */
function durableParts(inFlight: PersistBatch, before: Persisted): PersistBatch[] {
  const { snapshot, truncateFrom, entries, hardState } = inFlight;
  const lastIndex = before.entries.at(-1)?.index ?? before.snapshot?.index ?? 0;
  const hardPart = batch(hardState === undefined ? {} : { hardState });
  if (snapshot !== undefined && truncateFrom !== undefined && truncateFrom <= lastIndex) {
    return [batch({ truncateFrom }), batch({ snapshot }), batch({ entries }), hardPart];
  }
  return [
    batch(snapshot === undefined ? {} : { snapshot }),
    batch({ ...(truncateFrom === undefined ? {} : { truncateFrom }), entries }),
    hardPart,
  ];
}

/** The least and most commit index a recovery may show when `acknowledged` batches were. */
function commitBounds(acknowledged: number): { least: number; most: number } {
  let commit = 0;
  let least = 0;
  let term = 0;
  let vote: string | null = null;
  for (const step of script.slice(0, acknowledged)) {
    const hardState = step.hardState;
    const newTermOrVote =
      hardState !== undefined && (hardState.term !== term || hardState.vote !== vote);
    commit = Math.max(commit, hardState?.commit ?? 0);
    if (step.entries.length > 0 || step.truncateFrom !== undefined || newTermOrVote) {
      least = commit;
    }
    term = hardState?.term ?? term;
    vote = hardState === undefined ? vote : hardState.vote;
  }
  const most = Math.max(commit, script[acknowledged]?.hardState?.commit ?? 0);
  return { least, most };
}

function nextEntry(state: Persisted): Entry {
  const last = state.entries.at(-1);
  const lastIndex = last?.index ?? state.snapshot?.index ?? 0;
  const term = Math.max(state.hardState.term, last?.term ?? 0, state.snapshot?.term ?? 0);
  return command(lastIndex + 1, term, "after-crash");
}

export async function checkRecovery(
  crashed: SimFileSystem,
  acknowledged: number,
  label: string,
): Promise<void> {
  const storage = await openFileStorage(dir, options(crashed, 2));
  const recovered = await storage.load();
  const allowed = await allowedStates(acknowledged);
  const commit = recovered.hardState.commit;
  const withCommit = (state: Persisted) => ({
    ...state,
    hardState: { ...state.hardState, commit },
  });
  if (!allowed.some((state) => isDeepStrictEqual(withCommit(state), recovered))) {
    expect.fail(
      `${label}: recovered ${JSON.stringify(recovered)}; allowed ${JSON.stringify(allowed)}`,
    );
  }
  const bounds = commitBounds(acknowledged);
  expect(commit, `${label}: commit`).toBeGreaterThanOrEqual(bounds.least);
  expect(commit, `${label}: commit`).toBeLessThanOrEqual(bounds.most);
  const next = nextEntry(recovered);
  await storage.persist(batch({ entries: [next] }));
  await storage.close();
  const model = new MemoryStorage(recovered);
  await model.persist(batch({ entries: [next] }));
  const expected = await model.load();
  const reopened = await openFileStorage(dir, options(crashed, 3));
  expect(await reopened.load(), `${label}: after appending`).toEqual(expected);
  await reopened.close();
  // What recovery loaded, and what was appended after it, is durable: a node builds on it.
  const again = await openFileStorage(dir, options(crashed.afterCrash("loseUnsynced"), 4));
  expect(await again.load(), `${label}: after appending, then a crash`).toEqual(expected);
  await again.close();
}
