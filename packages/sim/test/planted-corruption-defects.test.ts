import { StorageCorruptionError } from "@flotilla/storage-file";
import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/options.js";
import { runSimulation } from "../src/simulator.js";
import { skipsSnapshotChecksum } from "./corruption-defects.js";
import { caughtAsExpected, findViolation, seedsFrom } from "./search.js";

// Corruption at rest (docs/testing.md, "Disk corruption"): a sector of a down node's snapshot file
// flips a bit, as a real disk may do to data it acknowledged as synced. FileStorage must see it
// by the snapshot's CRC-32 when it opens (StorageCorruptionError: the node refuses its directory
// and stays down while the rest of the cluster serves). With the check skipped, the damaged bytes
// reach the state machine, and the simulator sees it: the snapshot's padding or its key-value
// state differs from what every other node had at that index, or the bytes no longer decode
// (stateMachineSafety, each).

const overrides = {
  corruptionProbability: 0.05,
  crashProbability: 0.01,
  membershipProbability: 0,
  snapshotEveryEntries: 5,
} as const;

describe("disk corruption at rest", () => {
  it("is refused by the shipped storage, typed, while the cluster keeps serving", async () => {
    let refused = 0;
    let damaged = 0;
    const failures: string[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const result = await runSimulation(deriveOptions(seed, overrides), {
        traceListener: (line) => {
          if (line.includes("failed: STORAGE_CORRUPT")) refused++;
        },
      });
      damaged += result.counts.corruptions;
      if (result.outcome !== "ok") failures.push(`seed ${seed}: ${result.outcome}`);
    }
    console.log(`seeds 1..10: ${damaged} snapshot files damaged, ${refused} opens refused`);
    expect(failures).toEqual([]);
    expect(damaged).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 120_000);

  it("a bounded seed search finds skipsSnapshotChecksum (the read-back CRC-32 skipped)", async () => {
    const found = await findViolation(
      { storageRules: skipsSnapshotChecksum },
      seedsFrom([4, 1], 1, 60),
      overrides,
      ["correctness", "crash"],
    );
    expect(found, "no failure in seeds 1..60").not.toBeNull();
    if (found === null) return;
    console.log(caughtAsExpected("skipsSnapshotChecksum", found));
    expect(found.result.error).not.toBeInstanceOf(StorageCorruptionError);
  }, 120_000);
});
