import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/derive-options.js";
import { runSimulation } from "../src/simulator.js";

// The shipped stack under the process and clock faults (process-faults.ts), every get a read and
// half of them lease reads where the run allows: process pauses, clocks at the edge of their skew
// bound, leaders paused or cut off right after TimeoutNow, writers that leave a stalled request.
// Every run passes every checker and the liveness phase: these faults stay inside what lease
// reads assume, so a stale read here would be a bug (planted-lease-defects.test.ts plants some).
describe("process and clock faults", () => {
  it("leave every run of seeds 1-20 linearizable and live", async () => {
    let pauses = 0;
    let clockFaults = 0;
    let leaseReads = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const options = deriveOptions(seed, {
        readShare: 1,
        pauseProbability: 0.01,
        clockFaultProbability: 0.01,
        transferProbability: 0.01,
        timeoutNowFaultProbability: 0.5,
        clientStallMs: 20,
        readOnlyClients: 1,
      });
      const result = await runSimulation(options);
      expect(result.outcome, `seed ${seed}: ${result.violation?.detail ?? ""}`).toBe("ok");
      pauses += result.counts.processFaults.pauses;
      clockFaults += result.counts.processFaults.clockFaults;
      leaseReads += result.counts.readsServed.lease;
    }
    console.log(
      `seeds 1-20: ${pauses} pauses, ${clockFaults} clock faults, ${leaseReads} lease reads`,
    );
    expect(pauses).toBeGreaterThan(0);
    expect(clockFaults).toBeGreaterThan(0);
    expect(leaseReads).toBeGreaterThan(0);
  });
});
