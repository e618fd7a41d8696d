import type { Storage } from "@flotilla/core";
import { describeStorageConformance, type StorageHarness } from "@flotilla/core/testing";
import { afterEach, describe, it } from "vitest";
import { openFileStorage } from "../src/index.js";
import { SimFileSystem } from "../src/testing.js";
import { tempDir } from "./helpers.js";

/** A harness that reopens with `open`; `cleanup` closes the storage, then runs `remove`. */
async function harness(
  open: () => Promise<Storage>,
  remove: () => Promise<void> = async () => {},
): Promise<StorageHarness> {
  let current = await open();
  return {
    get storage() {
      return current;
    },
    async reopen() {
      await current.close();
      current = await open();
      return current;
    },
    async cleanup() {
      await current.close();
      await remove();
    },
  };
}

describeStorageConformance({ describe, it, afterEach }, "FileStorage on node:fs", async () => {
  const { dir, remove } = await tempDir();
  // Small segments so that the suite's few entries already span several files.
  return harness(() => openFileStorage(dir, { segmentBytesMax: 128 }), remove);
});

describeStorageConformance(
  { describe, it, afterEach },
  "FileStorage on the simulated file system",
  async () => {
    const fs = new SimFileSystem();
    return harness(() => openFileStorage("/data", { fs, segmentBytesMax: 1 }));
  },
);
