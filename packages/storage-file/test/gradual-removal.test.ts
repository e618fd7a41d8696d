// Large files no longer held are cut down a step at a time, then unlinked (gradual-removal.ts):
// only once their reads are done, one file at a time, never while the guard says the file is
// wanted again, and a stop leaves the rest (for the next open) without failing.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry, Index, NodeId, SnapshotStream, Term } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import type { FileSystem, WritableFile } from "../src/fs.js";
import { GradualRemoval, removalStepBytes } from "../src/gradual-removal.js";
import { openFileStorage } from "../src/index.js";

function recordingFs() {
  const calls: string[] = [];
  const file = (path: string): WritableFile => ({
    write: async () => {},
    sync: async () => {},
    truncate: async (size) => {
      calls.push(`truncate ${path} ${size}`);
    },
    close: async () => {
      calls.push(`close ${path}`);
    },
  });
  const fs = {
    openWritable: async (path: string) => {
      calls.push(`open ${path}`);
      return file(path);
    },
    unlink: async (path: string) => {
      calls.push(`unlink ${path}`);
    },
    rename: async (from: string, to: string) => {
      calls.push(`rename ${from} ${to}`);
    },
    syncDir: async (dir: string) => {
      calls.push(`syncDir ${dir}`);
    },
  } as unknown as FileSystem;
  return { fs, calls };
}

describe("GradualRemoval", () => {
  it("cuts each file down from its end a step at a time, then unlinks it, one file after another", async () => {
    const { fs, calls } = recordingFs();
    const removal = new GradualRemoval(fs);
    removal.remove("a", 3 * removalStepBytes + 5, {});
    removal.remove("b", 2 * removalStepBytes, {});
    await removal.settled();
    const step = removalStepBytes;
    expect(calls).toEqual([
      "open a",
      `truncate a ${2 * step + 5}`,
      `truncate a ${step + 5}`,
      "truncate a 5",
      "close a",
      "unlink a",
      "open b",
      `truncate b ${step}`,
      "close b",
      "unlink b",
    ]);
  });

  it("sets a file aside under another name, durably, before the first cut", async () => {
    const { fs, calls } = recordingFs();
    const removal = new GradualRemoval(fs);
    removal.remove("d/seg", 2 * removalStepBytes, { setAside: { path: "d/seg.tmp", dir: "d" } });
    await removal.settled();
    expect(calls).toEqual([
      "rename d/seg d/seg.tmp",
      "syncDir d",
      "open d/seg.tmp",
      `truncate d/seg.tmp ${removalStepBytes}`,
      "close d/seg.tmp",
      "unlink d/seg.tmp",
    ]);
  });

  it("waits for the file's reads to finish before the first cut", async () => {
    const { fs, calls } = recordingFs();
    const removal = new GradualRemoval(fs);
    let readsDone = () => {};
    const unused = new Promise<void>((resolve) => {
      readsDone = resolve;
    });
    removal.remove("a", 2 * removalStepBytes, { unused });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toEqual([]);
    readsDone();
    await removal.settled();
    expect(calls.at(-1)).toBe("unlink a");
  });

  it("stops cutting (and never unlinks) once the guard says the file is wanted, or on stop", async () => {
    const { fs, calls } = recordingFs();
    const removal = new GradualRemoval(fs);
    // Wanted again after the first cut.
    const obsolete = () => !calls.some((call) => call.startsWith("truncate"));
    removal.remove("a", 4 * removalStepBytes, { obsolete });
    await removal.settled();
    expect(calls).toEqual(["open a", `truncate a ${3 * removalStepBytes}`, "close a"]);

    const second = recordingFs();
    const stopping = new GradualRemoval(second.fs);
    stopping.remove("b", 4 * removalStepBytes, {});
    await stopping.stop();
    expect(second.calls.includes("unlink b")).toBe(false);
  });

  it("the planted rules: a file cut under its own name, and cut while reads still use it", async () => {
    const { fs, calls } = recordingFs();
    const rules = { setsAsideCoveredSegments: false, removalWaitsForReads: false };
    const removal = new GradualRemoval(fs, undefined, rules);
    const unused = new Promise<void>(() => {}); // reads that never end
    removal.remove("d/seg", 2 * removalStepBytes, { setAside: { path: "d/seg.tmp", dir: "d" } });
    removal.remove("d/snap", 2 * removalStepBytes, { unused });
    await removal.settled();
    expect(calls).toEqual([
      "open d/seg",
      `truncate d/seg ${removalStepBytes}`,
      "close d/seg",
      "unlink d/seg",
      "open d/snap",
      `truncate d/snap ${removalStepBytes}`,
      "close d/snap",
      "unlink d/snap",
    ]);
  });

  it("a stop does not wait for reads that never end (a restore its consumer dropped)", async () => {
    const { fs, calls } = recordingFs();
    const removal = new GradualRemoval(fs);
    removal.remove("a", 2 * removalStepBytes, { unused: new Promise<void>(() => {}) });
    await removal.stop();
    expect(calls).toEqual([]);
  });

  it("a failed cut leaves the file for the next open, and later removals still run", async () => {
    const { fs, calls } = recordingFs();
    const failing = {
      ...fs,
      openWritable: async (path: string) => {
        if (path === "gone") throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
        return fs.openWritable(path, "existing");
      },
    } as FileSystem;
    const removal = new GradualRemoval(failing);
    removal.remove("gone", 2 * removalStepBytes, {});
    removal.remove("b", 2 * removalStepBytes, {});
    await expect(removal.settled()).resolves.toBeUndefined();
    expect(calls).toEqual(["open b", `truncate b ${removalStepBytes}`, "close b", "unlink b"]);
  });

  it("FileStorage removes a superseded large snapshot's file and large covered segments while it runs; a reopen finds the log whole", async () => {
    const dir = await mkdtemp(join(tmpdir(), "flotilla-gradual-removal-"));
    try {
      // Segments just over one cut, so that the covered ones are removed in the background.
      const segmentBytesMax = removalStepBytes + 1024 * 1024;
      const storage = await openFileStorage(dir, { segmentBytesMax });
      const value = new Uint8Array(256 * 1024).fill(9);
      const entry = (index: number): Entry => ({
        kind: "command",
        index: index as Index,
        term: 1 as Term,
        data: value,
      });
      const appendUpTo = async (from: number, to: number) => {
        for (let index = from; index <= to; index++) {
          await storage.persist({ entries: [entry(index)] });
        }
      };
      const bytes = 2 * removalStepBytes + 12_345;
      const membership = { voters: ["a" as NodeId], learners: [] };
      const segments = async () => (await readdir(dir)).filter((name) => name.endsWith(".seg"));
      await appendUpTo(1, 80); // ~20 MiB: three segments
      expect((await segments()).length).toBe(3);
      for (const index of [40, 79]) {
        const stored = await storage.writeSnapshot(index as Index, filled(bytes, index));
        const snapshot = { index: index as Index, term: 1 as Term, membership, ...stored };
        await storage.persist({ entries: [], snapshot });
      }
      await appendUpTo(81, 82);
      // Removed in the background: wait (bounded) until the old files are gone.
      const gone = async () => {
        const names = await readdir(dir);
        return !names.includes("snapshot-40.data") && (await segments()).length === 1;
      };
      for (let tries = 0; tries < 200 && !(await gone()); tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await gone()).toBe(true);
      expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
      expect(await readdir(dir)).toContain("snapshot-79.data");
      await storage.close();
      const reopened = await openFileStorage(dir, { segmentBytesMax });
      const loaded = await reopened.load();
      expect(loaded.snapshot?.index).toBe(79);
      expect(loaded.entries.map((e) => e.index)).toEqual([80, 81, 82]);
      let read = 0;
      for await (const slice of reopened.readSnapshot(loaded.snapshot!)) read += slice.byteLength;
      expect(read).toBe(bytes);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function* filled(bytes: number, value: number): SnapshotStream {
  const slice = new Uint8Array(1024 * 1024).fill(value);
  for (let left = bytes; left > 0; left -= slice.length) {
    yield left >= slice.length ? slice : slice.subarray(0, left);
  }
}
