// "Promote when caught up" (Raft thesis §4.2.1). A new server that joins as a voter before it
// holds the log makes the cluster unavailable while it catches up: a majority may then need it
// to commit anything. So it first joins as a learner, and the leader promotes it only once it is
// close enough behind. The thesis measures "close enough" in rounds: each round replicates the
// entries the leader held when the round began; when a round takes less than an election timeout
// the new server lags by less than one election timeout's worth of entries, and promoting it
// costs at most that much unavailability. After `roundsMax` rounds that were all too slow (the
// learner is too slow, or unreachable) the promotion is abandoned with a typed error.
//
// The reducer still checks, when the promotion arrives, that the learner holds every committed
// entry (learnerLagging otherwise); a refusal for that reason starts another round.

import type { NodeId } from "../ids.js";
import { LearnerNotCaughtUpError, MembershipChangeRefusedError, NotLeaderError } from "./errors.js";
import type { Scheduler } from "./scheduler.js";
import type { NodeStatus } from "./types.js";

/** Options of `promoteWhenCaughtUp`. */
export type CatchUpOptions = {
  /** Rounds before giving up (default 10). */
  readonly roundsMax?: number;
  /** Give up (LearnerNotCaughtUpError) after this long in all; default: only `roundsMax` bounds it. */
  readonly timeoutMs?: number;
};

/** What the catch-up reads of the node's status: `createNode`'s, or the core's own (the simulator). */
export type CatchUpView = Pick<
  NodeStatus,
  "role" | "leader" | "membership" | "lastLogIndex" | "progress"
>;

/** What the catch-up needs from the node: `createNode` gives its own; the simulator its node's. */
export type CatchUpHost = {
  /** The node's timers. */
  readonly scheduler: Scheduler;
  /** The node's tick interval, in ms: the catch-up polls once a tick. */
  readonly tickMs: number;
  /** The node's election timeout, in ms: a round that takes longer is too slow (§4.2.1). */
  readonly electionTimeoutMs: number;
  /** The node's status now: its role, leader, configuration, log end and peers' progress. */
  status(): CatchUpView;
  /** Promotes learner `id` as `changeMembership` does; refusals reject with their reason. */
  promote(id: NodeId): Promise<void>;
};

export const catchUpDefaults = { roundsMax: 10 } as const;

/** Runs catch-up rounds for learner `id`, then promotes it (see the top). */
export async function promoteWhenCaughtUp(
  host: CatchUpHost,
  id: NodeId,
  options: CatchUpOptions = {},
): Promise<void> {
  const roundsMax = options.roundsMax ?? catchUpDefaults.roundsMax;
  // Time is counted in the ticks slept (the host's clock may be virtual, or lack `now`).
  let elapsedMs = 0;
  for (let round = 1; round <= roundsMax; round++) {
    const status = host.status();
    checkStillLearner(status, id);
    const target = status.lastLogIndex;
    const roundEndMs = elapsedMs + host.electionTimeoutMs;
    // Poll once a tick: progress moves only when the node takes a turn, at least once a tick.
    while (matchOf(host.status(), id) < target && elapsedMs < roundEndMs) {
      if (options.timeoutMs !== undefined && elapsedMs >= options.timeoutMs) {
        throw new LearnerNotCaughtUpError(id, round, `no catch-up within ${options.timeoutMs} ms`);
      }
      await sleep(host, host.tickMs);
      elapsedMs += host.tickMs;
      checkStillLearner(host.status(), id);
    }
    // Too slow: the learner lags by an election timeout's worth of entries or more. Again, from
    // where the leader's log ends now.
    if (matchOf(host.status(), id) < target) continue;
    try {
      await host.promote(id);
      return;
    } catch (error) {
      if (!(error instanceof MembershipChangeRefusedError)) throw error;
      if (error.refusal.reason !== "learnerLagging") throw error;
    }
  }
  throw new LearnerNotCaughtUpError(
    id,
    roundsMax,
    `every round took an election timeout (${host.electionTimeoutMs} ms) or more`,
  );
}

function checkStillLearner(status: CatchUpView, id: NodeId): void {
  if (status.role !== "leader") throw new NotLeaderError(status.leader);
  const { voters, learners } = status.membership;
  if (learners.includes(id)) return;
  throw new MembershipChangeRefusedError({
    reason: voters.includes(id) ? "notLearner" : "unknownNode",
    id,
  });
}

function matchOf(status: CatchUpView, id: NodeId): number {
  return status.progress?.[id]?.match ?? 0;
}

function sleep(host: CatchUpHost, ms: number): Promise<void> {
  return new Promise((resolve) => host.scheduler.setTimeout(resolve, ms));
}
