// A snapshot being sent is read through one open handle (snapshot-readers.ts), one chunk at a
// time: opened at its first chunk, closed once it is superseded, set aside, a read of it fails,
// or the storage closes; a handle retired while reads still use it is closed by the last of them.
// A snapshot read whole (a restore) is read two slices ahead of its consumer.

import { readAllBytes, type SnapshotStream } from "@flotilla/core";
import {
  batch,
  commands,
  hard,
  persistStored,
  snapshotAt,
  snapshotData,
} from "@flotilla/core/testing";
import { describe, expect, it } from "vitest";
import type { FileSystem, ReadableFile } from "../src/fs.js";
import { openFileStorage } from "../src/index.js";
import { SimFileSystem } from "../src/testing.js";
import { withOpenReadable } from "./helpers.js";

const dir = "/node";
const text = "x".repeat(300 * 1024);

/** A SimFileSystem whose data-file handles are counted, and whose reads can be held or failed. */
function countingFs() {
  const sim = new SimFileSystem();
  const counts = { opens: 0, closes: 0 };
  const reads = { inFlight: 0, most: 0, asked: [] as number[] };
  const control = {
    /** The next data-file read waits for this promise. */
    hold: null as Promise<void> | null,
    /** The next data-file read fails with this error. */
    fail: null as Error | null,
    /** The next data-file read returns only half of what it was asked for. */
    short: false,
  };
  const fs = withOpenReadable(sim, (path) => openCounted(path));
  const openCounted = async (path: string): Promise<ReadableFile | null> => {
    const file = await sim.openReadable(path);
    if (file === null || !path.endsWith(".data")) return file;
    counts.opens += 1;
    const counted: ReadableFile = {
      size: file.size,
      async read(position, length) {
        reads.asked.push(position);
        reads.inFlight += 1;
        reads.most = Math.max(reads.most, reads.inFlight);
        try {
          const hold = control.hold;
          control.hold = null;
          if (hold !== null) await hold;
          const fail = control.fail;
          control.fail = null;
          if (fail !== null) throw fail;
          const short = control.short;
          control.short = false;
          // A disk's latency: a read asked for meanwhile could overlap this one.
          await new Promise((resolve) => setTimeout(resolve, 1));
          return await file.read(position, short ? Math.floor(length / 2) : length);
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

async function storageWithSnapshot(fs: FileSystem, content = text) {
  const storage = await openFileStorage(dir, { fs });
  const snapshot = snapshotAt(3, 1, content);
  await persistStored(storage, batch({ entries: commands(1, 3, 1), hardState: hard(1, "a", 3) }));
  // Stored in one slice (persistStored streams it 3 bytes at a time: slow for megabytes).
  await storage.writeSnapshot(snapshot.index, oneSlice(snapshotData(snapshot)));
  await storage.persist(batch({ snapshot }));
  return { storage, snapshot };
}

async function* oneSlice(data: Uint8Array): SnapshotStream {
  yield data;
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

describe("FileStorage's whole reads of a snapshot (a restore)", () => {
  const mib = 1024 * 1024;
  const big = "y".repeat(3 * mib + 5);

  it("read the next slices while the consumer works on this one", async () => {
    const { fs, reads } = countingFs();
    const { storage, snapshot } = await storageWithSnapshot(fs, big);
    const stream = storage.readSnapshot(snapshot)[Symbol.asyncIterator]();
    const first = await stream.next();
    expect(first.value?.byteLength).toBe(mib);
    // The consumer holds the first slice; the next two are already asked for.
    expect(reads.asked).toEqual([0, mib, 2 * mib]);
    let total = first.value?.byteLength ?? 0;
    for (let next = await stream.next(); next.done !== true; next = await stream.next()) {
      total += next.value.byteLength;
    }
    expect(total).toBe(snapshot.size);
    expect(reads.asked).toEqual([0, mib, 2 * mib, 3 * mib]);
    await storage.close();
  });

  it("close the file after the read ahead when the consumer stops, and report its failure to one that goes on", async () => {
    const { fs, counts, control } = countingFs();
    const { storage, snapshot } = await storageWithSnapshot(fs, big);
    const stopping = storage.readSnapshot(snapshot)[Symbol.asyncIterator]();
    await stopping.next();
    await stopping.return?.();
    expect(counts).toEqual({ opens: 1, closes: 1 });
    const failing = storage.readSnapshot(snapshot)[Symbol.asyncIterator]();
    await failing.next();
    // Slices 1 and 2 were asked for with slice 0; slice 3, asked for as slice 1 is handed out,
    // fails (EIO) while the consumer works: no unhandled rejection, and the consumer's pull of
    // it gets the error.
    control.fail = Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
    expect((await failing.next()).value?.byteLength).toBe(mib);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await failing.next()).value?.byteLength).toBe(mib);
    await expect(failing.next()).rejects.toThrow("EIO");
    expect(counts).toEqual({ opens: 2, closes: 2 });
    await storage.close();
  });

  it("go on from where a short read ended", async () => {
    const { fs, control } = countingFs();
    const { storage, snapshot } = await storageWithSnapshot(fs, big);
    control.short = true;
    const bytes = await readAllBytes(storage.readSnapshot(snapshot));
    expect(new TextDecoder().decode(bytes)).toBe(big);
    await storage.close();
  });
});
