import { StorageCorruptionError } from "@flotilla/storage-file";
import { describe, expect, it } from "vitest";
import { SnapshotBytesLostError } from "../src/errors.js";
import { describeFailure, findViolation, seedsFrom } from "./search.js";
import { ignoresShortWrite, retriesFailedFsync } from "./storage-defects.js";

// The storage rules for a failing disk (a failed fsync or a full disk stops the node with a typed
// error; nothing unsynced is ever acknowledged), each broken under FileStorage through the
// simulator's `fileSystem` seam (storage-defects.ts) and found by a bounded seed search with the
// swarm's disk faults turned up. What finds them is the restart: the acknowledged data is not on
// the disk as acknowledged, and recovery refuses the corrupted log (StorageCorruptionError, outcome
// "crash") or finds a snapshot's bytes short on a disk nothing damaged (SnapshotBytesLostError)
// where the shipped stack restarts cleanly on the same seed.

describe("a bounded seed search finds each planted disk-fault defect", () => {
  it("retriesFailedFsync (fsyncgate: EIO retried, the data lost at the next power cut)", async () => {
    const found = await findViolation(
      { fileSystem: retriesFailedFsync },
      seedsFrom([1, 5], 1, 100),
      { fsyncFailureProbability: 0.01, crashProbability: 0.01, tornWriteProbability: 1 },
      "crash",
    );
    expect(found, "no failure in seeds 1..100").not.toBeNull();
    if (found === null) return;
    console.log(`retriesFailedFsync: ${describeFailure(found)}`);
    expect(found.result.error).toBeInstanceOf(StorageCorruptionError);
  });

  it("ignoresShortWrite (ENOSPC taken for a whole write)", async () => {
    const found = await findViolation(
      { fileSystem: ignoresShortWrite },
      seedsFrom([4, 23, 25], 1, 100),
      { diskFullProbability: 0.01, crashProbability: 0.005 },
      "crash",
    );
    expect(found, "no failure in seeds 1..100").not.toBeNull();
    if (found === null) return;
    console.log(`ignoresShortWrite: ${describeFailure(found)}`);
    // A short log record is refused; a short snapshot is quarantined on a disk nothing damaged.
    const error = found.result.error;
    expect(
      error instanceof StorageCorruptionError || error instanceof SnapshotBytesLostError,
      String(error),
    ).toBe(true);
  });
});
