import { StorageCorruptionError } from "@flotilla/storage-file";
import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/derive-options.js";
import { runSimulation } from "../src/simulator.js";
import { cutsDamageBeforeWholeRecords, refusesTornGarbage } from "./corruption-defects.js";
import { caughtAsExpected, findViolation, seedsFrom } from "./search.js";

// Torn writes and damage at rest in the log (docs/testing.md, "Torn writes that leave garbage"):
// FileStorage cuts bad bytes at the end of the log only when no whole record follows them (a
// write torn before its fsync returned, never acknowledged), and refuses damage before a whole
// record (acknowledged data gone bad at rest). Each half of the rule has a plant a seed search
// finds: a storage that refuses a tail torn into garbage never opens again after such a crash
// (the run crashes on corruption nothing damaged), one that cuts damage before whole records
// drops acknowledged entries (the checkers see committed entries lost).

/** Every crash tears the write in progress, and every tear leaves its sector scrambled. */
const scrambled = {
  crashProbability: 0.02,
  tornWriteProbability: 1,
  tornGarbageProbability: 1,
} as const;

/** A down node's log (or snapshot file) damaged at rest, as in planted-corruption-defects. */
const damagedAtRest = {
  corruptionProbability: 0.05,
  crashProbability: 0.01,
  membershipProbability: 0,
  snapshotEveryEntries: 5,
} as const;

describe("torn writes that leave garbage, and log records damaged at rest", () => {
  it("the shipped stack cuts every scrambled tail and passes with every checker on", async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const result = await runSimulation(deriveOptions(seed, scrambled));
      if (result.outcome !== "ok") {
        const why = result.violation?.detail ?? result.livenessFailure ?? String(result.error);
        failures.push(`seed ${seed}: ${result.outcome}: ${why}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("a bounded seed search finds refusesTornGarbage (only a clean cut taken as torn)", async () => {
    const found = await findViolation(
      { storageRules: refusesTornGarbage },
      // First found here since session 14 (chunk reads take a disk latency, crashes fall after
      // removal cuts, segment sizes drawn); the later pins are the seeds before.
      seedsFrom([18, 5, 9], 1, 60),
      scrambled,
      "crash",
    );
    expect(found, "no failure in seeds 1..60").not.toBeNull();
    if (found === null) return;
    console.log(caughtAsExpected("refusesTornGarbage", found));
    expect(found.result.error).toBeInstanceOf(StorageCorruptionError);
  }, 120_000);

  it("the shipped stack refuses a log damaged before a whole record: that node stays down", async () => {
    let refused = 0;
    let logsDamaged = 0;
    const failures: string[] = [];
    for (const seed of [1, 3, 4, 7, 9]) {
      const result = await runSimulation(deriveOptions(seed, damagedAtRest), {
        traceListener: (line) => {
          if (/damaged at rest: byte \d+ of log-/.test(line)) logsDamaged++;
          if (/start n\d+ failed: STORAGE_CORRUPT/.test(line)) refused++;
        },
      });
      if (result.outcome !== "ok") {
        const why = result.violation?.detail ?? result.livenessFailure ?? String(result.error);
        failures.push(`seed ${seed}: ${result.outcome}: ${why}`);
      }
    }
    console.log(`${logsDamaged} logs damaged at rest, ${refused} starts refused (typed)`);
    expect(failures).toEqual([]);
    expect(logsDamaged).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 120_000);

  it("a bounded seed search finds cutsDamageBeforeWholeRecords (mid-log damage cut as torn)", async () => {
    const found = await findViolation(
      { storageRules: cutsDamageBeforeWholeRecords },
      // First found here since session 14 (chunk reads take a disk latency, crashes fall after
      // removal cuts, segment sizes drawn); the later pins are the seeds before.
      seedsFrom([23, 73, 6], 1, 90),
      damagedAtRest,
      ["correctness", "crash"],
    );
    expect(found, "no failure in seeds 1..90").not.toBeNull();
    if (found === null) return;
    console.log(caughtAsExpected("cutsDamageBeforeWholeRecords", found));
  }, 120_000);
});
