// nodeFileSystem on the real disk: a durable append is one O_DSYNC write (writeSynced), not a
// write and an fdatasync, and FileStorage's log appends take that path.

import { constants } from "node:fs";
import { readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { batch, commands, hard } from "@flotilla/core/testing";
import { describe, expect, it } from "vitest";
import { nodeFileSystem } from "../src/fs.js";
import { type FileSystem, openFileStorage, type WritableFile } from "../src/index.js";
import { tempDir } from "./helpers.js";

/** The open flags of every descriptor of this process open on `path` (Linux: /proc/self). */
async function openFlags(path: string): Promise<number[]> {
  const { readdir } = await import("node:fs/promises");
  const flags: number[] = [];
  for (const fd of await readdir("/proc/self/fd")) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => null);
    if (target !== path) continue;
    const info = await readFile(`/proc/self/fdinfo/${fd}`, "utf8").catch(() => null);
    const octal = info?.match(/^flags:\s+([0-7]+)$/m)?.[1];
    if (octal !== undefined) flags.push(Number.parseInt(octal, 8));
  }
  return flags;
}

describe("nodeFileSystem", () => {
  it("writes durably through a descriptor opened O_DSYNC, and closes it with the file", async () => {
    const { dir, remove } = await tempDir();
    try {
      const path = join(dir, "f");
      const file = await nodeFileSystem.openWritable(path, "create");
      await file.write(new Uint8Array([1, 2, 3, 4]), 0);
      expect((await openFlags(path)).some((f) => (f & constants.O_DSYNC) !== 0)).toBe(false);
      await file.writeSynced?.(new Uint8Array([9, 9]), 2);
      await file.writeSynced?.(new Uint8Array([7]), 4);
      const dsync = (await openFlags(path)).filter((f) => (f & constants.O_DSYNC) !== 0);
      expect(dsync).toHaveLength(1);
      expect([...(await readFile(path))]).toEqual([1, 2, 9, 9, 7]);
      await file.close();
      expect(await openFlags(path)).toEqual([]);
    } finally {
      await remove();
    }
  });

  it("is how FileStorage appends to its log: one writeSynced per persist, no separate sync", async () => {
    const { dir, remove } = await tempDir();
    const calls: string[] = [];
    const counted = (file: WritableFile): WritableFile => ({
      write: (data, position) => {
        calls.push("write");
        return file.write(data, position);
      },
      sync: () => {
        calls.push("sync");
        return file.sync();
      },
      writeSynced: (data, position) => {
        calls.push("writeSynced");
        return file.writeSynced?.(data, position) ?? Promise.reject(new Error("missing"));
      },
      truncate: (size) => file.truncate(size),
      close: () => file.close(),
    });
    const fs: FileSystem = {
      ...nodeFileSystem,
      openWritable: async (path, mode) => counted(await nodeFileSystem.openWritable(path, mode)),
    };
    try {
      const storage = await openFileStorage(dir, { fs });
      await storage.persist(batch({ entries: commands(1, 1, 1), hardState: hard(1, "a", 0) }));
      calls.length = 0;
      for (let i = 2; i <= 5; i++) await storage.persist(batch({ entries: commands(i, i, 1) }));
      expect(calls).toEqual(["writeSynced", "writeSynced", "writeSynced", "writeSynced"]);
      await storage.close();
      const reopened = await openFileStorage(dir);
      expect((await reopened.load()).entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
      await reopened.close();
    } finally {
      await remove();
    }
  });
});
