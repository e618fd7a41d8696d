import { describe, expect, it } from "vitest";
import type { SimulationOverrides } from "../src/options.js";
import type { RaftCore } from "../src/raft-core.js";
import type { RunOptions } from "../src/simulator.js";
import { type ReadDefectName, readDefects, readJoinsRoundInFlight } from "./read-defects.js";
import { caughtAsExpected, findViolation, seedsFrom } from "./search.js";

// Every rule of linearizable reads (packages/core/src/read-index.ts) is one the simulator can
// break and catch (the numbering of forwarded reads across restarts too, since session 8: the
// forwarded-read crash fault): each defect is planted through the `core` seam (read-defects.ts), or the
// runtime's `rules` for the driver's batching of reads (readJoinsRoundInFlight), and a bounded
// search over seeds, with half the gets served as reads (`readShare`), must find a linearizability
// violation the shipped core does not have on the same seed. Pinned seeds first (they make the
// suite fast), then a scan, so a change that moves the failure to another seed is still caught.
//
// The two lease defects (leaseLongerThanElectionTimeout, leaseKeptAfterTimeoutNow) are found in
// planted-lease-defects.test.ts, with the process faults and clients that reach a stale lease's
// window.

type Case = {
  readonly defect: ReadDefectName | "readJoinsRoundInFlight";
  readonly overrides: SimulationOverrides;
  readonly pinned: readonly number[];
  readonly budget: number;
};

/**
 * A deposed leader serves stale reads only while clients still reach it and others write at its
 * successor: every get a read, five busy clients, the leader often on its own (isolate).
 */
const busyIsolating: SimulationOverrides = {
  readShare: 1,
  clientCount: 5,
  clientThinkMeanMs: 1,
  partitionPattern: "isolate",
  partitionProbability: 0.05,
  healProbability: 0.05,
  steps: 4000,
};

/**
 * A leader cut off from the rest for a long while (leader faults, slow heals), in a three-node
 * cluster without CheckQuorum: the deposed leader never steps down on its own, so its clients go
 * on reading there while the new leader commits writes to the one key. Only the quorum round
 * (§6.4 step 3) keeps those reads from being stale.
 */
const deposedLeaderServing: SimulationOverrides = {
  readShare: 1,
  nodeCount: 3,
  checkQuorum: false,
  clientCount: 5,
  clientThinkMeanMs: 1,
  keyCount: 1,
  leaderFaultProbability: 0.05,
  partitionProbability: 0,
  healProbability: 0.01,
  crashProbability: 0,
  fsyncFailureProbability: 0,
  diskFullProbability: 0,
  steps: 4000,
};

/**
 * Follower reads across restarts (read-index.ts, rule 7): every read sent to a random node, a
 * follower that crashes within a latency of forwarding one and is back within another (most of
 * the time), and answers that may arrive late (half the messages up to 300 ms, reordered), so a
 * leader's answer to one life reaches the next while it waits for reads of its own. Eight busy
 * clients on one key acknowledge writes in between.
 */
const followerRestartingMidRead: SimulationOverrides = {
  readShare: 1,
  readAnyNodeShare: 1,
  forwardedReadCrashProbability: 0.7,
  nodeCount: 3,
  clientCount: 8,
  clientThinkMeanMs: 1,
  keyCount: 1,
  latencyTailProbability: 0.5,
  latencyTailMaxMs: 300,
  reorderProbability: 0.3,
  partitionProbability: 0,
  crashProbability: 0,
  leaderFaultProbability: 0,
  membershipProbability: 0,
  transferProbability: 0,
  steps: 6000,
};

const cases: readonly Case[] = [
  {
    defect: "readsBeforeNoopCommits",
    overrides: busyIsolating,
    pinned: [155, 74, 435, 92, 104, 26],
    budget: 300,
  },
  {
    defect: "readsWithoutQuorumRound",
    overrides: deposedLeaderServing,
    pinned: [15, 44, 10, 5],
    budget: 60,
  },
  {
    // The same deposed leader, with answers that may take up to half a second (a latency tail on
    // three messages in ten, reordered): its clients' reads join a round it sent before the
    // election, answered only after its successor acknowledged writes.
    defect: "readJoinsRoundInFlight",
    overrides: {
      ...deposedLeaderServing,
      latencyTailProbability: 0.3,
      latencyTailMaxMs: 500,
      reorderProbability: 0.3,
    },
    pinned: [247],
    budget: 60,
  },
  {
    // Every life numbering its forwarded reads from 1: the first reads of a restarted follower
    // take the answers to its last life's, read indexes chosen before they were asked.
    defect: "forwardedReadsNumberedFromOne",
    overrides: followerRestartingMidRead,
    pinned: [11, 1],
    budget: 30,
  },
];

function plantOf(defect: Case["defect"]): Pick<RunOptions<unknown>, "core" | "rules"> {
  if (defect === "readJoinsRoundInFlight") return { rules: readJoinsRoundInFlight };
  return { core: readDefects[defect] as RaftCore<unknown> };
}

describe("a bounded seed search finds each planted read defect", () => {
  for (const c of cases) {
    it(c.defect, async () => {
      const found = await findViolation(plantOf(c.defect), seedsFrom(c.pinned, 1, c.budget), {
        steps: 2000,
        readShare: 0.5,
        ...c.overrides,
      });
      expect(found, `no violation in seeds 1..${c.budget}`).not.toBeNull();
      if (found === null) return;
      console.log(caughtAsExpected(c.defect, found));
      expect(found.result.violation?.kind).toBe("linearizability");
    });
  }
});
