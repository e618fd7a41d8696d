// The crash tests and the simulator are only as good as the simulated file system's idea of
// durability and faults; these pin it.

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SimCrashError, SimFileSystem, type SimIoOp } from "../src/testing.js";
import { prng } from "./helpers.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | null) => (data === null ? null : new TextDecoder().decode(data));

async function fileWith(fs: SimFileSystem, content: string, syncDir: boolean, path = "/d/f") {
  await fs.mkdir("/d");
  const file = await fs.openWritable(path, "create");
  await file.write(bytes(content), 0);
  if (syncDir) await fs.syncDir("/d");
  return file;
}

async function failure(promise: Promise<unknown>): Promise<{ code?: string; syscall?: string }> {
  const error = await promise.then(
    () => expect.fail("expected a failure"),
    (caught: unknown) => caught,
  );
  return error as { code?: string; syscall?: string };
}

describe("SimFileSystem corruption at rest", () => {
  it("flips one bit of a synced file, on the disk and in what reads see, and survives a crash", async () => {
    const fs = new SimFileSystem();
    const file = await fileWith(fs, "synced data", true);
    await file.sync();
    const before = (await fs.readFile("/d/f"))!;
    const offset = fs.corruptAtRest("/d/f", prng(7));
    expect(offset).not.toBeNull();
    const after = (await fs.readFile("/d/f"))!;
    const damaged = [...after].flatMap((byte, i) => (byte === before[i] ? [] : [i]));
    expect(damaged).toEqual([offset]);
    const xor = (after[offset!] as number) ^ (before[offset!] as number);
    expect([1, 2, 4, 8, 16, 32, 64, 128]).toContain(xor);
    expect(await fs.afterCrash("loseUnsynced").readFile("/d/f")).toEqual(after);
    expect(fs.corruptAtRest("/d/none", prng(7))).toBeNull();
    expect(fs.names("/d")).toEqual(["f"]);
  });
});

describe("SimFileSystem durability", () => {
  it("loses an unsynced file's data but keeps what was synced", async () => {
    const fs = new SimFileSystem();
    const file = await fileWith(fs, "synced", true);
    await file.sync();
    await file.write(bytes("+more"), 6);
    expect(text(await fs.readFile("/d/f"))).toBe("synced+more");
    expect(text(await fs.afterCrash("loseUnsynced").readFile("/d/f"))).toBe("synced");
    expect(text(await fs.afterCrash("keepUnsynced").readFile("/d/f"))).toBe("synced+more");
  });

  it("loses a file whose directory entry was never synced, even if its data was", async () => {
    const fs = new SimFileSystem();
    const file = await fileWith(fs, "data", false);
    await file.sync();
    expect(await fs.afterCrash("loseUnsynced").readFile("/d/f")).toBeNull();
    await fs.syncDir("/d");
    expect(text(await fs.afterCrash("loseUnsynced").readFile("/d/f"))).toBe("data");
  });

  it("brings back an unlinked file until the directory is synced", async () => {
    const fs = new SimFileSystem();
    const file = await fileWith(fs, "old", true);
    await file.sync();
    await fs.unlink("/d/f");
    expect(await fs.readFile("/d/f")).toBeNull();
    expect(text(await fs.afterCrash("loseUnsynced").readFile("/d/f"))).toBe("old");
    await fs.syncDir("/d");
    expect(await fs.afterCrash("loseUnsynced").readFile("/d/f")).toBeNull();
  });

  it("keeps or loses an unsynced rename whole", async () => {
    const fs = new SimFileSystem();
    const file = await fileWith(fs, "new", true);
    await file.sync();
    await fs.rename("/d/f", "/d/g");
    const read = async (after: SimFileSystem) => [
      text(await after.readFile("/d/f")),
      text(await after.readFile("/d/g")),
    ];
    expect(await read(fs.afterCrash("loseUnsynced"))).toEqual(["new", null]);
    expect(await read(fs.afterCrash("keepUnsynced"))).toEqual([null, "new"]);
    await fs.syncDir("/d");
    expect(await read(fs.afterCrash("loseUnsynced"))).toEqual([null, "new"]);
  });

  it("keeps what a write was given when its caller reuses the buffer, through sync and crash", async () => {
    const fs = new SimFileSystem();
    const file = await fileWith(fs, "", true);
    // FileStorage frames its log records in one buffer it reuses once each write has settled.
    const reused = bytes("first record");
    await file.write(reused, 0);
    await file.sync();
    reused.set(bytes("SECOND"));
    await file.write(reused.subarray(0, 6), 12);
    reused.fill(0);
    expect(text(await fs.readFile("/d/f"))).toBe("first recordSECOND");
    expect(text(fs.afterCrash("loseUnsynced").bytesOf("/d/f") ?? null)).toBe("first record");
    expect(text(fs.afterCrash("keepUnsynced").bytesOf("/d/f") ?? null)).toBe("first recordSECOND");
  });

  it("tears the last surviving unsynced write at any byte", async () => {
    const fs = new SimFileSystem();
    const file = await fileWith(fs, "", true);
    await file.sync();
    await file.write(bytes("0123456789"), 0);
    const lengths = new Set<number>();
    const random = prng(99);
    for (let i = 0; i < 200; i++) {
      const content = text(await fs.afterCrash({ random }).readFile("/d/f"))!;
      expect("0123456789".startsWith(content)).toBe(true);
      lengths.add(content.length);
    }
    expect([...lengths].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("lets unsynced writes to different files survive in any combination", async () => {
    const fs = new SimFileSystem({ random: prng(7) });
    const first = await fileWith(fs, "", true, "/d/a");
    const second = await fs.openWritable("/d/b", "create");
    await fs.syncDir("/d");
    await first.write(bytes("A"), 0);
    await second.write(bytes("B"), 0);
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const after = fs.afterCrash();
      seen.add(`${text(await after.readFile("/d/a"))}|${text(await after.readFile("/d/b"))}`);
    }
    expect([...seen].sort()).toEqual(["A|", "A|B", "|", "|B"]);
  });

  it("crashes in place: old handles and operations waiting in the io hook fail, then it works again", async () => {
    let release: () => void = () => undefined;
    let hold = false;
    const fs = new SimFileSystem({
      random: prng(3),
      io: (op) =>
        hold && op.kind === "write"
          ? new Promise<void>((resolve) => {
              release = resolve;
            })
          : Promise.resolve(),
    });
    const file = await fileWith(fs, "kept", true);
    await file.sync();
    hold = true;
    const waiting = file.write(bytes("lost"), 0);
    fs.crash("keepUnsynced");
    release();
    await expect(waiting).rejects.toBeInstanceOf(SimCrashError);
    await expect(file.write(bytes("x"), 0)).rejects.toBeInstanceOf(SimCrashError);
    hold = false;
    expect(text(await fs.readFile("/d/f"))).toBe("kept");
    const reopened = await fs.openWritable("/d/f", "existing");
    await reopened.write(bytes("K"), 0);
    expect(text(await fs.readFile("/d/f"))).toBe("Kept");
  });
});

describe("SimFileSystem faults and hooks", () => {
  it("crashes at the numbered point and refuses every call after it until crash()", async () => {
    const fs = new SimFileSystem();
    fs.crashAtPoint = 2;
    await fs.mkdir("/d");
    const file = await fs.openWritable("/d/f", "create"); // point 1
    await expect(file.write(bytes("x"), 0)).rejects.toBeInstanceOf(SimCrashError); // point 2
    expect(fs.halted).toBe(true);
    await expect(fs.readFile("/d/f")).rejects.toBeInstanceOf(SimCrashError);
    fs.crash("keepUnsynced");
    expect(await fs.readdir("/d")).toEqual(["f"]);
  });

  it("fills up at its capacity: a short write, then ENOSPC like Node's, until space is freed", async () => {
    const fs = new SimFileSystem({ capacityBytes: 10 });
    const file = await fileWith(fs, "0123456", true);
    const full = await failure(file.write(bytes("789abc"), 7));
    expect(full).toMatchObject({ code: "ENOSPC", errno: -28, syscall: "write" });
    expect(text(await fs.readFile("/d/f"))).toBe("0123456789");
    expect(fs.usedBytes).toBe(10);
    expect((await failure(fs.createExclusive("/d/lock", bytes("1")))).code).toBe("ENOSPC");
    await expect(file.truncate(11)).rejects.toMatchObject({ code: "ENOSPC" });
    // Overwriting in place needs no space; truncating frees it.
    await file.write(bytes("ab"), 0);
    await file.truncate(4);
    await file.write(bytes("xyz"), 4);
    expect(text(await fs.readFile("/d/f"))).toBe("ab23xyz");
    fs.capacityBytes = Number.POSITIVE_INFINITY;
    await file.write(bytes("-more-than-ten"), 7);
  });

  it("fails the fsync at a chosen point with EIO; what it covered is lost even after a later fsync", async () => {
    const fs = new SimFileSystem();
    const file = await fileWith(fs, "A", true);
    await file.sync();
    await file.write(bytes("B"), 1);
    fs.failSyncAtPoint = fs.points + 1;
    expect(await failure(file.sync())).toMatchObject({ code: "EIO", syscall: "fdatasync" });
    expect(fs.failedSyncs).toBe(1);
    // The page cache still shows the write, and a retried fsync "succeeds"...
    await file.write(bytes("C"), 2);
    await file.sync();
    expect(text(await fs.readFile("/d/f"))).toBe("ABC");
    // ...but the write the failed fsync covered never reached the disk.
    expect(await fs.afterCrash("loseUnsynced").readFile("/d/f")).toEqual(
      new Uint8Array([65, 0, 67]),
    );
  });

  it("fails fsyncs at random with the given probability, from its seeded random", async () => {
    const run = async (seed: number) => {
      const fs = new SimFileSystem({ random: prng(seed), syncFailureProbability: 0.3 });
      const file = await fileWith(fs, "x", true);
      const outcomes: string[] = [];
      for (let i = 0; i < 40; i++) {
        outcomes.push(
          await (i % 2 === 0 ? file.sync() : fs.syncDir("/d")).then(
            () => "ok",
            (error: { code: string }) => error.code,
          ),
        );
      }
      return outcomes;
    };
    const outcomes = await run(11);
    expect(outcomes).toEqual(await run(11));
    const failed = outcomes.filter((outcome) => outcome === "EIO").length;
    expect(failed).toBeGreaterThan(4);
    expect(failed).toBeLessThan(24);
  });

  it("passes every operation through the io hook before it takes effect", async () => {
    const ops: SimIoOp[] = [];
    const fs = new SimFileSystem({
      io: async (op) => {
        ops.push(op);
      },
    });
    const file = await fileWith(fs, "abc", true);
    await file.sync();
    await fs.readFile("/d/f");
    await fs.rename("/d/f", "/d/g");
    await file.close();
    expect(ops.map((op) => `${op.kind} ${op.path} ${op.bytes}`)).toEqual([
      "mkdir /d 0",
      "open /d/f 0",
      "write /d/f 3",
      "syncDir /d 0",
      "sync /d/f 0",
      "readFile /d/f 3",
      "rename /d/f 0",
      "close /d/f 0",
    ]);
  });

  it("needs a seeded random for random crashes, and uses nothing of Node", async () => {
    const fs = new SimFileSystem();
    expect(() => fs.afterCrash("random")).toThrow(/seeded random/);
    const dir = join(import.meta.dirname, "../src/sim-fs");
    for (const name of await readdir(dir)) {
      const source = await readFile(join(dir, name), "utf8");
      expect(source, name).not.toMatch(/from "node:|Math\.random|process\.|Buffer/);
    }
  });
});
