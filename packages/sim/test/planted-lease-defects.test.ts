import { describe, expect, it } from "vitest";
import type { SimulationOverrides } from "../src/options.js";
import type { RaftCore } from "../src/raft-core.js";
import { leaseKeptAfterTimeoutNow, leaseLongerThanElectionTimeout } from "./read-defects.js";
import { caughtAsExpected, findViolation, seedsFrom } from "./search.js";

// The lease rules of read-index.ts (thesis §6.4.1, rule 5), each broken through the `core` seam
// (read-defects.ts) and found by a bounded seed search, where the shipped core passes the same
// seed. The faults stay inside the lease's stated assumption (bounded clock drift: every clock
// runs within [1 - clockSkew, 1 + clockSkew], which the run's leaseClockDriftTicks cover), so the
// stale reads are the defect's, not the fault's (process-faults.ts). What makes the window
// reachable is the workload: readers that stay with a leader that still answers them, and writers
// that leave a stalled leader for whoever leads now (kv-clients.ts), so a write is acknowledged at
// the new leader while the old one still serves lease reads. Pinned seeds first, then a scan.

/** Three nodes, every get a lease read by two pinned readers, writers that move on a stall. */
const staleLeaderWindow: SimulationOverrides = {
  nodeCount: 3,
  checkQuorum: true,
  electionTimeoutTicks: 20,
  readShare: 1,
  clientCount: 5,
  readOnlyClients: 2,
  clientStallMs: 20,
  clientThinkMeanMs: 1,
  keyCount: 1,
  latencyMinMs: 1,
  latencyMaxMs: 3,
  partitionProbability: 0,
  crashProbability: 0,
  membershipProbability: 0,
  steps: 6000,
};

type Case = {
  readonly defect: string;
  readonly core: RaftCore<unknown>;
  readonly overrides: SimulationOverrides;
  readonly pinned: readonly number[];
  readonly budget: number;
};

const cases: readonly Case[] = [
  {
    // A lease of electionTimeoutTicks - 2 of the leader's ticks whatever the skew: with clocks
    // 50% off, a leader cut off while its clock runs slow still serves lease reads after fast
    // followers elected a leader that acknowledged writes.
    defect: "leaseLongerThanElectionTimeout",
    core: leaseLongerThanElectionTimeout as RaftCore<unknown>,
    overrides: {
      ...staleLeaderWindow,
      clockSkew: 0.5,
      clockFaultProbability: 0.05,
      leaderFaultProbability: 0.02,
      healProbability: 0.01,
    },
    pinned: [16],
    budget: 40,
  },
  {
    // A leader that keeps its lease after sending TimeoutNow, then paused or cut off from what
    // its successor sends it: the successor wins at once (its vote requests carry the transfer
    // flag) and acknowledges writes while the old leader still serves lease reads.
    defect: "leaseKeptAfterTimeoutNow",
    core: leaseKeptAfterTimeoutNow as RaftCore<unknown>,
    overrides: {
      ...staleLeaderWindow,
      clockSkew: 0,
      transferProbability: 0.02,
      timeoutNowFaultProbability: 1,
      leaderFaultProbability: 0,
    },
    pinned: [1, 2],
    budget: 20,
  },
];

describe("a bounded seed search finds each planted lease defect", () => {
  for (const c of cases) {
    it(c.defect, async () => {
      const found = await findViolation({ core: c.core }, seedsFrom(c.pinned, 1, c.budget), {
        ...c.overrides,
      });
      expect(found, `no violation in seeds 1..${c.budget}`).not.toBeNull();
      if (found === null) return;
      console.log(caughtAsExpected(c.defect, found));
      expect(found.result.violation?.kind).toBe("linearizability");
    });
  }
});
