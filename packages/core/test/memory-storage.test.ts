import { afterEach, describe, expect, it } from "vitest";
import { InvalidPersistError, MemoryStorage, type Storage } from "../src/index.js";
import {
  batch,
  command,
  commands,
  describeStorageConformance,
  hard,
  snapshotAt,
} from "../src/testing.js";

describeStorageConformance({ describe, it, afterEach }, "MemoryStorage", async () => {
  let current: Storage = new MemoryStorage();
  return {
    get storage() {
      return current;
    },
    async reopen() {
      const persisted = await current.load();
      await current.close();
      current = new MemoryStorage(persisted);
      return current;
    },
    async cleanup() {},
  };
});

describe("MemoryStorage", () => {
  it("starts from a persisted state, copying it", async () => {
    const entries = commands(6, 7, 2);
    const storage = new MemoryStorage({
      hardState: hard(2, "a", 6),
      snapshot: snapshotAt(5, 1),
      entries,
    });
    (entries[0] as { data: Uint8Array }).data[0] = 0;
    expect(await storage.load()).toEqual({
      hardState: hard(2, "a", 6),
      snapshot: snapshotAt(5, 1),
      entries: commands(6, 7, 2),
    });
  });

  it("refuses an initial state whose log does not follow its snapshot", () => {
    expect(
      () =>
        new MemoryStorage({
          hardState: hard(1, null, 0),
          snapshot: snapshotAt(5, 1),
          entries: [command(7, 1)],
        }),
    ).toThrow(InvalidPersistError);
  });

  it("keeps nothing of a refused batch", async () => {
    const storage = new MemoryStorage();
    await storage.persist(batch({ entries: commands(1, 2, 1) }));
    await expect(
      storage.persist(batch({ snapshot: snapshotAt(2, 1), entries: [command(2, 1)] })),
    ).rejects.toBeInstanceOf(InvalidPersistError);
    expect(await storage.load()).toEqual({
      hardState: hard(0, null, 0),
      snapshot: null,
      entries: commands(1, 2, 1),
    });
  });
});
