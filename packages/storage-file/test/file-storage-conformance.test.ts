import type { Storage } from "@flotilla/core";
import { describeStorageConformance } from "../../core/test/storage-conformance.js";
import { openFileStorage } from "../src/index.js";
import { FakeFileSystem } from "./fake-fs.js";
import { tempDir } from "./helpers.js";

describeStorageConformance("FileStorage on node:fs", async () => {
  const { dir, remove } = await tempDir();
  // Small segments so that the suite's few entries already span several files.
  const open = () => openFileStorage(dir, { segmentBytesMax: 128 });
  let current: Storage = await open();
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
});

describeStorageConformance("FileStorage on the fake file system", async () => {
  const fs = new FakeFileSystem();
  const open = () => openFileStorage("/data", { fs, segmentBytesMax: 1 });
  let current: Storage = await open();
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
    },
  };
});
