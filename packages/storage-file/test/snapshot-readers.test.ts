// A snapshot being sent is read through one open handle (snapshot-readers.ts), one chunk at a
// time: opened at its first chunk, closed once it is superseded, set aside, a read of it fails,
// or the storage closes; a handle retired while reads still use it is closed by the last of them.

import { batch, commands, hard, persistStored, snapshotAt } from "@flotilla/core/testing";
import { describe, expect, it } from "vitest";
import type { FileSystem, ReadableFile } from "../src/fs.js";
import { openFileStorage } from "../src/index.js";
import { SimFileSystem } from "../src/testing.js";

const dir = "/node";
const text = "x".repeat(300 * 1024);

/** A SimFileSystem whose data-file handles are counted, and whose reads can be held or failed. */
function countingFs() {
  const sim = new SimFileSystem();
  const counts = { opens: 0, closes: 0 };
  const reads = { inFlight: 0, most: 0 };
  const control = {
    /** The next data-file read waits for this promise. */
    hold: null as Promise<void> | null,
    /** The next data-file read fails with this error. */
    fail: null as Error | null,
  };
  const fs: FileSystem = {
    mkdir: (path) => sim.mkdir(path),
    readdir: (path) => sim.readdir(path),
    readFile: (path) => sim.readFile(path),
    openWritable: (path, mode) => sim.openWritable(path, mode),
    createExclusive: (path, data) => sim.createExclusive(path, data),
    rename: (from, to) => sim.rename(from, to),
    unlink: (path) => sim.unlink(path),
    syncDir: (path) => sim.syncDir(path),
    openReadable: (path) => openCounted(path),
  };
  const openCounted = async (path: string): Promise<ReadableFile | null> => {
    const file = await sim.openReadable(path);
    if (file === null || !path.endsWith(".data")) return file;
    counts.opens += 1;
    const counted: ReadableFile = {
      size: file.size,
      async read(position, length) {
        reads.inFlight += 1;
        reads.most = Math.max(reads.most, reads.inFlight);
        try {
          const hold = control.hold;
          control.hold = null;
          if (hold !== null) await hold;
          const fail = control.fail;
          control.fail = null;
          if (fail !== null) throw fail;
          // A disk's latency: a read asked for meanwhile could overlap this one.
          await new Promise((resolve) => setTimeout(resolve, 1));
          return await file.read(position, length);
        } finally {
          reads.inFlight -= 1;
        }
      },
      async close() {
        counts.closes += 1;
        await file.close();
      },
    };
    return counted;
  };
  return { fs, counts, control, reads };
}

async function storageWithSnapshot(fs: FileSystem) {
  const storage = await openFileStorage(dir, { fs });
  const snapshot = snapshotAt(3, 1, text);
  await persistStored(storage, batch({ entries: commands(1, 3, 1), hardState: hard(1, "a", 3) }));
  await persistStored(storage, batch({ snapshot }));
  return { storage, snapshot };
}

describe("FileStorage's chunk reads of a snapshot being sent", () => {
  it("open its data file once, read it one chunk at a time, and close it when a newer one is in force", async () => {
    const { fs, counts, reads } = countingFs();
    const { storage, snapshot } = await storageWithSnapshot(fs);
    const chunk = 64 * 1024;
    const offsets = Array.from({ length: Math.ceil(snapshot.size / chunk) }, (_, i) => i * chunk);
    const chunks = await Promise.all(
      offsets.map((offset) => storage.readSnapshotChunk(snapshot, offset, chunk)),
    );
    const joined = Buffer.concat(chunks.map((bytes) => bytes!));
    expect(joined.toString()).toBe(text);
    expect(await storage.readSnapshotChunk(snapshot, 0, 10)).not.toBeNull();
    expect(counts).toEqual({ opens: 1, closes: 0 });
    // A window asked for at once is read one chunk at a time (each completes on its own).
    expect(reads.most).toBe(1);
    await persistStored(storage, batch({ snapshot: snapshotAt(9, 2), entries: [] }));
    expect(counts).toEqual({ opens: 1, closes: 1 });
    expect(await storage.readSnapshotChunk(snapshot, 0, 10)).toBeNull();
    await storage.close();
  });

  it("close a handle retired mid-read once that read ends, and reopen after a failed read", async () => {
    const { fs, counts, control } = countingFs();
    const { storage, snapshot } = await storageWithSnapshot(fs);
    let release = () => {};
    control.hold = new Promise((resolve) => {
      release = resolve;
    });
    const reading = storage.readSnapshotChunk(snapshot, 0, 100);
    // Superseded while the read waits on the disk: the handle stays open for it.
    await persistStored(storage, batch({ snapshot: snapshotAt(9, 2), entries: [] }));
    expect(counts).toEqual({ opens: 1, closes: 0 });
    release();
    expect((await reading)?.byteLength).toBe(100);
    expect(counts).toEqual({ opens: 1, closes: 1 });
    // A read that fails (EIO) gives up its handle; the next read opens the file again.
    const newer = snapshotAt(9, 2);
    control.fail = Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
    await expect(storage.readSnapshotChunk(newer, 0, 1)).rejects.toThrow();
    expect(counts).toEqual({ opens: 2, closes: 2 });
    expect(await storage.readSnapshotChunk(newer, 0, 2)).toEqual(new TextEncoder().encode("s9"));
    expect(counts).toEqual({ opens: 3, closes: 2 });
    await storage.close();
    expect(counts).toEqual({ opens: 3, closes: 3 });
  });
});
