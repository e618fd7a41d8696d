import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/derive-options.js";
import { leaseSettings } from "../src/options.js";
import { runSimulation } from "../src/simulator.js";

// Reads without a log write in the swarm: half the gets are ReadIndex or lease reads (the core's
// `read` event, a third of them sent to a random node, whose core forwards them to its leader),
// answered from the node's state machine once it applied up to the read index, and checked for
// linearizability with the rest of the history. Every scenario the seeds pick, faults included.

const firstSeed = 1;
const seeds = 60;
const steps = 2000;

describe(`read sweep: seeds ${firstSeed}..${firstSeed + seeds - 1}, --read-share 0.5`, () => {
  it("serves ReadIndex, follower and lease reads, and the history stays linearizable", async () => {
    const failures: string[] = [];
    let readIndex = 0;
    let lease = 0;
    let byFollower = 0;
    let leaseRuns = 0;
    for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
      const options = deriveOptions(seed, { steps, readShare: 0.5 });
      if (leaseSettings(options) !== null) leaseRuns++;
      const result = await runSimulation(options);
      readIndex += result.counts.readsServed.readIndex;
      lease += result.counts.readsServed.lease;
      byFollower += result.counts.readsServed.byFollower;
      if (result.outcome !== "ok") {
        const why = result.violation?.detail ?? result.livenessFailure ?? String(result.error);
        failures.push(
          `seed ${seed} ${result.outcome}: ${why}\n  reproduce: pnpm sim --seed ${seed} --steps ${steps} --read-share 0.5`,
        );
      }
    }
    console.log(
      `read sweep: ${readIndex} ReadIndex and ${lease} lease reads served (${byFollower} by followers); lease reads on in ${leaseRuns} of ${seeds} runs`,
    );
    expect(failures, failures.join("\n")).toEqual([]);
    expect(readIndex).toBeGreaterThan(0);
    expect(lease).toBeGreaterThan(0);
    expect(byFollower).toBeGreaterThan(0);
  });
});
