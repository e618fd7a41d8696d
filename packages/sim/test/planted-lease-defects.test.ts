import { describe, expect, it } from "vitest";
import type { SimulationOverrides } from "../src/options.js";
import type { RaftCore } from "../src/raft-core.js";
import type { RunOptions } from "../src/simulator.js";
import {
  leaseKeptAfterTimeoutNow,
  leaseLongerThanElectionTimeout,
  leaseReadJoinsAcrossTicks,
} from "./read-defects.js";
import { caughtAsExpected, findViolation, seedsFrom } from "./search.js";

// The lease rules of read-index.ts (thesis §6.4.1, rule 5), each broken through the `core` seam
// (read-defects.ts), and the driver's rule that a lease read never joins a lease core read queued
// before ticks now in the inbox (reads.ts, broken through the runtime's `rules`), each found by a
// bounded seed search, where the shipped code passes the same seed. The faults stay inside the lease's stated assumption (bounded clock drift: every clock
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
  readonly plant: Pick<RunOptions<unknown>, "core" | "rules">;
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
    plant: { core: leaseLongerThanElectionTimeout as RaftCore<unknown> },
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
    plant: { core: leaseKeptAfterTimeoutNow as RaftCore<unknown> },
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
  {
    // A leader whose state machine stalls on an apply (one to three election timeouts) queues
    // lease reads and ticks behind the turn that waits; its followers elect a successor, which
    // acknowledges writes. (Before asynchronous writes a slow write did this; now a turn no longer
    // waits for its write, and the search found nothing in 40 seeds with slow writes.)
    // Occasional readers (a fleet of caches, each idle for a while) come back to the node they
    // last saw lead and ask it for a lease read: joined to a lease read queued before the ticks,
    // it is served on the lease as it stood then, without the successor's writes. The writers
    // leave a stalled request for whoever leads; a reader's read is answered before it gives up
    // on it (150 ms) when the apply ends soon enough.
    defect: "leaseReadJoinsAcrossTicks",
    plant: { rules: leaseReadJoinsAcrossTicks },
    overrides: {
      ...staleLeaderWindow,
      clientCount: 12,
      readOnlyClients: 8,
      readerThinkMeanMs: 300,
      clientThinkMeanMs: 5,
      clientStallMs: 150,
      slowApplyProbability: 0.05,
      slowWriteProbability: 0,
      diskFullProbability: 0,
      fsyncFailureProbability: 0,
      leaderFaultProbability: 0,
    },
    // 16 since session 14 (the turn's proposals in one step; chunk reads that take a disk
    // latency); 8 before.
    pinned: [16],
    budget: 40,
  },
];

describe("a bounded seed search finds each planted lease defect", () => {
  for (const c of cases) {
    it(c.defect, async () => {
      const found = await findViolation(c.plant, seedsFrom(c.pinned, 1, c.budget), {
        ...c.overrides,
      });
      expect(found, `no violation in seeds 1..${c.budget}`).not.toBeNull();
      if (found === null) return;
      console.log(caughtAsExpected(c.defect, found));
      expect(found.result.violation?.kind).toBe("linearizability");
    });
  }
});
