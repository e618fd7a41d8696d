import { becomeFollower } from "./become.js";
import type { MembershipChange, MembershipRefusal } from "./confchange.js";
import { leaveJoint, planMembershipChange } from "./confchange.js";
import type { Membership } from "./entry.js";
import { InvalidEventError } from "./errors.js";
import type { Ctx } from "./internal/context.js";
import { appendToLog } from "./internal/context.js";
import { asIndex, asTerm } from "./log.js";
import { isVoter } from "./quorum.js";
import { broadcastAppend, maybeCommit } from "./replication.js";
import { leaderOf, matchOf, trackConfiguration } from "./tracker.js";

// Membership changes on the leader (Raft thesis chapter 4). confchange.ts decides what a request
// turns the configuration into; this appends it and follows it through:
//
// - One change at a time (§4.1): a request is refused while the configuration in force (the
//   latest in the log) is not committed; that includes the joint configuration until it is left.
// - The new configuration takes effect on the leader as soon as it is appended (§4.1, the
//   MembershipLog): its progress records follow at once, new members probed from the tip.
// - Once C_old,new is committed the leader appends C_new by itself (§4.3), unless the change asked
//   to leave explicitly, or it is handing leadership over (§3.10). The choice is part of the C_old,new entry (`explicitLeave`), so a leader
//   elected in a committed joint configuration, or restarted in one, finishes the job as asked.
// - A leader that is not a voter of the committed configuration steps down (§4.2.2): it managed
//   the cluster until then without counting itself (quorum.ts counts voters only).
// - A learner is promoted only once it holds every committed entry, unless forced (§4.2.1: a new
//   voter that lags would make the cluster unavailable while it catches up).

/** Validates and applies a `changeMembership` event. */
export function changeMembership(
  ctx: Ctx,
  id: string,
  change: MembershipChange,
  force: boolean,
): void {
  checkChange(change);
  const s = ctx.s;
  if (s.role !== "leader") {
    reject(ctx, id, { reason: "notLeader", leader: s.leader });
    return;
  }
  if (s.transfer !== null) {
    reject(ctx, id, { reason: "transferring", to: s.transfer.to });
    return;
  }
  const current = s.membershipLog.current;
  const result = planMembershipChange(current.membership, change, current.index > s.commit);
  if (!result.ok) {
    reject(ctx, id, result.refusal);
    return;
  }
  if (!force && change.type === "change") {
    for (const op of change.operations) {
      if (op.type === "promote" && matchOf(leaderOf(s), op.id) < s.commit) {
        reject(ctx, id, { reason: "learnerLagging", id: op.id });
        return;
      }
    }
  }
  const index = appendMembership(ctx, result.plan.membership);
  ctx.notes.push({
    type: "membershipChangeAccepted",
    id,
    index: asIndex(index),
    term: asTerm(s.term),
  });
}

/**
 * After every step of a leader: leave a committed joint configuration, or step down when the
 * committed configuration no longer counts this node as a voter.
 */
export function afterMembershipCommit(ctx: Ctx): void {
  const s = ctx.s;
  if (s.role !== "leader") return;
  const current = s.membershipLog.current;
  if (current.index > s.commit) return;
  if (current.membership.outgoing !== undefined) {
    // Whichever leader finds it committed, after a restart too: the intent is in the entry. Not
    // while handing leadership over (§3.10: the log must stop growing so the target can catch
    // up; the simulator found TimeoutNow sent as C_new went out): the target leaves it once it
    // leads, or this leader once the transfer is abandoned.
    if (current.membership.explicitLeave !== true && s.transfer === null) {
      appendMembership(ctx, leaveJoint(current.membership));
    }
    return;
  }
  if (!isVoter(current.membership, s.id)) becomeFollower(ctx, s.term, null);
}

/** Appends a configuration entry; it is in force from now on. Returns its index. */
function appendMembership(ctx: Ctx, membership: Membership): number {
  const s = ctx.s;
  const index = s.log.lastIndex + 1;
  appendToLog(ctx, [
    { kind: "membership", index: asIndex(index), term: asTerm(s.term), membership },
  ]);
  trackMembers(ctx);
  broadcastAppend(ctx);
  maybeCommit(ctx);
  return index;
}

/**
 * The leader's progress follows the configuration in force (tracker.ts): kept for those who stay,
 * fresh (probing from the tip) for those who join, dropped for those who leave.
 */
function trackMembers(ctx: Ctx): void {
  const s = ctx.s;
  const ls = leaderOf(s);
  const next = s.log.lastIndex + 1;
  const progress = trackConfiguration(s.membership, s.id, ls.progress, next, ls.seq + 1);
  s.leaderState = { progress, seq: ls.seq };
}

function reject(ctx: Ctx, id: string, refusal: MembershipRefusal): void {
  ctx.notes.push({ type: "membershipChangeRejected", id, refusal });
}

/** A change request is local input: a malformed one is misuse and throws. */
function checkChange(change: MembershipChange): void {
  if (typeof change !== "object" || change === null) {
    throw new InvalidEventError("changeMembership needs a change object");
  }
  if (change.type === "leaveJoint") return;
  if (change.type !== "change" || !Array.isArray(change.operations)) {
    throw new InvalidEventError(
      'a membership change is { type: "change", operations } or { type: "leaveJoint" }',
    );
  }
  for (const op of change.operations) {
    if (typeof op?.id !== "string" || op.id.length === 0) {
      throw new InvalidEventError("every membership operation needs a non-empty node id");
    }
    if (!["addVoter", "addLearner", "promote", "demote", "remove"].includes(op.type)) {
      throw new InvalidEventError(`unknown membership operation ${JSON.stringify(op.type)}`);
    }
  }
  const transition = change.transition;
  if (transition !== undefined && !["auto", "joint", "jointExplicitLeave"].includes(transition)) {
    throw new InvalidEventError(`unknown membership transition ${JSON.stringify(transition)}`);
  }
}
