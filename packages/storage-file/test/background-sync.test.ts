// Background syncs of a snapshot file being written (background-sync.ts): one starts every
// syncEveryBytes written, never more than one at a time, the writer waiting for one before the
// next starts (so at most two ranges are dirty), a failure of one surfaces from `finish` (the file
// is not durable), and `abandon` waits for them without throwing.
import { describe, expect, it } from "vitest";
import { BackgroundSync, syncEveryBytes } from "../src/background-sync.js";
import type { WritableFile } from "../src/fs.js";

function fakeFile(fail = false) {
  const calls = { syncs: 0, running: 0, overlapped: false };
  const file: WritableFile = {
    write: async () => {},
    truncate: async () => {},
    close: async () => {},
    sync: async () => {
      calls.syncs += 1;
      calls.running += 1;
      if (calls.running > 1) calls.overlapped = true;
      await new Promise((resolve) => setTimeout(resolve, 1));
      calls.running -= 1;
      if (fail) throw new Error("EIO");
    },
  };
  return { file, calls };
}

describe("BackgroundSync", () => {
  it("syncs every syncEveryBytes in the background, one at a time, and once more at the end", async () => {
    const { file, calls } = fakeFile();
    const syncing = new BackgroundSync(file);
    await syncing.wrote(syncEveryBytes - 1);
    expect(calls.syncs).toBe(0);
    for (let i = 0; i < 3; i++) await syncing.wrote(syncEveryBytes);
    await syncing.finish();
    expect(calls.syncs).toBe(4); // three in the background, then the final one
    expect(calls.overlapped).toBe(false);
  });

  it("paces the writer: the next range's sync waits for the one before, the write for it", async () => {
    const { file, calls } = fakeFile();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: WritableFile = {
      ...file,
      sync: async () => {
        await held;
        await file.sync();
      },
    };
    const syncing = new BackgroundSync(slow);
    await syncing.wrote(syncEveryBytes); // the first sync starts in the background, not awaited
    let second = false;
    const next = syncing.wrote(syncEveryBytes).then(() => {
      second = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(second).toBe(false); // still waiting for the first sync
    release();
    await next;
    await syncing.finish();
    expect(calls.syncs).toBe(3);
    expect(calls.overlapped).toBe(false);
  });

  it("a failed background sync fails finish; abandon waits and does not throw", async () => {
    const { file } = fakeFile(true);
    const failing = new BackgroundSync(file);
    await failing.wrote(syncEveryBytes);
    await expect(failing.finish()).rejects.toThrow("EIO");
    const discarded = new BackgroundSync(fakeFile(true).file);
    await discarded.wrote(syncEveryBytes);
    await expect(discarded.abandon()).resolves.toBeUndefined();
  });
});
