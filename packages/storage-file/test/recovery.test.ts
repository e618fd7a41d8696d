// Recovery on node:fs from damage a crash or a failing disk leaves: what is repaired (a torn
// tail, leftover temp files, segments a snapshot made obsolete) and what is refused.

import { open, readdir, readFile, stat, truncate, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Index } from "@flotilla/core";
import { batch, command, commands, hard, persistStored, snapshotAt } from "@flotilla/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { openFileStorage, StorageCorruptionError } from "../src/index.js";
import { dataEnd, tempDir } from "./helpers.js";

let remove: (() => Promise<void>) | undefined;
afterEach(async () => {
  await remove?.();
  remove = undefined;
});

async function storedDir(segmentBytesMax: number, batches: number): Promise<string> {
  const temp = await tempDir();
  remove = temp.remove;
  const storage = await openFileStorage(temp.dir, { segmentBytesMax });
  for (let i = 0; i < batches; i++) {
    await storage.persist(
      batch({ entries: commands(i * 3 + 1, i * 3 + 3, 1), hardState: hard(1, "a", i * 3) }),
    );
  }
  await storage.close();
  return temp.dir;
}

async function segmentsIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith(".seg")).sort();
}

async function openError(dir: string): Promise<StorageCorruptionError> {
  const error = await openFileStorage(dir).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(StorageCorruptionError);
  return error as StorageCorruptionError;
}

describe("FileStorage recovery", () => {
  it("cuts a torn last record off and appends after what remains", async () => {
    const dir = await storedDir(1 << 20, 3);
    const [segment] = await segmentsIn(dir);
    const path = join(dir, segment!);
    const bytes = await readFile(path);
    // The segment ends in zero fill; the data ends at the last non-zero byte. The three batches
    // wrote three records of equal size after the 8-byte segment header, and the first 30 bytes
    // of a copy of the last one, written after them, look like a later write torn by a crash.
    const size = dataEnd(bytes);
    expect(bytes.length).toBeGreaterThan(size);
    const recordBytes = (size - 8) / 3;
    const file = await open(path, "r+");
    await file.write(bytes.subarray(size - recordBytes, size - recordBytes + 30), 0, 30, size);
    await file.close();
    const storage = await openFileStorage(dir);
    expect((await storage.load()).entries).toEqual(commands(1, 9, 1));
    expect((await stat(path)).size).toBe(size);
    await storage.persist(batch({ entries: [command(10, 2)] }));
    await storage.close();
    const reopened = await openFileStorage(dir);
    expect((await reopened.load()).entries).toEqual([...commands(1, 9, 1), command(10, 2)]);
    await reopened.close();
  });

  it("cuts a last record a crash tore into garbage, and refuses the same damage before a whole record", async () => {
    const dir = await storedDir(1 << 20, 3);
    const path = join(dir, (await segmentsIn(dir))[0]!);
    const bytes = await readFile(path);
    const size = dataEnd(bytes);
    const recordBytes = (size - 8) / 3;
    // A fourth write torn by a power loss: its header and 20 bytes reached the disk, and the
    // sector after them was left scrambled (not zeros, not old bytes).
    const garbage = Uint8Array.from({ length: 512 }, (_, i) => (i * 151 + 7) % 251);
    const torn = Uint8Array.from(bytes.subarray(size - recordBytes, size - recordBytes + 32));
    const file = await open(path, "r+");
    await file.write(torn, 0, torn.length, size);
    await file.write(garbage, 0, garbage.length, size + torn.length);
    await file.close();
    const storage = await openFileStorage(dir);
    expect((await storage.load()).entries).toEqual(commands(1, 9, 1));
    expect((await stat(path)).size).toBe(size);
    await storage.close();
    // The same garbage over the middle of the second record, with the third whole after it: an
    // acknowledged record damaged at rest, refused.
    const middle = await open(path, "r+");
    await middle.write(garbage, 0, 30, 8 + recordBytes + 6);
    await middle.close();
    const error = await openError(dir);
    expect(error.offset).toBe(8 + recordBytes);
    expect(error.message).toContain("record header checksum mismatch");
  });

  it("refuses a damaged payload before a whole record, and cuts the same damage in the last record", async () => {
    const dir = await storedDir(1 << 20, 3);
    const path = join(dir, (await segmentsIn(dir))[0]!);
    const bytes = await readFile(path);
    const size = dataEnd(bytes);
    const recordBytes = (size - 8) / 3;
    const damaged = Uint8Array.from(bytes);
    damaged[8 + recordBytes + 20]! ^= 0x10; // the second record's payload; the third is whole
    await writeFile(path, damaged);
    const error = await openError(dir);
    expect(error.offset).toBe(8 + recordBytes);
    expect(error.message).toContain("record checksum mismatch");
    // In the last record nothing whole follows: indistinguishable from a write torn before its
    // fsync returned, so it is cut (docs/architecture.md, "Torn writes and damage at rest").
    const last = Uint8Array.from(bytes);
    last[size - 5]! ^= 0x10;
    await writeFile(path, last);
    const storage = await openFileStorage(dir);
    expect((await storage.load()).entries).toEqual(commands(1, 6, 1));
    await storage.close();
  });

  it("removes a last segment whose first write tore into garbage", async () => {
    const dir = await storedDir(64, 3);
    const segments = await segmentsIn(dir);
    const path = join(dir, `log-${String(segments.length + 1).padStart(16, "0")}.seg`);
    await writeFile(
      path,
      Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) % 256),
    );
    const storage = await openFileStorage(dir);
    expect((await storage.load()).entries).toEqual(commands(1, 9, 1));
    await storage.close();
    expect(await segmentsIn(dir)).toEqual(segments);
  });

  it("finds the end of a 64 MiB zero-filled segment after a damaged record in linear time", async () => {
    // The search for a whole record after damage looks at every offset; zero fill must cost no
    // checksum (a quadratic scan took minutes here). Bounded by the test timeout, not timed.
    const dir = await storedDir(1 << 20, 3);
    const path = join(dir, (await segmentsIn(dir))[0]!);
    const bytes = await readFile(path);
    const size = dataEnd(bytes);
    const grown = new Uint8Array(64 * 1024 * 1024);
    grown.set(bytes.subarray(0, size));
    grown[size - 5]! ^= 0x10;
    grown[size + 100] = 0x7f;
    await writeFile(path, grown);
    const storage = await openFileStorage(dir);
    expect((await storage.load()).entries).toEqual(commands(1, 6, 1));
    await storage.close();
  }, 60_000);

  it("cuts the zero fill off a segment before starting the next, even with a smaller segment size", async () => {
    const dir = await storedDir(1 << 20, 2);
    const [first] = await segmentsIn(dir);
    expect((await stat(join(dir, first!))).size).toBeGreaterThan(1000);
    const storage = await openFileStorage(dir, { segmentBytesMax: 64 });
    await storage.persist(batch({ entries: [command(7, 1)] }));
    await storage.close();
    expect((await segmentsIn(dir)).length).toBe(2);
    expect((await readFile(join(dir, first!))).at(-1)).not.toBe(0);
    const reopened = await openFileStorage(dir);
    expect((await reopened.load()).entries).toEqual(commands(1, 7, 1));
    await reopened.close();
  });

  it("refuses a corrupted record before the tail, naming the file and offset", async () => {
    const dir = await storedDir(1 << 20, 3);
    const path = join(dir, (await segmentsIn(dir))[0]!);
    const bytes = await readFile(path);
    bytes[30]! ^= 0x40; // inside the first record's payload
    await writeFile(path, bytes);
    const error = await openError(dir);
    expect(error.file).toBe(path);
    expect(error.offset).toBe(8); // the first record, just after the segment header
    expect(error.message).toContain(path);
  });

  it("refuses a segment cut short before the last one", async () => {
    const dir = await storedDir(64, 4);
    const path = join(dir, (await segmentsIn(dir))[0]!);
    const size = (await stat(path)).size;
    await truncate(path, size - 5);
    const error = await openError(dir);
    expect(error.file).toBe(path);
    expect(error.message).toContain("torn record before the end of the log");
  });

  it("refuses a log with a segment missing from the middle", async () => {
    const dir = await storedDir(64, 4);
    const segments = await segmentsIn(dir);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    await unlink(join(dir, segments[1]!));
    const error = await openError(dir);
    expect(error.file).toBe(segments[1]);
  });

  it("refuses a log whose first segments are missing", async () => {
    const dir = await storedDir(64, 4);
    await unlink(join(dir, (await segmentsIn(dir))[0]!));
    const error = await openError(dir);
    expect(error.message).toContain("log resumes after index 3");
  });

  it("refuses a hard state or snapshot file with a bad checksum", async () => {
    const dir = await storedDir(1 << 20, 1);
    const storage = await openFileStorage(dir);
    await persistStored(storage, batch({ snapshot: snapshotAt(2, 1) }));
    await storage.close();
    for (const name of ["hardstate", "snapshot"]) {
      const path = join(dir, name);
      const original = await readFile(path);
      const damaged = Uint8Array.from(original);
      damaged[damaged.length - 1]! ^= 1;
      await writeFile(path, damaged);
      const error = await openError(dir);
      expect(error.file).toBe(path);
      await writeFile(path, original);
    }
    await (await openFileStorage(dir)).close();
  });

  it("removes a temp file left by a crash before its rename, keeping the old file", async () => {
    const dir = await storedDir(1 << 20, 2);
    await writeFile(join(dir, "hardstate.tmp"), "half written");
    const storage = await openFileStorage(dir);
    expect((await storage.load()).hardState).toEqual(hard(1, "a", 3));
    expect(await readdir(dir)).not.toContain("hardstate.tmp");
    await storage.close();
  });

  it("deletes the segments wholly before a snapshot", async () => {
    const dir = await storedDir(64, 6);
    const before = await segmentsIn(dir);
    expect(before.length).toBeGreaterThanOrEqual(5);
    const storage = await openFileStorage(dir, { segmentBytesMax: 64 });
    await persistStored(storage, batch({ snapshot: snapshotAt(16, 1), truncateFrom: 18 as Index }));
    const after = await segmentsIn(dir);
    // Only the segment holding index 17 (the last one) survives, and the new one that the full
    // last segment made necessary for the truncation record.
    expect(after.length).toBe(2);
    expect(after[0]).toBe(before.at(-1));
    expect((await storage.load()).entries).toEqual(commands(17, 17, 1));
    await storage.close();
    const reopened = await openFileStorage(dir);
    expect((await reopened.load()).entries).toEqual(commands(17, 17, 1));
    await reopened.close();
  });
});
