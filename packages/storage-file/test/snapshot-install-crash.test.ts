// The crash window of a follower installing a snapshot that disagrees with its log (Raft §7: "If
// existing log entry has same index and term as snapshot's last included entry, retain log
// entries following it; otherwise discard the entire log"). The batch stores the snapshot and
// truncates the suffix after it. Were the snapshot durable before the truncation, a crash between
// the two would restart the node with the snapshot followed by the old, divergent suffix: entries
// of a deposed leader after a committed entry they do not follow, which the node would then offer
// as its log (and apply, once a commit index covers them).

import type { Index, Persisted } from "@flotilla/core";
import { batch, commands, hard, persistStored, snapshotAt } from "@flotilla/core/testing";
import { describe, expect, it } from "vitest";
import { openFileStorage } from "../src/index.js";
import { SimCrashError, SimFileSystem } from "../src/testing.js";
import { crashModes, testSeed } from "./helpers.js";

const dir = "/follower";
const options = (fs: SimFileSystem, pid: number) => ({
  fs,
  pid,
  isProcessAlive: (candidate: number) => candidate === pid,
});

/** Entries 1-6 of term 1 (commit 2); then a snapshot at 4 of term 2 replaces the whole log. */
const before = batch({ entries: commands(1, 6, 1), hardState: hard(1, "a", 2) });
const install = batch({
  snapshot: snapshotAt(4, 2),
  truncateFrom: 5 as Index,
  hardState: hard(2, null, 4),
});

/** Runs both batches on `fs`, crashing at `point` (if given). */
async function run(fs: SimFileSystem, point: number | undefined): Promise<void> {
  fs.crashAtPoint = point;
  try {
    const storage = await openFileStorage(dir, options(fs, 1));
    await persistStored(storage, before);
    await persistStored(storage, install);
    await storage.close();
  } catch (error) {
    const crashed =
      error instanceof SimCrashError ||
      (error as { cause?: unknown }).cause instanceof SimCrashError;
    if (!crashed) throw error;
  }
}

/** The log after the snapshot must hang together with it: no entry of the divergent suffix. */
function checkConsistent(state: Persisted, label: string): void {
  const snapshot = state.snapshot;
  if (snapshot === null) {
    // Before the install took effect: the old log, or a prefix of it, never beyond index 6.
    expect(
      state.entries.every((entry) => entry.term === 1),
      label,
    ).toBe(true);
    return;
  }
  expect(snapshot.index, label).toBe(4);
  expect(state.entries, `${label}: entries after the snapshot at 4 (term 2)`).toEqual([]);
}

describe("FileStorage installing a snapshot that disagrees with the log", () => {
  it("never restarts with the divergent suffix after the snapshot, whatever point a crash hits", async () => {
    const seed = testSeed("snapshot install crash window", 9_090);
    const clean = new SimFileSystem();
    await run(clean, undefined);
    const points = clean.points;
    for (let point = 1; point <= points + 1; point++) {
      const fs = new SimFileSystem();
      await run(fs, point);
      for (const [name, mode] of crashModes(seed + point * 16)) {
        const label = `crash at point ${point}/${points}, ${name}`;
        const storage = await openFileStorage(dir, options(fs.afterCrash(mode), 2));
        checkConsistent(await storage.load(), label);
        await storage.close();
      }
    }
  });
});
