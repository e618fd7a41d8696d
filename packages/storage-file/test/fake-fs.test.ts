// The crash tests are only as good as the fake file system's idea of durability; these pin it.

import { describe, expect, it } from "vitest";
import { FakeCrash, FakeFileSystem } from "./fake-fs.js";
import { prng } from "./helpers.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | null) => (data === null ? null : new TextDecoder().decode(data));

async function fileWith(fs: FakeFileSystem, content: string, syncDir: boolean) {
  await fs.mkdir("/d");
  const file = await fs.openWritable("/d/f", "create");
  await file.write(bytes(content), 0);
  if (syncDir) await fs.syncDir("/d");
  return file;
}

describe("FakeFileSystem", () => {
  it("loses an unsynced file's data but keeps what was synced", async () => {
    const fs = new FakeFileSystem();
    const file = await fileWith(fs, "synced", true);
    await file.sync();
    await file.write(bytes("+more"), 6);
    expect(text(await fs.crash("loseUnsynced").readFile("/d/f"))).toBe("synced");
    expect(text(await fs.crash("keepUnsynced").readFile("/d/f"))).toBe("synced+more");
  });

  it("loses a file whose directory entry was never synced, even if its data was", async () => {
    const fs = new FakeFileSystem();
    const file = await fileWith(fs, "data", false);
    await file.sync();
    expect(await fs.crash("loseUnsynced").readFile("/d/f")).toBeNull();
  });

  it("keeps or loses an unsynced rename whole", async () => {
    const fs = new FakeFileSystem();
    const file = await fileWith(fs, "new", true);
    await file.sync();
    await fs.rename("/d/f", "/d/g");
    const lost = fs.crash("loseUnsynced");
    expect([text(await lost.readFile("/d/f")), text(await lost.readFile("/d/g"))]).toEqual([
      "new",
      null,
    ]);
    const kept = fs.crash("keepUnsynced");
    expect([text(await kept.readFile("/d/f")), text(await kept.readFile("/d/g"))]).toEqual([
      null,
      "new",
    ]);
  });

  it("tears the last surviving unsynced write at some byte", async () => {
    const fs = new FakeFileSystem();
    const file = await fileWith(fs, "", true);
    await file.sync();
    await file.write(bytes("0123456789"), 0);
    const lengths = new Set<number>();
    const random = prng(99);
    for (let i = 0; i < 200; i++)
      lengths.add((await fs.crash({ random }).readFile("/d/f"))!.length);
    expect(Math.min(...lengths)).toBe(0);
    expect(Math.max(...lengths)).toBe(10);
    expect(lengths.size).toBeGreaterThan(5);
  });

  it("crashes at the numbered point and refuses every call after it", async () => {
    const fs = new FakeFileSystem();
    fs.crashAtPoint = 2;
    await fs.mkdir("/d");
    const file = await fs.openWritable("/d/f", "create"); // point 1
    await expect(file.write(bytes("x"), 0)).rejects.toBeInstanceOf(FakeCrash); // point 2
    await expect(fs.readFile("/d/f")).rejects.toBeInstanceOf(FakeCrash);
  });
});
