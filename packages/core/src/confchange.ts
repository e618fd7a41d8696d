import type { Membership } from "./entry.js";
import type { NodeId } from "./ids.js";
import { membershipOf } from "./membership.js";

// Membership change requests (Raft thesis chapter 4), as pure functions of a configuration: what a
// request would turn the configuration into, or why it is refused. Nothing here knows about logs,
// roles or progress; the reducer decides when a change may start (one at a time, on the leader)
// and appends what this returns. Like etcd raft's confchange/, apart from tracker/ and quorum/.
//
// - A change whose incoming voters differ from the current ones by at most one node goes in one
//   step (thesis §4.1: any two majorities of configurations one server apart overlap).
// - Anything larger goes through the joint configuration C_old,new (thesis §4.3): `voters` is the
//   new set, `outgoing` the old one, and every decision needs a majority of each. The leader
//   leaves it (appends C_new) once C_old,new is committed, or waits for an explicit leaveJoint.
// - A voter demoted to learner in a joint change stays in `outgoing` (it still votes in the old
//   half) while already listed in `learners`; leaving the joint configuration drops `outgoing`
//   and with it the vote.

/** One operation of a change request. */
export type MembershipOperation =
  | { readonly type: "addVoter"; readonly id: NodeId }
  | { readonly type: "addLearner"; readonly id: NodeId }
  /** A learner becomes a voter. */
  | { readonly type: "promote"; readonly id: NodeId }
  /** A voter becomes a learner. */
  | { readonly type: "demote"; readonly id: NodeId }
  /** A voter or learner leaves the cluster. */
  | { readonly type: "remove"; readonly id: NodeId };

/**
 * How a change travels. "auto": in one step when at most one voter changes, else through a joint
 * configuration left automatically once committed. "joint": always through a joint configuration,
 * left automatically. "jointExplicitLeave": through a joint configuration the caller leaves with a
 * `leaveJoint` request (thesis §4.3 leaves the timing to the leader; etcd offers the same choice).
 */
export type MembershipTransition = "auto" | "joint" | "jointExplicitLeave";

/** A change request: operations applied together, or the end of a joint configuration. */
export type MembershipChange =
  | {
      readonly type: "change";
      readonly operations: readonly MembershipOperation[];
      readonly transition?: MembershipTransition;
    }
  /** Leave the joint configuration: C_old,new becomes C_new. */
  | { readonly type: "leaveJoint" };

/** Why a change request is refused. Nothing is appended for a refused request. */
export type MembershipRefusal =
  /** Another change is not committed yet, or its joint configuration not left (thesis §4.1). */
  | { readonly reason: "changePending" }
  /** The configuration is joint: only a leaveJoint request may follow. */
  | { readonly reason: "inJoint" }
  /** leaveJoint, but the configuration is not joint. */
  | { readonly reason: "notJoint" }
  | { readonly reason: "noOperations" }
  /** The change would leave no voter at all. */
  | { readonly reason: "lastVoter" }
  /** Two operations name the same node. */
  | { readonly reason: "duplicateNode"; readonly id: NodeId }
  /** Adding a node that is already a voter or learner. */
  | { readonly reason: "alreadyMember"; readonly id: NodeId }
  /** Promoting, demoting or removing a node that is neither voter nor learner. */
  | { readonly reason: "unknownNode"; readonly id: NodeId }
  /** Promoting a node that is not a learner. */
  | { readonly reason: "notLearner"; readonly id: NodeId }
  /** Demoting a node that is not a voter. */
  | { readonly reason: "notVoter"; readonly id: NodeId }
  /** Promoting a learner whose log lags the leader's (decided by the reducer, not here). */
  | { readonly reason: "learnerLagging"; readonly id: NodeId }
  /** The node asked is not the leader; `leader` is its best guess. */
  | { readonly reason: "notLeader"; readonly leader: NodeId | null }
  /** The leader is handing leadership to `to` (thesis §3.10); ask the new leader. */
  | { readonly reason: "transferring"; readonly to: NodeId };

/** The `reason` of a refusal, for programs that switch on it. */
export type MembershipRefusalReason = MembershipRefusal["reason"];

/**
 * What a valid request turns the configuration into. A joint configuration the leader leaves
 * only on request says so in the configuration itself (`explicitLeave`), so the log records it.
 */
export type MembershipPlan = {
  readonly membership: Membership;
};

export type PlanResult =
  | { readonly ok: true; readonly plan: MembershipPlan }
  | { readonly ok: false; readonly refusal: MembershipRefusal };

/**
 * The configuration that `change` turns `current` into, or why it is refused. `changePending`:
 * the configuration in force is not committed yet (one change at a time, thesis §4.1).
 */
export function planMembershipChange(
  current: Membership,
  change: MembershipChange,
  changePending: boolean,
): PlanResult {
  if (changePending) return refuse({ reason: "changePending" });
  if (change.type === "leaveJoint") {
    if (current.outgoing === undefined) return refuse({ reason: "notJoint" });
    return accept(leaveJoint(current));
  }
  if (current.outgoing !== undefined) return refuse({ reason: "inJoint" });
  if (change.operations.length === 0) return refuse({ reason: "noOperations" });
  const applied = applyOperations(current, change.operations);
  if (!applied.ok) return applied;
  const { voters, learners } = applied.plan.membership;
  if (voters.length === 0) return refuse({ reason: "lastVoter" });
  const transition = change.transition ?? "auto";
  if (transition === "auto" && votersDifferByAtMostOne(current.voters, voters)) {
    return accept(membershipOf(voters, learners));
  }
  return accept(
    membershipOf(voters, learners, current.voters, transition === "jointExplicitLeave"),
  );
}

/**
 * C_old,new -> C_new: the incoming half alone; a demoted voter keeps only its learner role (and
 * `explicitLeave`, which only a joint configuration has, goes with `outgoing`).
 */
export function leaveJoint(joint: Membership): Membership {
  return membershipOf(joint.voters, joint.learners);
}

/** Whether `membership` is a joint configuration (thesis §4.3). */
export function isJoint(membership: Membership): boolean {
  return membership.outgoing !== undefined;
}

function applyOperations(
  current: Membership,
  operations: readonly MembershipOperation[],
): PlanResult {
  const voters = [...current.voters];
  const learners = [...current.learners];
  const named = new Set<NodeId>();
  for (const op of operations) {
    if (named.has(op.id)) return refuse({ reason: "duplicateNode", id: op.id });
    named.add(op.id);
    const isVoter = voters.includes(op.id);
    const isLearner = learners.includes(op.id);
    switch (op.type) {
      case "addVoter":
      case "addLearner":
        if (isVoter || isLearner) return refuse({ reason: "alreadyMember", id: op.id });
        (op.type === "addVoter" ? voters : learners).push(op.id);
        break;
      case "promote":
        if (!isLearner)
          return refuse({ reason: isVoter ? "notLearner" : "unknownNode", id: op.id });
        remove(learners, op.id);
        voters.push(op.id);
        break;
      case "demote":
        if (!isVoter) return refuse({ reason: isLearner ? "notVoter" : "unknownNode", id: op.id });
        remove(voters, op.id);
        learners.push(op.id);
        break;
      case "remove":
        if (!isVoter && !isLearner) return refuse({ reason: "unknownNode", id: op.id });
        remove(voters, op.id);
        remove(learners, op.id);
        break;
      default:
        return unreachable(op);
    }
  }
  return accept(membershipOf(voters, learners));
}

/** Thesis §4.1: configurations one voter apart share a node in any two of their majorities. */
function votersDifferByAtMostOne(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  let differences = 0;
  for (const id of a) if (!b.includes(id)) differences++;
  for (const id of b) if (!a.includes(id)) differences++;
  return differences <= 1;
}

function remove(list: NodeId[], id: NodeId): void {
  const i = list.indexOf(id);
  if (i >= 0) list.splice(i, 1);
}

function accept(membership: Membership): PlanResult {
  return { ok: true, plan: { membership } };
}

function refuse(refusal: MembershipRefusal): PlanResult {
  return { ok: false, refusal };
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
