import { describe, expect, it } from "vitest";
import { reprobesAtOnce, trustsAcknowledgedMatch } from "../src/defects.js";
import type { SimulationOverrides } from "../src/options.js";
import { caughtAsExpected, findViolation, seedsFrom } from "./search.js";

// The core's rules for a follower that lost its log (issue 9: detect, report, repair at a
// bounded rate), each broken through the `core` seam (defects.ts) and found by a bounded seed
// search in a swarm where every crash may come with amnesia (an empty or older data directory):
// - trusting `match`: the leader ignores a rejection that contradicts what the follower
//   acknowledged, so the follower is never repaired and nothing is reported; the liveness phase
//   demands that every node catches up;
// - the spin: a rejection that tells the leader nothing new (a probe rejected without moving
//   back, or a streamed message's rejection older than the resend from the gap that answered its
//   loss) is answered at once, not at the next heartbeat; the spin checker (spin-checker.ts)
//   bounds such answers by the heartbeat rate.

const amnesiaSwarm: SimulationOverrides = {
  steps: 2000,
  amnesiaProbability: 1,
  crashProbability: 0.005,
};

describe("a bounded seed search finds each planted lost-log defect", () => {
  it("trustsAcknowledgedMatch (liveness: a follower never catches up)", async () => {
    const found = await findViolation(
      { core: trustsAcknowledgedMatch },
      seedsFrom([3, 1, 2], 1, 100),
      amnesiaSwarm,
      "liveness",
    );
    expect(found, "no liveness failure in seeds 1..100").not.toBeNull();
    if (found === null) return;
    console.log(caughtAsExpected("trustsAcknowledgedMatch", found));
    expect(found.result.livenessFailure).toMatch(/did not catch up/);
  });

  it("reprobesAtOnce (spin)", async () => {
    const found = await findViolation(
      { core: reprobesAtOnce },
      seedsFrom([8, 17], 1, 300),
      amnesiaSwarm,
    );
    expect(found, "no spin in seeds 1..300").not.toBeNull();
    if (found === null) return;
    console.log(caughtAsExpected("reprobesAtOnce", found));
    expect(found.result.violation?.kind).toBe("spin");
  });
});
