// Crash at every point of a scripted run: before each write, fsync, rename, unlink and directory
// sync that FileStorage makes (the simulated file system numbers them). After each crash, in several
// ways of losing unsynced data (all of it, none of it, random prefixes with torn last writes),
// the recovered storage must hold every batch acknowledged before the crash, and of the batch in
// flight either nothing or a prefix of its parts (snapshot, log record, hard state), never a
// partial record. Then it must accept the next append and keep it across a reopen.
//
// The commit index is the exception: it need not be durable, so it is checked separately. It must
// be at least the commit known when the last acknowledged batch wrote anything (a record or the
// hard-state file; a batch that only moves the commit writes nothing) and at most the largest one
// persisted, in flight included.

import { isDeepStrictEqual } from "node:util";
import {
  type Entry,
  type Index,
  MemoryStorage,
  type PersistBatch,
  type Persisted,
  type Term,
} from "@flotilla/core";
import { batch, command, commands, hard, snapshotAt } from "@flotilla/core/testing";
import { describe, expect, it } from "vitest";
import { openFileStorage, StorageFailedError } from "../src/index.js";
import { SimCrashError, SimFileSystem } from "../src/testing.js";
import { crashModes, prng, testSeed } from "./helpers.js";

const script: readonly PersistBatch[] = [
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

const dir = "/node";
// Small segments: the script rolls several and compaction deletes some.
const options = (fs: SimFileSystem, pid: number) => ({
  fs,
  segmentBytesMax: 120,
  pid,
  isProcessAlive: (candidate: number) => candidate === pid,
});

/** Runs the script, crashing at `point`; returns how many batches were acknowledged. */
async function runUntilCrash(fs: SimFileSystem, point: number | undefined): Promise<number> {
  fs.crashAtPoint = point;
  let acknowledged = 0;
  try {
    const storage = await openFileStorage(dir, options(fs, 1));
    for (const step of script) {
      await storage.persist(step);
      acknowledged += 1;
    }
  } catch (error) {
    // persist wraps I/O failures in StorageFailedError; open lets them through.
    const crashed =
      error instanceof SimCrashError ||
      (error as { cause?: unknown }).cause instanceof SimCrashError;
    if (!crashed) throw error;
  }
  return acknowledged;
}

/** The states a recovery may show when `acknowledged` batches were acknowledged. */
async function allowedStates(acknowledged: number): Promise<Persisted[]> {
  const model = new MemoryStorage();
  for (const step of script.slice(0, acknowledged)) await model.persist(step);
  const states = [await model.load()];
  const inFlight = script[acknowledged];
  if (inFlight === undefined) return states;
  for (const part of durableParts(inFlight, await model.load())) {
    await model.persist(part);
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

async function checkRecovery(
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
  const reopened = await openFileStorage(dir, options(crashed, 3));
  const model = new MemoryStorage(recovered);
  await model.persist(batch({ entries: [next] }));
  expect(await reopened.load(), `${label}: after appending`).toEqual(await model.load());
  await reopened.close();
}

describe("FileStorage crash recovery", () => {
  it("recovers every acknowledged batch after a crash at any point", async () => {
    const seed = testSeed("crash points", 20_240_601);
    const clean = new SimFileSystem();
    expect(await runUntilCrash(clean, undefined)).toBe(script.length);
    const points = clean.points;
    expect(points).toBeGreaterThan(script.length * 2);
    for (let point = 1; point <= points + 1; point++) {
      const fs = new SimFileSystem();
      const acknowledged = await runUntilCrash(fs, point);
      for (const [name, mode] of crashModes(seed + point * 16)) {
        await checkRecovery(
          fs.afterCrash(mode),
          acknowledged,
          `crash at point ${point}/${points}, ${name}`,
        );
      }
    }
  });

  it("recovers after a second crash during recovery itself", async () => {
    const seed = testSeed("crash during recovery", 31_337);
    const clean = new SimFileSystem();
    await runUntilCrash(clean, undefined);
    let recoveryCrashes = 0;
    for (let point = 1; point <= clean.points; point += 1) {
      const fs = new SimFileSystem();
      const acknowledged = await runUntilCrash(fs, point);
      const trialSeed = seed + point;
      const random = prng(trialSeed);
      const crashed = fs.afterCrash({ random });
      // Count the points recovery needs, then crash at each of them in turn.
      const probe = crashed.clone();
      await (await openFileStorage(dir, options(probe, 4))).load();
      for (let again = 1; again <= probe.points; again++) {
        const second = crashed.clone();
        second.crashAtPoint = again;
        await expect(openFileStorage(dir, options(second, 4))).rejects.toBeInstanceOf(
          SimCrashError,
        );
        const label = `crash at point ${point}, again at recovery point ${again}, seed ${trialSeed}`;
        await checkRecovery(second.afterCrash({ random }), acknowledged, label);
        recoveryCrashes += 1;
      }
    }
    // Recovery takes the lock, and often also repairs a torn tail: more than one point each.
    expect(recoveryCrashes).toBeGreaterThan(clean.points);
  });

  it("refuses all calls after a failed write, until reopened", async () => {
    const fs = new SimFileSystem();
    const storage = await openFileStorage(dir, options(fs, 1));
    await storage.persist(script[0]!);
    fs.crashAtPoint = fs.points + 1;
    const failed = await storage.persist(script[1]!).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(StorageFailedError);
    expect((failed as StorageFailedError).cause).toBeInstanceOf(SimCrashError);
    await expect(storage.persist(script[1]!)).rejects.toBeInstanceOf(StorageFailedError);
    await expect(storage.load()).rejects.toBeInstanceOf(StorageFailedError);
  });

  it("keeps a stale lock from the crashed process out of the way", async () => {
    const fs = new SimFileSystem();
    await runUntilCrash(fs, undefined);
    const crashed = fs.afterCrash("keepUnsynced");
    const storage = await openFileStorage(dir, options(crashed, 2));
    expect((await storage.load()).entries.at(-1)?.term).toBe(5 as Term);
    await storage.close();
  });
});
