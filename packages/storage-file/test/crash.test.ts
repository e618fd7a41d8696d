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

import type { Term } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { openFileStorage, StorageNeedsReopenError } from "../src/index.js";
import { SimCrashError, SimFileSystem } from "../src/testing.js";
import { crashModes, prng, testSeed } from "./helpers.js";
import { checkRecovery, dir, options, runScript, script } from "./scripted-run.js";

/** Runs the script, crashing at `point`; returns how many batches were acknowledged. */
async function runUntilCrash(fs: SimFileSystem, point: number | undefined): Promise<number> {
  fs.crashAtPoint = point;
  const { acknowledged, failure } = await runScript(fs);
  // persist wraps I/O failures in StorageNeedsReopenError; open lets them through.
  const crashed =
    failure === undefined ||
    failure instanceof SimCrashError ||
    (failure as { cause?: unknown }).cause instanceof SimCrashError;
  if (!crashed) throw failure;
  return acknowledged;
}

/** Crashes a scripted run at each of its points, in every crash mode, and checks recovery. */
async function crashAtEveryPoint(seed: number, tornGarbageProbability: number): Promise<void> {
  const clean = new SimFileSystem();
  expect(await runUntilCrash(clean, undefined)).toBe(script.length);
  const points = clean.points;
  expect(points).toBeGreaterThan(script.length * 2);
  for (let point = 1; point <= points + 1; point++) {
    const fs = new SimFileSystem({ tornGarbageProbability });
    const acknowledged = await runUntilCrash(fs, point);
    for (const [name, mode] of crashModes(seed + point * 16)) {
      await checkRecovery(
        fs.afterCrash(mode),
        acknowledged,
        `crash at point ${point}/${points}, ${name}`,
      );
    }
  }
}

describe("FileStorage crash recovery", () => {
  it("recovers every acknowledged batch after a crash at any point", async () => {
    await crashAtEveryPoint(testSeed("crash points", 20_240_601), 0);
  });

  it("recovers every acknowledged batch when each torn write leaves its sector scrambled", async () => {
    // Garbage, not old bytes, after the tear: recovery must cut it as the torn write it is
    // (no whole record after it), never refuse to open, never drop an acknowledged record.
    await crashAtEveryPoint(testSeed("crash points, scrambled tears", 20_261_201), 1);
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
    expect(failed).toBeInstanceOf(StorageNeedsReopenError);
    expect((failed as StorageNeedsReopenError).cause).toBeInstanceOf(SimCrashError);
    await expect(storage.persist(script[1]!)).rejects.toBeInstanceOf(StorageNeedsReopenError);
    await expect(storage.load()).rejects.toBeInstanceOf(StorageNeedsReopenError);
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
