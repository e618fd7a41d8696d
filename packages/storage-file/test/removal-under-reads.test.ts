// A superseded snapshot's data file is cut down in the background (gradual-removal.ts) only once
// no read uses it: neither a chunk read to send (snapshot-readers.ts) nor a read whole for a
// restore. Each guard is planted through FileStorage's rules: the read then finds bytes missing.
import { readAllBytes, type SnapshotStream } from "@flotilla/core";
import { batch, commands, hard, snapshotAt, snapshotData } from "@flotilla/core/testing";
import { describe, expect, it } from "vitest";
import type { FileSystem, ReadableFile } from "../src/fs.js";
import { type FileStorageRules, openFileStorage, shippedStorageRules } from "../src/index.js";
import { SimFileSystem } from "../src/testing.js";
import { withOpenReadable } from "./helpers.js";

const dir = "/node";
const mib = 1024 * 1024;
/** Four read slices, so that a restore reads it in several steps. */
const content = "z".repeat(4 * mib + 7);

/** A SimFileSystem whose data-file reads wait until `release` (the disk's latency, held). */
function heldReadsFs() {
  const sim = new SimFileSystem();
  let release = () => {};
  let held: Promise<void> | null = null;
  const control = {
    hold(): void {
      held = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
  };
  const fs = withOpenReadable(sim, async (path): Promise<ReadableFile | null> => {
    const file = await sim.openReadable(path);
    if (file === null || !path.endsWith(".data")) return file;
    return {
      size: file.size,
      async read(position, length) {
        if (held !== null) await held;
        return file.read(position, length);
      },
      close: () => file.close(),
    };
  });
  return { fs, sim, control };
}

async function* oneSlice(data: Uint8Array): SnapshotStream {
  yield data;
}

/** A storage holding snapshot 3 in force, whose large file is removed a MiB at a time. */
async function storageWithSnapshot(fs: FileSystem, rules: FileStorageRules) {
  const storage = await openFileStorage(dir, { fs, rules, removal: { stepBytes: mib } });
  const snapshot = snapshotAt(3, 1, content);
  await storage.persist(batch({ entries: commands(1, 3, 1), hardState: hard(1, "a", 3) }));
  await storage.writeSnapshot(snapshot.index, oneSlice(snapshotData(snapshot)));
  await storage.persist(batch({ snapshot }));
  return { storage, snapshot };
}

/** Puts snapshot 9 in force over snapshot 3: snapshot 3's file is then removed. */
async function supersede(storage: Awaited<ReturnType<typeof openFileStorage>>): Promise<void> {
  const newer = snapshotAt(9, 2);
  await storage.writeSnapshot(newer.index, oneSlice(snapshotData(newer)));
  await storage.persist(batch({ snapshot: newer, entries: [] }));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("a superseded snapshot's file under a read", () => {
  for (const [rules, name] of [
    [shippedStorageRules, "is cut only after a restore reading it ends"],
    [{ ...shippedStorageRules, restoreHoldsFile: false }, "planted: is cut under a restore"],
  ] as const) {
    it(name, async () => {
      const { fs, sim, control } = heldReadsFs();
      const { storage, snapshot } = await storageWithSnapshot(fs, rules);
      control.hold();
      const restoring = readAllBytes(storage.readSnapshot(snapshot));
      await settle();
      await supersede(storage);
      await settle();
      control.release();
      if (rules.restoreHoldsFile) {
        expect(new TextDecoder().decode(await restoring)).toBe(content);
        for (let tries = 0; tries < 100 && sim.names(dir).includes("snapshot-3.data"); tries++) {
          await settle();
        }
        expect(sim.names(dir)).not.toContain("snapshot-3.data");
      } else {
        await expect(restoring).rejects.toThrow(/snapshot-3\.data/);
      }
      await storage.close();
    });
  }

  for (const [rules, name] of [
    [shippedStorageRules, "is cut only after a chunk read from it ends"],
    [{ ...shippedStorageRules, removalWaitsForReads: false }, "planted: is cut under a chunk read"],
  ] as const) {
    it(name, async () => {
      const { fs, control } = heldReadsFs();
      const { storage, snapshot } = await storageWithSnapshot(fs, rules);
      control.hold();
      const offset = 3 * mib;
      const reading = storage.readSnapshotChunk(snapshot, offset, 64 * 1024);
      await settle();
      await supersede(storage);
      await settle();
      control.release();
      if (rules.removalWaitsForReads) {
        const bytes = await reading;
        expect(bytes?.byteLength).toBe(64 * 1024);
      } else {
        // The bytes are gone: never a shorter chunk, a typed refusal (SnapshotDamagedError).
        await expect(reading).rejects.toThrow(/snapshot 3/);
      }
      await storage.close();
    });
  }
});
