import { describe, expect, it } from "vitest";
import type { SimulationOverrides } from "../src/options.js";
import { type RuntimeDefectName, runtimeDefects } from "./runtime-defects.js";
import { caughtAsExpected, findViolation, seedsFrom } from "./search.js";

// The node runtime's rules that protect data (runtime-rules.ts) are rules the simulator must be
// able to break and catch: each defect of runtime-defects.ts is planted through the `rules` seam
// and a bounded seed search must find a safety violation the shipped runtime does not have on
// the same seed. Pinned seeds (that found it before) come first, then the search scans on.
//
// The searches run on the bare disk (`disk: "memory"`): the rules are the runtime's, not the
// storage's, and it is three times faster. Scenario knobs, not scripts, make the defects
// reachable: replies sent before the write need crashes during writes on a slow disk and the
// leader lost soon after; losing a truncation needs crashes (the disk then differs from the
// core's log only until a restart reads it back).
//
// Asynchronous writes (write-pipeline.ts) made two more rules protect data: telling the core
// `persisted` only once the write is durable (before, a leader read acknowledgements only in a
// later turn, after its own write, and this plant was harmless; now it steps them while its write
// is in flight and would count its own copy early), and releasing with a write only the messages
// of the effects it holds, not those stepped while it was in flight. And a third: a node acts in
// a term only once that term is on its disk (term-barrier.ts; the sweep's seed 2652 found it in
// session 8, `pnpm sim --seeds 3000 --read-share 0.5`, and a test replayed it until session 10:
// applying entries in the write in flight, early-apply.ts, moved the schedules, and no seed of
// 1..6000 of that sweep, nor of 1..3000 without reads, reaches it any more; the search below
// still finds it).
//
// Looked for and left out, because the runtime makes them harmless (a search finds nothing, and
// reading the turn says why): a merge that keeps the first hard state of the batch (the next
// write carries the hard state again), and every apply and restore run before the entries are on
// this node's disk (`appliesReady: (applies) => applies.length`; seeds 1..300 with crashes during
// writes and a snapshot every 5 entries, nothing: what is applied is committed, so on a majority's
// disks, and a follower that loses it in a crash gets it again; the runtime now applies entries
// in the write in flight, early-apply.ts, but still not those not yet handed to storage).

type Case = {
  readonly defect: RuntimeDefectName;
  readonly overrides: SimulationOverrides;
  readonly pinned: readonly number[];
  readonly budget: number;
};

const crashesDuringWrites: SimulationOverrides = {
  crashProbability: 0.01,
  leaderFaultProbability: 0.02,
  diskLatencyMinMs: 10,
  diskLatencyMaxMs: 40,
};

/** Crashes of leaders on a slow disk that tears the write in progress. */
const tornWritesOfLeaders: SimulationOverrides = {
  nodeCount: 3,
  crashProbability: 0.02,
  leaderFaultProbability: 0.05,
  diskLatencyMinMs: 20,
  diskLatencyMaxMs: 80,
  tornWriteProbability: 1,
};

/**
 * Two voters and membership changes, so one is often the only voter left, which wins its own
 * election in one step; crashes on a slow disk that tear the write carrying its new term.
 */
const singleVoterCrashes: SimulationOverrides = {
  nodeCount: 2,
  membershipProbability: 0.1,
  crashProbability: 0.01,
  leaderFaultProbability: 0.02,
  diskLatencyMinMs: 10,
  diskLatencyMaxMs: 40,
  tornWriteProbability: 1,
};

const cases: readonly Case[] = [
  { defect: "actsBeforeTermDurable", overrides: singleVoterCrashes, pinned: [115], budget: 300 },
  {
    defect: "sendsBeforeWrite",
    overrides: tornWritesOfLeaders,
    pinned: [11, 16],
    budget: 300,
  },
  { defect: "persistedBeforeWrite", overrides: crashesDuringWrites, pinned: [87], budget: 300 },
  {
    defect: "releasesWithWriteInFlight",
    overrides: tornWritesOfLeaders,
    pinned: [20],
    budget: 300,
  },
  { defect: "mergeLosesTruncation", overrides: crashesDuringWrites, pinned: [6], budget: 300 },
  { defect: "recoveryDropsLastEntry", overrides: {}, pinned: [3, 7], budget: 300 },
  { defect: "recoveryForgetsVote", overrides: {}, pinned: [3, 22], budget: 300 },
  { defect: "snapshotIndexBehindData", overrides: {}, pinned: [2], budget: 300 },
];

describe("a bounded seed search finds each planted runtime defect", () => {
  for (const c of cases) {
    it(c.defect, async () => {
      const found = await findViolation(
        { rules: runtimeDefects[c.defect] },
        seedsFrom(c.pinned, 1, c.budget),
        { steps: 2000, disk: "memory", ...c.overrides },
      );
      expect(found, `no violation in seeds 1..${c.budget}`).not.toBeNull();
      if (found === null) return;
      console.log(caughtAsExpected(c.defect, found));
      expect(found.result.violation).not.toBeNull();
    }, 240_000);
  }
});
