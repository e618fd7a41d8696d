// The commit index rides in the log record instead of the hard-state file (see file-storage.ts):
// what that costs in fsyncs, what survives a reopen, and that it never goes back.

import type { Index } from "@flotilla/core";
import { batch, command, commands, hard } from "@flotilla/core/testing";
import { describe, expect, it } from "vitest";
import { type FileSystem, openFileStorage, type WritableFile } from "../src/index.js";
import { encodeLogRecord } from "../src/log-record.js";
import { frameRecord, segmentMagic } from "../src/record.js";
import { SimFileSystem } from "../src/testing.js";

/** Counts the fsyncs (of files and of directories) made through `inner`. */
function countingSyncs(inner: FileSystem): { fs: FileSystem; syncs: () => number } {
  let syncs = 0;
  const count = (file: WritableFile): WritableFile => ({
    write: (data, position) => file.write(data, position),
    sync: () => {
      syncs += 1;
      return file.sync();
    },
    truncate: (size) => file.truncate(size),
    close: () => file.close(),
  });
  const fs: FileSystem = {
    mkdir: (dir) => inner.mkdir(dir),
    readdir: (dir) => inner.readdir(dir),
    readFile: (path) => inner.readFile(path),
    openReadable: (path) => inner.openReadable(path),
    openWritable: async (path, mode) => count(await inner.openWritable(path, mode)),
    createExclusive: (path, data) => inner.createExclusive(path, data),
    rename: (from, to) => inner.rename(from, to),
    unlink: (path) => inner.unlink(path),
    syncDir: (dir) => {
      syncs += 1;
      return inner.syncDir(dir);
    },
  };
  return { fs, syncs: () => syncs };
}

const dir = "/node";

describe("FileStorage commit index", () => {
  it("costs one fsync for entries with a moved commit, and the hard-state file for a new term", async () => {
    const { fs, syncs } = countingSyncs(new SimFileSystem());
    const storage = await openFileStorage(dir, { fs });
    await storage.persist(batch({ entries: commands(1, 2, 1), hardState: hard(1, "a", 0) }));
    const cost = async (parts: Parameters<typeof batch>[0]) => {
      const before = syncs();
      await storage.persist(batch(parts));
      return syncs() - before;
    };
    expect(await cost({ entries: commands(3, 4, 1), hardState: hard(1, "a", 2) })).toBe(1);
    expect(await cost({ entries: commands(5, 6, 1) })).toBe(1);
    expect(await cost({ hardState: hard(1, "a", 6) })).toBe(0);
    // A new term or vote is written to the hard-state file: temp file fsync + directory fsync.
    expect(await cost({ entries: commands(7, 7, 2), hardState: hard(2, "b", 6) })).toBe(3);
    expect(await cost({ hardState: hard(3, null, 6) })).toBe(2);
    await storage.close();
  });

  it("recovers the largest commit recorded; a commit-only batch is carried by the next record", async () => {
    const fs = new SimFileSystem();
    const storage = await openFileStorage(dir, { fs });
    await storage.persist(batch({ entries: commands(1, 4, 1), hardState: hard(1, "a", 0) }));
    await storage.persist(batch({ entries: commands(5, 6, 1), hardState: hard(1, "a", 3) }));
    await storage.persist(batch({ hardState: hard(1, "a", 5) }));
    expect((await storage.load()).hardState).toEqual(hard(1, "a", 5));
    await storage.close();

    // The commit-only batch wrote nothing: a restart knows the commit of the last record.
    const reopened = await openFileStorage(dir, { fs });
    expect((await reopened.load()).hardState).toEqual(hard(1, "a", 3));
    await reopened.persist(batch({ hardState: hard(1, "a", 5) }));
    await reopened.persist(batch({ entries: commands(7, 7, 1) }));
    await reopened.close();
    const again = await openFileStorage(dir, { fs });
    expect((await again.load()).hardState).toEqual(hard(1, "a", 5));
    await again.close();
  });

  it("keeps a commit newer than the hard-state file, and the file's when it is newer", async () => {
    const fs = new SimFileSystem();
    const options = { fs, segmentBytesMax: 1 };
    const storage = await openFileStorage(dir, options);
    await storage.persist(batch({ entries: commands(1, 4, 1), hardState: hard(1, "a", 1) }));
    await storage.persist(batch({ entries: commands(5, 5, 1), hardState: hard(1, "a", 4) }));
    await storage.close();
    const reopened = await openFileStorage(dir, options);
    expect((await reopened.load()).hardState).toEqual(hard(1, "a", 4));
    await reopened.persist(batch({ hardState: hard(2, null, 5) }));
    await reopened.close();
    const again = await openFileStorage(dir, options);
    expect((await again.load()).hardState).toEqual(hard(2, null, 5));
    await again.close();
  });

  it("never lets the commit go back, in memory or across a reopen", async () => {
    const fs = new SimFileSystem();
    const storage = await openFileStorage(dir, { fs });
    await storage.persist(batch({ entries: commands(1, 4, 1), hardState: hard(1, "a", 4) }));
    await storage.persist(batch({ entries: commands(5, 5, 1), hardState: hard(1, "a", 2) }));
    expect((await storage.load()).hardState).toEqual(hard(1, "a", 4));
    await storage.persist(batch({ hardState: hard(2, "b", 0) }));
    expect((await storage.load()).hardState).toEqual(hard(2, "b", 4));
    await storage.close();
    const reopened = await openFileStorage(dir, { fs });
    expect((await reopened.load()).hardState).toEqual(hard(2, "b", 4));
    await reopened.close();
  });

  it("keeps node ids that are not ASCII in the hard state and the snapshot metadata", async () => {
    // The metadata's JSON is copied a character at a time when ASCII (meta-files.ts), else encoded.
    const fs = new SimFileSystem();
    const storage = await openFileStorage(dir, { fs });
    await storage.persist(batch({ entries: commands(1, 3, 1), hardState: hard(1, "nœud-ü", 3) }));
    await storage.close();
    const reopened = await openFileStorage(dir, { fs });
    expect((await reopened.load()).hardState).toEqual(hard(1, "nœud-ü", 3));
    await reopened.close();
  });

  it("frames records of shrinking and growing sizes in its reused buffer, each read back whole", async () => {
    const fs = new SimFileSystem();
    const storage = await openFileStorage(dir, { fs, segmentBytesMax: 512 });
    const entries = [200, 3, 90, 1, 400, 7].map((size, i) => ({
      ...command(i + 1, 1),
      data: new Uint8Array(size).fill(size),
    }));
    await storage.persist(batch({ entries: entries.slice(0, 1), hardState: hard(1, "a", 0) }));
    for (const entry of entries.slice(1)) await storage.persist(batch({ entries: [entry] }));
    await storage.close();
    const reopened = await openFileStorage(dir, { fs, segmentBytesMax: 512 });
    expect((await reopened.load()).entries).toEqual(entries);
    await reopened.close();
  });

  it("reads log records written before the commit was recorded (format kind 1) as commit 0", async () => {
    const fs = new SimFileSystem();
    await fs.mkdir(dir);
    const current = encodeLogRecord({ prevIndex: 0 as Index, commit: 0 as Index, entries: [] });
    const entries = commands(1, 2, 1);
    const withEntries = encodeLogRecord({ prevIndex: 0 as Index, commit: 9 as Index, entries });
    // Kind 1 is kind 2 without the u64 commit after prevIndex.
    const v1 = new Uint8Array(withEntries.length - 8);
    v1.set(withEntries.subarray(0, 9));
    v1[0] = 1;
    v1.set(withEntries.subarray(17), 9);
    expect(current[0]).toBe(2);
    const file = await fs.openWritable(`${dir}/log-0000000000000001.seg`, "create");
    const framed = frameRecord(v1, true);
    expect(framed.subarray(0, segmentMagic.length)).toEqual(segmentMagic);
    await file.write(framed, 0);
    await file.sync();
    const storage = await openFileStorage(dir, { fs });
    expect(await storage.load()).toEqual({ hardState: hard(0, null, 0), snapshot: null, entries });
    await storage.close();
  });
});
