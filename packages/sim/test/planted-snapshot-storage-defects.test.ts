import { StorageCorruptionError } from "@flotilla/storage-file";
import { describe, expect, it } from "vitest";
import { LeftoverFilesError, SnapshotBytesLostError } from "../src/errors.js";
import { caughtAsExpected, findViolation, seedsFrom } from "./search.js";
import {
  compactsBeforeSnapshotDurable,
  installsUnsyncedSnapshot,
  keepsCutTransfers,
} from "./snapshot-storage-defects.js";

// The rules that protect a streamed snapshot on disk (packages/storage-file/src/snapshot-files.ts),
// each broken under FileStorage through the simulator's `fileSystem` seam
// (snapshot-storage-defects.ts) and found by a bounded seed search, crashes turned up; the shipped
// stack passes the same seed. What finds them is the restart after a power loss:
// - a received snapshot put in force before its bytes were durable: the snapshot in force is
//   short or torn on disk; recovery finds it so (against the size and CRC-32 the `snapshot` file
//   names) and quarantines it, on a disk nothing damaged (SnapshotBytesLostError);
// - the log compacted (and the older snapshot's file removed) before the `snapshot` file naming
//   the new one was durable: the crash keeps the removals without the rename, and recovery finds
//   a log that does not follow the snapshot in force;
// - the incoming file of a transfer cut by a crash (or a newer snapshot) never removed: the
//   simulator lists the directory after every open (LeftoverFilesError, file-disk-storage.ts).

describe("a bounded seed search finds each planted snapshot storage defect", () => {
  it("installsUnsyncedSnapshot (restored before its bytes were durable)", async () => {
    const found = await findViolation(
      { fileSystem: installsUnsyncedSnapshot },
      seedsFrom([27, 4], 1, 150),
      { crashProbability: 0.02, tornWriteProbability: 1 },
      "crash",
    );
    expect(found, "no failure in seeds 1..150").not.toBeNull();
    if (found === null) return;
    console.log(caughtAsExpected("installsUnsyncedSnapshot", found));
    expect(found.result.error).toBeInstanceOf(SnapshotBytesLostError);
  });

  it("compactsBeforeSnapshotDurable (the snapshot-then-truncation window)", async () => {
    const found = await findViolation(
      { fileSystem: compactsBeforeSnapshotDurable },
      seedsFrom([136, 225, 31, 1], 1, 150),
      { crashProbability: 0.03, tornWriteProbability: 1 },
      "crash",
    );
    expect(found, "no failure in seeds 1..150").not.toBeNull();
    if (found === null) return;
    console.log(caughtAsExpected("compactsBeforeSnapshotDurable", found));
    expect(found.result.error).toBeInstanceOf(StorageCorruptionError);
  });

  it("keepsCutTransfers (a cut transfer's incoming file left on disk)", async () => {
    const found = await findViolation(
      { fileSystem: keepsCutTransfers },
      // First found here since session 14 (chunk reads take a disk latency, crashes fall after
      // removal cuts, segment sizes drawn); the later pins are the seeds before.
      seedsFrom([63, 40, 43], 1, 150),
      { crashProbability: 0.02, amnesiaProbability: 0.5 },
      "crash",
    );
    expect(found, "no failure in seeds 1..150").not.toBeNull();
    if (found === null) return;
    console.log(caughtAsExpected("keepsCutTransfers", found));
    expect(found.result.error).toBeInstanceOf(LeftoverFilesError);
  });
});
