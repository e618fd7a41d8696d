import { StorageCorruptionError } from "@flotilla/storage-file";
import { describe, expect, it } from "vitest";
import { forgetsLostSnapshot } from "../src/defects.js";
import { deriveOptions } from "../src/options.js";
import type { RaftCore } from "../src/raft-core.js";
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
  it("is repaired from the leader by the shipped stack, with every checker on", async () => {
    let repairs = 0;
    let damaged = 0;
    const failures: string[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const result = await runSimulation(deriveOptions(seed, overrides), {
        traceListener: (line) => {
          if (line.includes("quarantined: repairing it from the leader")) repairs++;
        },
      });
      damaged += result.counts.corruptions;
      if (result.outcome !== "ok") {
        const why = result.violation?.detail ?? result.livenessFailure ?? String(result.error);
        failures.push(`seed ${seed}: ${result.outcome}: ${why}`);
      }
    }
    console.log(`seeds 1..10: ${damaged} snapshot files damaged, ${repairs} restarts repairing`);
    expect(failures).toEqual([]);
    expect(damaged).toBeGreaterThan(0);
    expect(repairs).toBeGreaterThan(0);
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

  it("a bounded seed search finds forgetsLostSnapshot (a quarantined snapshot taken for whole)", async () => {
    const found = await findViolation(
      { core: forgetsLostSnapshot as RaftCore<unknown> },
      seedsFrom([5], 1, 60),
      overrides,
      ["correctness", "crash"],
    );
    expect(found, "no failure in seeds 1..60").not.toBeNull();
    if (found === null) return;
    console.log(caughtAsExpected("forgetsLostSnapshot", found));
  }, 120_000);
});
