// Disk faults on the simulated file system: a full disk (ENOSPC) and failing fsyncs (EIO), at
// every point of the scripted run. Each stops the storage with a typed error, leaves nothing
// corrupt, and a restart (in the same machine, or after a crash) recovers every acknowledged
// batch; what it loads and appends after is durable, although a failed fsync may have left data
// in the page cache that never reaches the disk (fsyncgate).

import { type Index, MemoryStorage } from "@flotilla/core";
import { batch, commands, hard } from "@flotilla/core/testing";
import { describe, expect, it } from "vitest";
import { openFileStorage, StorageFullError, StorageNeedsReopenError } from "../src/index.js";
import { SimFileSystem } from "../src/testing.js";
import { prng, testSeed } from "./helpers.js";
import { allowedStates, checkRecovery, dir, options, runScript } from "./scripted-run.js";

/** A file system that counts the operations it was asked for. */
function counted(random: () => number): { fs: SimFileSystem; operations: () => number } {
  let operations = 0;
  const fs = new SimFileSystem({
    random,
    io: async () => {
      operations += 1;
    },
  });
  return { fs, operations: () => operations };
}

describe("FileStorage on a full disk", () => {
  it("stops with StorageFullError at any capacity, and recovers every acknowledged batch once space is back", async () => {
    const seed = testSeed("disk full", 4_040_404);
    // The most the script ever holds on disk at once (compaction frees some as it goes).
    let peak = 0;
    const clean: SimFileSystem = new SimFileSystem({
      io: async () => {
        peak = Math.max(peak, clean.usedBytes);
      },
    });
    await runScript(clean);
    let full = 0;
    for (let capacity = 0; capacity <= peak; capacity += 13) {
      const label = `capacity ${capacity}`;
      const fs = new SimFileSystem({ capacityBytes: capacity });
      const { acknowledged, failure } = await runScript(fs);
      if (failure === undefined) continue;
      full += 1;
      expect(failure, label).toBeInstanceOf(StorageFullError);
      expect((failure as StorageFullError).code).toBe("STORAGE_FULL");
      const crashed = fs.afterCrash({ random: prng(seed + capacity) });
      // Still full: opening either works, on a state that may be shown, or is refused as full.
      const stillFull = await openFileStorage(dir, options(fs, 2)).then(
        async (storage) => {
          const loaded = await storage.load();
          await storage.close();
          return loaded;
        },
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      if (stillFull instanceof Error) expect(stillFull, label).toBeInstanceOf(StorageFullError);
      else {
        // The commit index need not be durable (see crash.test.ts); the rest must be allowed.
        const commit = stillFull.hardState.commit;
        const allowed = (await allowedStates(acknowledged)).map((state) => ({
          ...state,
          hardState: { ...state.hardState, commit },
        }));
        expect(allowed, label).toContainEqual(stillFull);
      }
      fs.capacityBytes = Number.POSITIVE_INFINITY;
      crashed.capacityBytes = Number.POSITIVE_INFINITY;
      await checkRecovery(fs, acknowledged, `${label}, space back`);
      await checkRecovery(crashed, acknowledged, `${label}, crash, space back`);
    }
    expect(full).toBeGreaterThan(peak / 26);
  });

  it("takes back what the failed batch wrote, and refuses every later call without I/O", async () => {
    const { fs, operations } = counted(prng(1));
    fs.capacityBytes = 700;
    // Small segments, so that zero fill does not take the whole capacity at once.
    const storage = await openFileStorage(dir, { fs, segmentBytesMax: 100 });
    let next = 1;
    let failure: unknown;
    let usedBefore = 0;
    while (failure === undefined) {
      usedBefore = fs.usedBytes;
      const entries = commands(next, next + 2, 1);
      failure = await storage.persist(batch({ entries })).catch((error: unknown) => error);
      next += 3;
    }
    expect(failure).toBeInstanceOf(StorageFullError);
    expect(next).toBeGreaterThan(10);
    expect(fs.usedBytes).toBe(usedBefore);
    const before = operations();
    await expect(storage.persist(batch({ hardState: hard(1, null, 0) }))).rejects.toBeInstanceOf(
      StorageNeedsReopenError,
    );
    await expect(storage.load()).rejects.toBeInstanceOf(StorageNeedsReopenError);
    expect(operations()).toBe(before);
  });
});

describe("FileStorage when an fsync fails", () => {
  it("stops with StorageNeedsReopenError (EIO), never retries the fsync, and a restart recovers a durable state", async () => {
    const seed = testSeed("fsync failure", 5_050_505);
    const clean = new SimFileSystem();
    await runScript(clean);
    let failed = 0;
    for (let point = 1; point <= clean.points; point++) {
      const label = `fsync failing at point ${point}`;
      const { fs, operations } = counted(prng(seed + point));
      fs.failSyncAtPoint = point;
      const { acknowledged, failure } = await runScript(fs);
      if (fs.failedSyncs === 0) continue; // not an fsync
      failed += 1;
      expect(failure, label).toBeInstanceOf(StorageNeedsReopenError);
      expect((failure as StorageNeedsReopenError).ioCode, label).toBe("EIO");
      const crashed = fs.afterCrash("random");
      // The failed storage is left open: it must do nothing more. A restart in the same machine
      // (the page cache lives on) and one after a crash both recover a state that is durable.
      const before = operations();
      await checkRecovery(fs, acknowledged, `${label}, restart`);
      expect(operations()).toBeGreaterThan(before);
      await checkRecovery(crashed, acknowledged, `${label}, crash`);
      expect(fs.failedSyncs, label).toBe(1);
    }
    expect(failed).toBeGreaterThan(20);
  });

  it("refuses every call after a failed fsync, and reports the system error", async () => {
    const { fs, operations } = counted(prng(2));
    const storage = await openFileStorage(dir, { fs });
    await storage.persist(batch({ entries: commands(1, 2, 1), hardState: hard(1, "a", 0) }));
    fs.failSyncAtPoint = fs.points + 2; // the write, then its fdatasync
    const failure = await storage
      .persist(batch({ entries: commands(3, 4, 1) }))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageNeedsReopenError);
    expect(failure).toMatchObject({ code: "STORAGE_NEEDS_REOPEN", ioCode: "EIO" });
    const before = operations();
    await expect(storage.persist(batch({ truncateFrom: 2 as Index }))).rejects.toBeInstanceOf(
      StorageNeedsReopenError,
    );
    expect(operations()).toBe(before);
    // Reopened in the same machine: the unsynced record is gone from the page cache too.
    const reopened = await openFileStorage(dir, { fs, pid: 7, isProcessAlive: () => false });
    const model = new MemoryStorage();
    await model.persist(batch({ entries: commands(1, 2, 1), hardState: hard(1, "a", 0) }));
    expect(await reopened.load()).toEqual(await model.load());
    await reopened.close();
  });
});
