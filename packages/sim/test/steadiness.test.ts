import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/derive-options.js";
import type { SimulationOptions } from "../src/options.js";
import { runSimulation } from "../src/simulator.js";

// Issue 10's first rule, on the shipped stack: a process pause (a GC pause, a follower starved of
// CPU, SIGSTOP), a slow disk write or a slow message, each shorter than the election timeout,
// must not change the leader. The budget: a follower last heard from its leader at most a
// heartbeat interval (at most a quarter of the timeout, as the simulator draws it) and a message
// latency (held to a quarter here) before a pause began, so pauses up to 45% of the timeout keep
// the three together below the election timeout, the shortest a node draws. Disk writes take up
// to a quarter too: an acknowledgement waits for its write, and CheckQuorum counts them.
// While paused a process handles nothing; on waking its overdue tick may come before or after
// the messages that waited for it (node-clock.ts), and the driver counts the whole time that
// passed (tick-clock.ts). Nothing else goes wrong: no loss, crashes, partitions, transfers or
// membership changes, and every clock runs at the same rate (a clock 50% fast would shorten its
// own election timeout by a third: that is clock skew, the process-faults test's business).
//
// The second test is the control: the same runs with pauses up to three election timeouts do
// change leaders, so the first one's count is not zero by construction.

const seeds = 30;

function steadyOptions(seed: number, pauseShareOfTimeout: number): SimulationOptions {
  const drawn = deriveOptions(seed);
  const timeoutMs = drawn.electionTimeoutTicks * drawn.tickMs;
  const quarter = Math.floor(timeoutMs / 4);
  return deriveOptions(seed, {
    steps: 20_000,
    pauseProbability: 0.05,
    pauseMaxMs: Math.max(drawn.tickMs, Math.floor(timeoutMs * pauseShareOfTimeout)),
    // Latency within a quarter of the timeout, beside a heartbeat interval of at most a quarter.
    latencyMinMs: 0,
    latencyMaxMs: Math.min(drawn.latencyMaxMs, quarter),
    latencyTailProbability: 0,
    reorderProbability: 0,
    diskLatencyMinMs: 0,
    diskLatencyMaxMs: quarter,
    lossProbability: 0,
    duplicateProbability: 0,
    partitionPattern: "none",
    crashProbability: 0,
    leaderFaultProbability: 0,
    restartProbability: 0,
    transferProbability: 0,
    membershipProbability: 0,
    slowWriteProbability: 0,
    slowApplyProbability: 0,
    diskFullProbability: 0,
    fsyncFailureProbability: 0,
    snapshotCrashProbability: 0,
    corruptionProbability: 0,
    clockSkew: 0,
    clockFaultProbability: 0,
  });
}

async function runSeeds(pauseShareOfTimeout: number) {
  const runs = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await runSimulation(steadyOptions(seed, pauseShareOfTimeout));
    runs.push({ seed, result });
  }
  return runs;
}

describe("steadiness: stalls shorter than the election timeout", () => {
  it("never change the leader (seeds 1-30, pauses up to 45% of the timeout)", async () => {
    const runs = await runSeeds(0.45);
    let pauses = 0;
    for (const { seed, result } of runs) {
      const detail = result.violation?.detail ?? result.livenessFailure ?? "";
      expect(result.outcome, `seed ${seed}: ${detail}`).toBe("ok");
      expect(result.counts.leadersElected, `seed ${seed}: leaders elected`).toBe(1);
      pauses += result.counts.processFaults.pauses;
    }
    console.log(`steadiness, seeds 1-${seeds}: ${pauses} pauses, one leader in every run`);
    expect(pauses).toBeGreaterThan(seeds * 100);
  });

  it("the control: pauses up to three election timeouts do change leaders", async () => {
    const runs = await runSeeds(3);
    const changed = runs.filter(({ result }) => result.counts.leadersElected > 1);
    for (const { seed, result } of runs) {
      expect(result.outcome, `seed ${seed}`).toBe("ok");
    }
    console.log(
      `control, seeds 1-${seeds}: leaders changed in seeds ${changed.map((r) => r.seed).join(", ")}`,
    );
    expect(changed.length).toBeGreaterThan(0);
  });
});
