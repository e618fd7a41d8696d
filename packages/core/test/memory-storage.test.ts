import { afterEach, describe, expect, it } from "vitest";
import { InvalidPersistError, MemoryStorage } from "../src/index.js";
import {
  batch,
  command,
  commands,
  describeStorageConformance,
  hard,
  snapshotAt,
  snapshotData,
} from "../src/testing.js";

describeStorageConformance({ describe, it, afterEach }, "MemoryStorage", async () => {
  let current = new MemoryStorage();
  return {
    get storage() {
      return current;
    },
    async reopen() {
      // A restart keeps what is durable: the state loaded, and the bytes of its snapshot.
      const persisted = await current.load();
      const data = current.snapshotData();
      await current.close();
      current = new MemoryStorage(persisted, data ?? undefined);
      return current;
    },
    async cleanup() {},
  };
});

describe("MemoryStorage", () => {
  it("starts from a persisted state, copying it", async () => {
    const entries = commands(6, 7, 2);
    const snapshot = snapshotAt(5, 1);
    const storage = new MemoryStorage(
      { hardState: hard(2, "a", 6), snapshot, entries },
      snapshotData(snapshot),
    );
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
