import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/derive-options.js";
import { runSimulation } from "../src/simulator.js";

// A slow state machine (slow-state-machine.ts): every apply batch takes 5 virtual ms (the turn
// waits, events pile up in the inbox), a snapshot streams into storage one 64-byte slice per
// 5 ms (a 1 KiB padded snapshot: 17 slices, beside the turns, so applies, newer snapshots and
// installs overlap it), and a restore takes 5 ms per slice. Crashes are biased into the snapshot
// windows. Every checker and the liveness phase must hold.

const seeds = 20;

describe(`a slow state machine: seeds 1..${seeds}`, () => {
  it("applies, snapshots and restores in virtual time with every checker on", async () => {
    const failures: string[] = [];
    let writing = 0;
    let receiving = 0;
    let compared = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const overrides = {
        stateMachineDelayMs: 5,
        snapshotPaddingBytes: 1024,
        snapshotEveryEntries: 5,
        snapshotTrailingEntries: 0,
        snapshotChunkBytesMax: 64,
        snapshotCrashProbability: 0.05,
        partitionPattern: "isolate",
        partitionProbability: 0.02,
      } as const;
      const result = await runSimulation(deriveOptions(seed, overrides));
      writing += result.counts.snapshotCrashes.writing;
      receiving += result.counts.snapshotCrashes.receiving;
      compared += result.counts.kvCheckpointsCompared;
      if (result.outcome !== "ok") {
        const why = result.violation?.detail ?? result.livenessFailure ?? String(result.error);
        failures.push(
          `seed ${seed} ${result.outcome}: ${why}\n  reproduce: pnpm sim --seed ${seed} --state-machine-delay 5 --snapshot-padding 1024 --snapshot-crash-rate 0.05 (with ${JSON.stringify(overrides)})`,
        );
      }
    }
    console.log(
      `seeds 1..${seeds}: ${writing} crashes while a snapshot streamed into storage, ${receiving} while one was received, ${compared} KV states compared`,
    );
    expect(failures, failures.join("\n")).toEqual([]);
    expect(writing).toBeGreaterThan(0);
    expect(compared).toBeGreaterThan(seeds * 10);
  }, 120_000);
});
