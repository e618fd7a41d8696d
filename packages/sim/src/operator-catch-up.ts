import {
  LearnerNotCaughtUpError,
  type MembershipChange,
  MembershipChangeRefusedError,
  type NodeId,
  NotLeaderError,
} from "@flotilla/core";
import { type CatchUpView, promoteWhenCaughtUp } from "@flotilla/core/runtime";
import { membershipOf } from "@flotilla/core/storage";
import type { NodeHost } from "./node-host.js";
import { outcomeOf } from "./node-outcomes.js";

/** What the operator's catch-up needs from the simulated node it was asked of. */
export interface CatchUpNode {
  readonly id: NodeId;
  /** The node's core status now; null while it is down or loading. */
  view(): CatchUpView | null;
  /** Registers `change` and delivers it, as `createNode`'s changeMembership; null when down. */
  change(change: MembershipChange): Promise<void> | null;
}

/** What a node that is down or loading reports: it leads nothing. */
const notLeading: CatchUpView = {
  role: "follower",
  leader: null,
  membership: membershipOf([], []),
  lastLogIndex: 0 as CatchUpView["lastLogIndex"],
};

/**
 * The operator asks `node` (its leader) to promote `learner` once it has caught up: the
 * driver's own `promoteWhenCaughtUp` (thesis §4.2.1: rounds of replication, each shorter than an
 * election timeout, before the learner votes), on the simulator's virtual scheduler and the
 * node's MembershipChangeRegistry, with the timing `createNode` would give it. The outcome is
 * tallied like any change: done, refused with its reason (`learnerNotCaughtUp` when every round
 * was too slow), or unknown (the leader stepped down or crashed).
 */
export function promoteOnceCaughtUp(host: NodeHost, node: CatchUpNode, learner: NodeId): void {
  const tickMs = host.options.tickMs;
  const tally = host.membershipTally;
  host.trace.fault(host.nowMs, `n${node.id}: promote n${learner} when caught up`);
  const promote = (id: NodeId): Promise<void> => {
    const change: MembershipChange = { type: "change", operations: [{ type: "promote", id }] };
    return node.change(change) ?? Promise.reject(new NotLeaderError(null));
  };
  const catchUp = promoteWhenCaughtUp(
    {
      scheduler: host.scheduler,
      tickMs,
      electionTimeoutMs: host.options.electionTimeoutTicks * tickMs,
      status: () => node.view() ?? notLeading,
      promote,
    },
    learner,
  );
  catchUp.then(
    () => tally.caughtUp(),
    (error: unknown) => {
      if (error instanceof LearnerNotCaughtUpError) tally.refused({ reason: "learnerNotCaughtUp" });
      else if (error instanceof MembershipChangeRefusedError) tally.refused(error.refusal);
      else if (outcomeOf(error, (hint: NodeId | null) => host.nodeIndex(hint)) !== null) {
        tally.unknown();
      } else host.fail(error);
    },
  );
}
