import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openFileStorage, StorageLockedError } from "../src/index.js";
import { tempDir } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshDir(): Promise<string> {
  const { dir, remove } = await tempDir();
  cleanups.push(remove);
  return dir;
}

/** A real, idle child process, killed by pid when the test ends. */
async function liveProcess(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 60_000)"], {
    stdio: "ignore",
  });
  await once(child, "spawn");
  const exited = once(child, "exit");
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, "SIGKILL");
      await exited;
    }
  });
  return child as ChildProcess & { pid: number };
}

describe("FileStorage directory lock", () => {
  it("refuses a directory locked by another live process, and takes it over once it died", async () => {
    const dir = await freshDir();
    const child = await liveProcess();
    await writeFile(join(dir, "LOCK"), `${child.pid}\n`);
    const refused = await openFileStorage(dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StorageLockedError);
    expect((refused as StorageLockedError).pid).toBe(child.pid);
    const exited = once(child, "exit");
    process.kill(child.pid, "SIGKILL");
    await exited;
    const storage = await openFileStorage(dir);
    expect(await readFile(join(dir, "LOCK"), "utf8")).toBe(`${process.pid}\n`);
    await storage.close();
  });

  it("refuses a second storage on the same directory in this process until the first closes", async () => {
    const dir = await freshDir();
    const first = await openFileStorage(dir);
    await expect(openFileStorage(dir)).rejects.toBeInstanceOf(StorageLockedError);
    await first.close();
    await expect(readFile(join(dir, "LOCK"))).rejects.toMatchObject({ code: "ENOENT" });
    const second = await openFileStorage(dir);
    await second.close();
  });

  it("takes over a lock file left empty by a crash while it was being created", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "LOCK"), "");
    const storage = await openFileStorage(dir);
    await storage.close();
  });
});
