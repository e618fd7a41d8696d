// The Storage guide's example (docs/writing-a-storage.md): the conformance suite run through the
// public entry points, as an implementer outside this repository runs it. Replace MemoryStorage
// with your storage; `reopen` must give a new instance over the same stored data.
import { MemoryStorage } from "@flotilla/core";
import { describeStorageConformance } from "@flotilla/core/testing";
import { afterEach, describe, it } from "vitest";

describeStorageConformance({ describe, it, afterEach }, "MemoryStorage (the guide)", async () => {
  let current = new MemoryStorage();
  return {
    get storage() {
      return current;
    },
    async reopen() {
      // A restart: close, then open again over what was stored (a file storage reopens its dir).
      const stored = await current.load();
      const data = current.snapshotData(); // the bytes of its snapshot, if any, are durable too
      await current.close();
      current = new MemoryStorage(stored, data ?? undefined);
      return current;
    },
    async cleanup() {
      await current.close();
    },
  };
});
