// The Storage guide's example (docs/writing-a-storage.md): the conformance suite run through the
// public entry points, as an implementer outside this repository runs it. Replace MemoryStorage
// with your storage; `reopen` must give a new instance over the same stored data.
import { MemoryStorage, type Storage } from "@flotilla/core";
import { describeStorageConformance } from "@flotilla/core/testing";
import { afterEach, describe, it } from "vitest";

describeStorageConformance({ describe, it, afterEach }, "MemoryStorage (the guide)", async () => {
  let current: Storage = new MemoryStorage();
  return {
    get storage() {
      return current;
    },
    async reopen() {
      // A restart: close, then open again over what was stored (a file storage reopens its dir).
      const stored = await current.load();
      await current.close();
      current = new MemoryStorage(stored);
      return current;
    },
    async cleanup() {
      await current.close();
    },
  };
});
