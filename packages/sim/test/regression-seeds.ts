import type { SimulationOverrides } from "../src/options.js";

// Every seed that ever found a real bug, with what it found: in @flotilla/core (`...ReducerBugs`)
// or in the simulator's own model of clients and the driver (`fixedSimulatorBugs`). `openReducerBugs`
// still fail (reported to the reducer's owner); when one is fixed, its expected-failure test in
// regression.test.ts starts failing: move it to `fixedReducerBugs`, where it must pass forever.
// NB: seeds replay exactly only for the reducer version that found them; after a reducer change
// a pinned seed keeps guarding the same scenario, not necessarily the same schedule.

export type PinnedSeed = {
  readonly seed: number;
  readonly steps: number;
  readonly overrides?: SimulationOverrides;
  readonly found: string;
};

/**
 * The scenario that reaches Figure 8 (Raft paper §5.4.2): a leader must replicate an earlier-term
 * entry without its own term's no-op in the same message (one entry per message, one message in
 * flight) and fall right after. Shared by the planted-defect search and the seed it pinned.
 */
export const figure8Scenario: SimulationOverrides = {
  nodeCount: 3,
  entriesBytesPerMessageMax: 1,
  inflightMessagesMax: 1,
  leaderFaultProbability: 0.05,
  crashProbability: 0.01,
  preVote: false,
  checkQuorum: false,
  // No storage faults: a slow write or a stopped node would break the sequence the case needs.
  slowWriteProbability: 0,
  diskFullProbability: 0,
  fsyncFailureProbability: 0,
  tornGarbageProbability: 0,
  // Nor membership changes (the scenario predates them).
  membershipProbability: 0,
};

export const openReducerBugs: readonly PinnedSeed[] = [];

export const fixedReducerBugs: readonly PinnedSeed[] = [
  // Liveness: without PreVote, a node that could never win (an empty or stale log, a fast
  // clock) campaigned every timeout, and each denied RequestVote's higher term reset the
  // electable nodes' election timers; on slower clocks they never reached theirs: no leader for
  // the whole budget. The timer now restarts only for the term's leader or a granted vote
  // (Figure 2; become.ts, step.ts; core test "a denied higher-term vote request moves the term").
  { seed: 3949, steps: 2000, found: "liveness: no leader (stale campaigner held timers back)" },
  { seed: 3428, steps: 2000, found: "liveness: no leader (stale campaigner held timers back)" },
  // Liveness: without PreVote, two nodes with stale logs campaigned in turn and no electable
  // node ever did (passes on the reducer as of this commit).
  { seed: 202, steps: 2000, found: "liveness: denied RequestVotes reset the election timer" },
  // Liveness: lagging followers never repaired: a probe's rejection was ignored as stale when it
  // answered an earlier probe of the same probe state (fixed in 4e6f45c).
  { seed: 29, steps: 2000, found: "liveness: rejected AppendEntries never backtracked" },
  { seed: 117, steps: 2000, found: "liveness: operation timed out after the heal" },
  { seed: 296, steps: 2000, found: "liveness: operation timed out after the heal" },
  { seed: 334, steps: 2000, found: "liveness: operation timed out after the heal" },
  { seed: 340, steps: 2000, found: "liveness: operation timed out after the heal" },
  // Safety: a heartbeat covering entries still being written was acknowledged at once, so the
  // leader committed entries the follower then lost in a crash (leader completeness). Fixed in
  // 6bdd538: every reply that vouches for durability rides in a persist effect's `then`, an
  // empty write if need be, which completes only after every earlier write (step.ts `finish`;
  // tested in core's replication.test.ts "a heartbeat covering entries still being written"
  // and testdata/durability-earlier-writes.txt). NB: this schedule no longer reaches the case.
  {
    seed: 81,
    steps: 3000,
    overrides: figure8Scenario,
    found: "leaderCompleteness: heartbeat acknowledged entries not yet durable",
  },
];

export const fixedSimulatorBugs: readonly PinnedSeed[] = [
  // A proposal accepted by a leader that was then deposed waited for its own index to be
  // applied; with one client nothing else ever filled that index, so it could never complete.
  // Now an entry of a later term committed below the slot settles it as lost (kv-clients.ts).
  { seed: 459, steps: 2000, found: "liveness: proposal slot on a deposed leader never settled" },
  { seed: 1143, steps: 2000, found: "liveness: proposal slot on a deposed leader never settled" },
  // An operation invoked after the heal failed at its own timeout (6 election timeouts), tighter
  // than the documented liveness budget (30): without PreVote, elections after the heal took
  // longer (a stale node bumps terms, nodes in the CheckQuorum lease ignore it, so each leader
  // elected at a lower term is deposed by the first higher-term follower it contacts). Both
  // converge well within the budget, which now bounds such operations.
  { seed: 456, steps: 2000, found: "liveness: op timeout tighter than the liveness budget" },
  { seed: 1260, steps: 2000, found: "liveness: op timeout tighter than the liveness budget" },
  // A node restarted twice before its first load finished opened FileStorage twice on one
  // directory; the second recovery rewrote the log under the first, which then refused the next
  // batch as not contiguous (a crash outcome). A restart is now ignored while a load is under way.
  { seed: 394, steps: 2000, found: "crash: two FileStorage opens on one directory" },
  { seed: 4502, steps: 2000, found: "crash: two FileStorage opens on one directory" },
];
