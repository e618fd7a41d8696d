import type { TransferRefusal } from "./effect.js";
import { campaign } from "./election.js";
import type { NodeId } from "./ids.js";
import type { Ctx } from "./internal/context.js";
import { asTerm } from "./log.js";
import type { TimeoutNow } from "./message.js";
import { isVoter, members } from "./quorum.js";
import { revokeLease } from "./read-index.js";
import { sendAll } from "./replication.js";
import { leaderOf, matchOf } from "./tracker.js";

// Leadership transfer (thesis §3.10). The leader hands over to a chosen voter in four steps:
//   1. it stops accepting client requests (proposals and membership changes are refused with
//      reason "transferring"), so its log stops growing and the target can catch up with it;
//   2. it brings the target's log up to its own, by ordinary replication;
//   3. it sends the target TimeoutNow once the target acknowledged its last index (again on every
//      later acknowledgement while the transfer lasts, so a lost TimeoutNow costs one heartbeat);
//   4. the target campaigns at once, in a new term, without a pre-vote, and its vote requests carry
//      the transfer flag so that voters still within their vote lease (§4.2.3) answer anyway: the
//      leader the lease protects is the one asking. With a log at least as long as everyone's,
//      the target wins unless another candidate gets there first.
// The leader steps down when the target's vote request reaches it (a higher term). If that has not
// happened within an election timeout the transfer is abandoned and the leader serves again
// (§3.10: "the prior leader aborts the transfer").

/** Starts a transfer to `to`, or reports why not. */
export function transferLeadership(ctx: Ctx, to: NodeId): void {
  const refusal = transferRefusal(ctx, to);
  if (refusal !== null) {
    ctx.notes.push({
      type: "leadershipTransferRefused",
      to,
      reason: refusal,
      leader: ctx.s.leader,
    });
    return;
  }
  const s = ctx.s;
  s.transfer = { to, elapsedTicks: 0 };
  ctx.notes.push({ type: "leadershipTransferStarted", to, term: asTerm(s.term) });
  if (caughtUp(ctx, to)) sendTimeoutNow(ctx, to);
  else sendAll(ctx, to);
}

function transferRefusal(ctx: Ctx, to: NodeId): TransferRefusal | null {
  const s = ctx.s;
  if (s.role !== "leader") return "notLeader";
  if (to === s.id) return "self";
  if (!members(s.membership).includes(to)) return "unknownNode";
  // A voter only of the outgoing half of a joint configuration would lead a configuration it is
  // leaving, and step down again (§4.2.2).
  if (!s.membership.voters.includes(to) || !isVoter(s.membership, to)) return "notVoter";
  if (s.transfer !== null) return "inProgress";
  return null;
}

/**
 * `peer` acknowledged entries (or installed a snapshot): if it is the transfer's target and now
 * holds the leader's whole log, tell it to campaign.
 */
export function afterTransferTargetAck(ctx: Ctx, peer: NodeId): void {
  const transfer = ctx.s.transfer;
  if (transfer === null || transfer.to !== peer) return;
  if (caughtUp(ctx, peer)) sendTimeoutNow(ctx, peer);
}

/** A leader's tick: gives up a transfer that has taken an election timeout. */
export function tickTransfer(ctx: Ctx): void {
  const s = ctx.s;
  const transfer = s.transfer;
  if (transfer === null) return;
  const elapsedTicks = transfer.elapsedTicks + 1;
  if (elapsedTicks < s.config.electionTimeoutTicks) {
    s.transfer = { to: transfer.to, elapsedTicks };
    return;
  }
  s.transfer = null;
  ctx.notes.push({
    type: "leadershipTransferAborted",
    to: transfer.to,
    term: asTerm(s.term),
    reason: "timedOut",
  });
}

/**
 * A follower told by its leader to campaign now. Returns why the message is dropped, or null.
 * Only the leader of our term may ask (the dispatcher settled the term), and only a voter can
 * campaign.
 */
export function handleTimeoutNow(ctx: Ctx, msg: TimeoutNow): string | null {
  const s = ctx.s;
  if (s.leader !== null && s.leader !== msg.from) {
    return `${msg.from} is not the leader of term ${msg.term} (${s.leader} is)`;
  }
  if (!isVoter(s.membership, s.id)) return "timeoutNow to a node that is not a voter";
  campaign(ctx, "transfer");
  return null;
}

function caughtUp(ctx: Ctx, peer: NodeId): boolean {
  return matchOf(leaderOf(ctx.s), peer) === ctx.s.log.lastIndex;
}

function sendTimeoutNow(ctx: Ctx, to: NodeId): void {
  const s = ctx.s;
  // The target's election passes the vote lease our lease reads rest on (read-index.ts rule 5).
  revokeLease(s);
  ctx.messages.push({ type: "timeoutNow", from: s.id, to, term: asTerm(s.term) });
}
