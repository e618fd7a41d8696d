// The crash-point tests earn their keep only if they catch real durability bugs. Each defect
// below is planted in the file system FileStorage writes through (as if FileStorage forgot the
// call), and the crash sweep of the scripted run must find a recovery that loses an acknowledged
// batch or shows a state no prefix of the batches could have left. The sweep without a defect is
// crash.test.ts; what each defect breaks is said next to it.

import { describe, expect, it } from "vitest";
import type { FileSystem } from "../src/index.js";
import { SimCrashError, SimFileSystem } from "../src/testing.js";
import { crashModes, testSeed } from "./helpers.js";
import { checkRecovery, runScript } from "./scripted-run.js";

type Defect = (inner: SimFileSystem) => FileSystem;

/** Forwards every call to `inner`, with `overrides` in place of some. */
function through(inner: SimFileSystem, overrides: Partial<FileSystem>): FileSystem {
  return {
    mkdir: (dir) => inner.mkdir(dir),
    readdir: (dir) => inner.readdir(dir),
    readFile: (path) => inner.readFile(path),
    openReadable: (path) => inner.openReadable(path),
    openWritable: (path, mode) => inner.openWritable(path, mode),
    createExclusive: (path, data) => inner.createExclusive(path, data),
    rename: (from, to) => inner.rename(from, to),
    unlink: (path) => inner.unlink(path),
    syncDir: (dir) => inner.syncDir(dir),
    ...overrides,
  };
}

const defects: Record<string, Defect> = {
  // A hard-state file renamed into place, or a new segment, without the directory fsync: a crash
  // brings back the old hard state (a vote forgotten) or loses the segment with its entries.
  renameWithoutDirectorySync: (inner) => through(inner, { syncDir: async () => undefined }),
  // A record acknowledged before its fdatasync: a crash loses acknowledged entries.
  acknowledgeBeforeFsync: (inner) =>
    through(inner, {
      openWritable: async (path, mode) => {
        const file = await inner.openWritable(path, mode);
        return { ...file, sync: async () => undefined };
      },
    }),
  // The hard state written in place instead of through a temp file and a rename: a crash can
  // tear it, and recovery then refuses the directory as corrupt.
  hardStateWrittenInPlace: (inner) =>
    through(inner, {
      rename: async (from, to) => {
        const data = await inner.readFile(from);
        const file = await inner.openWritable(to, "create");
        await file.write(data ?? new Uint8Array(), 0);
        await file.sync();
        await inner.unlink(from);
      },
    }),
};

/** Crashes the scripted run at every point; the first recovery that fails its check, or null. */
async function firstLoss(defect: Defect, seed: number): Promise<string | null> {
  const clean = new SimFileSystem();
  await runScript(defect(clean));
  for (let point = 1; point <= clean.points + 1; point++) {
    const fs = new SimFileSystem();
    fs.crashAtPoint = point;
    const { acknowledged, failure } = await runScript(defect(fs));
    const crashed = failure instanceof SimCrashError || failure === undefined;
    expect(crashed || (failure as Error).cause instanceof SimCrashError).toBe(true);
    for (const [mode, crash] of crashModes(seed + point * 16)) {
      const label = `crash at point ${point}, ${mode}`;
      try {
        await checkRecovery(fs.afterCrash(crash), acknowledged, label);
      } catch (error) {
        return `${label}: ${String(error).slice(0, 300)}`;
      }
    }
  }
  return null;
}

describe("the crash sweep finds each planted storage defect", () => {
  for (const [name, defect] of Object.entries(defects)) {
    it(name, async () => {
      const found = await firstLoss(defect, testSeed(name, 60_606));
      console.log(`planted defect ${name} caught as expected: ${found}`);
      expect(found, "no crash point exposed the defect").not.toBeNull();
    });
  }
});
