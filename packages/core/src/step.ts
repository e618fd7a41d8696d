// The reducer: step(state, event) -> { state, messages, effects }.
//
// Theory of operation
// -------------------
// A node is a pure value. `step` copies it shallowly into a draft, lets exactly one handler
// change the draft's fields (never the nested values it shares with the old state: the log,
// progress records and vote maps are replaced, not mutated), then turns what the handler
// recorded into effects. So an old state stays valid forever, and stepping it again with the
// same event gives the same result: the simulator and the tests replay from any point.
//
// Terms are compared once, here, for every received message (Raft paper §5.1, "if one server's
// current term is smaller than the other's, it updates its current term"):
//   - higher: become a follower of that term first, except for the three cases that must not
//     move the term: a pre-vote request (thesis §9.6: it asks about a term nobody entered), a
//     granted pre-vote answer, and any vote request while the vote lease holds (thesis §4.2.3)
//     unless it carries the transfer flag (the leader itself asked for it, §3.10; transfer.ts);
//   - lower: the sender is stale. An AppendEntries or pre-vote request is answered with our
//     term so its sender catches up; anything else is dropped silently (stale is normal, not bad);
//   - equal: the role handler (stepLeader, stepCandidate, stepFollower) takes the message.
// Every role change goes through one becomeX function (become.ts).
//
// Outputs, in the order the driver must honour them (DESIGN.md, effect.ts):
//   1. one persist effect at most: new log entries (with the index they truncate from), the hard
//      state if term, vote or commit changed, a snapshot. Messages that promise durability ride
//      in its `then` (see internal/context.ts for which); such a message is only ever sent after
//      this write and every earlier one, since persist effects complete in order.
//   2. `messages`: safe to send now.
//   3. apply: committed entries not yet handed out, in order.
//   4. notifications: proposal outcomes, reads ready or rejected, role/term/leader changes,
//      membership changes.
// Bad remote input yields only a `dropped` effect and the old state; local misuse throws.

import { becomeFollower } from "./become.js";
import { stepCandidate } from "./candidate.js";
import type { Effect } from "./effect.js";
import { campaign, handleRequestVote, inLease, tickElection } from "./election.js";
import { InvalidEventError, UnknownEventError } from "./errors.js";
import type { Event } from "./event.js";
import { stepFollower } from "./follower.js";
import type { Ctx } from "./internal/context.js";
import { newContext } from "./internal/context.js";
import { flush, propose, stepLeader, tickLeader } from "./leader.js";
import { onLocalEvent } from "./local-events.js";
import { asIndex, asTerm } from "./log.js";
import { afterMembershipCommit, changeMembership } from "./membership-change.js";
import type { Message, RequestVote } from "./message.js";
import { persistEffect } from "./persist-shape.js";
import { expireForwardedReads, refuseReadIndex, requestRead, settleReads } from "./read-index.js";
import type { RaftState } from "./state.js";
import { transferLeadership } from "./transfer.js";
import { invalidMessageReason } from "./validate-message.js";

/**
 * What one `step` produced: the next state, the messages that may be sent now, and the effects the
 * driver must honour in order.
 */
export type StepResult = {
  readonly state: RaftState;
  /** May be sent at once, even while this step's persist effect is being written (§10.2.1). */
  readonly messages: readonly Message[];
  readonly effects: readonly Effect[];
};

/**
 * The reducer: the node's next state and its outputs for one event. Pure and deterministic: the
 * same state and event always give the same result, and `state` stays valid (it can be stepped
 * again).
 */
export function step(state: RaftState, event: Event): StepResult {
  if (typeof event !== "object" || event === null) throw new UnknownEventError(event);
  // Fed once per driver turn: on a node that is not leading it has nothing to do.
  if (event.type === "flush" && state.role !== "leader") {
    return { state, messages: [], effects: [] };
  }
  const ctx = newContext(state);
  switch (event.type) {
    case "tick": {
      const elapsed = tickElapsed(event.elapsed);
      if (ctx.s.role === "leader") tickLeader(ctx, elapsed);
      else {
        expireForwardedReads(ctx);
        tickElection(ctx);
      }
      break;
    }
    case "campaign":
      // A forced election skips the pre-vote; a leader is already what campaigning would make it.
      if (ctx.s.role !== "leader") campaign(ctx, "forced");
      break;
    case "receive":
      receive(ctx, event.message);
      if (ctx.dropReason !== null) {
        const dropped: Effect = { type: "dropped", message: event.message, reason: ctx.dropReason };
        return { state, messages: [], effects: [dropped] };
      }
      break;
    case "propose":
      if (typeof event.id !== "string" || !(event.data instanceof Uint8Array)) {
        throw new InvalidEventError("propose needs a string id and Uint8Array data");
      }
      propose(ctx, [event]);
      break;
    case "proposeBatch":
      checkProposals(event.proposals);
      propose(ctx, event.proposals);
      break;
    case "read":
      if (typeof event.id !== "string") throw new InvalidEventError("read needs a string id");
      requestRead(ctx, event.id, event.consistency ?? "readIndex");
      break;
    case "flush":
      flush(ctx);
      break;
    case "persisted":
    case "applied":
    case "snapshot":
    case "snapshotChunkRead":
      onLocalEvent(ctx, event);
      break;
    case "changeMembership":
      if (typeof event.id !== "string")
        throw new InvalidEventError("changeMembership needs a string id");
      changeMembership(ctx, event.id, event.change, event.force === true);
      break;
    case "transferLeadership":
      if (typeof event.to !== "string") {
        throw new InvalidEventError("transferLeadership needs a node id");
      }
      transferLeadership(ctx, event.to);
      break;
    default:
      throw new UnknownEventError(unknownEvent(event));
  }
  // A committed configuration may call for the next step: leave the joint one, or step down.
  afterMembershipCommit(ctx);
  // Reads move on with commits and answers, and fail when the role or leader changes.
  settleReads(ctx, state);
  return finish(state, ctx);
}

function receive(ctx: Ctx, msg: Message): void {
  const s = ctx.s;
  const reason = invalidMessageReason(s.id, s.membership, s.leader, msg);
  if (reason !== null) {
    ctx.dropReason = reason;
    return;
  }
  if (msg.term > s.term) {
    // A vote request from a candidate the leader itself chose (TimeoutNow) passes the lease.
    if (msg.type === "requestVote" && msg.transfer !== true && inLease(s)) return;
    const keepsTerm =
      (msg.type === "requestVote" && msg.preVote) ||
      (msg.type === "requestVoteResponse" && msg.preVote && msg.granted);
    const fromLeader =
      msg.type === "appendEntries" || msg.type === "installSnapshot" || msg.type === "timeoutNow";
    // Only the new term's leader restarts the election timer here (Figure 2; see becomeFollower).
    if (!keepsTerm) {
      becomeFollower(ctx, msg.term, fromLeader ? msg.from : null, fromLeader ? "reset" : "keep");
    }
  } else if (msg.term < s.term) {
    answerStale(ctx, msg);
    return;
  }
  switch (s.role) {
    case "leader":
      stepLeader(ctx, msg);
      return;
    case "candidate":
    case "preCandidate":
      stepCandidate(ctx, msg);
      return;
    case "follower":
      stepFollower(ctx, msg);
      return;
    default:
      unreachable(s.role);
  }
}

/** Tells a stale leader or pre-candidate our term, so it stops wasting everyone's time. */
function answerStale(ctx: Ctx, msg: Message): void {
  const s = ctx.s;
  if (msg.type === "appendEntries") {
    ctx.held.push({
      type: "appendEntriesResponse",
      from: s.id,
      to: msg.from,
      term: asTerm(s.term),
      seq: msg.seq,
      success: false,
      conflictIndex: asIndex(0),
      conflictTerm: asTerm(0),
    });
  } else if (msg.type === "installSnapshot") {
    ctx.held.push({
      type: "installSnapshotResponse",
      from: s.id,
      to: msg.from,
      term: asTerm(s.term),
      snapshotIndex: msg.snapshotIndex,
      receivedBytes: 0,
      done: false,
      seq: msg.seq,
    });
  } else if (msg.type === "requestVote" && msg.preVote) {
    handleRequestVote(ctx, msg);
  } else if (msg.type === "requestVote") {
    answerStaleVote(ctx, msg);
  } else if (msg.type === "readIndexRequest") {
    // A follower of an older term asks: tell it our term so it looks for the current leader.
    refuseReadIndex(ctx, msg);
  }
}

/**
 * Figure 2's RequestVote rule 1 ("reply false if term < currentTerm") for a real vote request
 * of an older term. Without an answer a candidate that we never send anything else (it is not
 * in our configuration) never learns the term it must reach, and the cluster can stay leaderless
 * (`pnpm sim --seed 1 --steps 200000 --nodes 5`). The denial is marked as a pre-vote answer:
 * a denied pre-vote answer of a higher term moves its receiver to that term, and a candidate
 * never counts a pre-vote answer in a real election. A denial counted as a vote would be wrong
 * when it arrives late: a candidate that has meanwhile reached our term would take it for our
 * answer in that term and lose an election we might grant (seed 1802 of the default swarm).
 */
function answerStaleVote(ctx: Ctx, msg: RequestVote): void {
  ctx.messages.push({
    type: "requestVoteResponse",
    from: ctx.s.id,
    to: msg.from,
    term: asTerm(ctx.s.term),
    preVote: true,
    granted: false,
  });
}

function finish(prev: RaftState, ctx: Ctx): StepResult {
  const s = ctx.s;
  const effects: Effect[] = [];
  const messages = ctx.messages;
  const last = s.log.lastIndex;
  const logChanged = ctx.dirtyFrom <= last || ctx.dirtyFrom <= ctx.startLast;
  const hardChanged = s.term !== prev.term || s.vote !== prev.vote || s.commit !== prev.commit;
  // Indexed: a for-of builds an iterator until V8 optimizes `finish` (issue #15), and both lists
  // are mostly empty.
  for (let i = 0; i < ctx.snapshotIo.length; i++) effects.push(ctx.snapshotIo[i]!);
  // Held messages always ride in a persist effect, even one with nothing new to write: what they
  // vouch for may have been written by an EARLIER step whose write is still in flight (a
  // duplicated AppendEntries acknowledged again, a vote granted again), and persist effects
  // complete in order, so an empty one completes only after every earlier write.
  if (logChanged || hardChanged || ctx.snapshot !== null || ctx.held.length > 0) {
    effects.push(
      persistEffect(
        hardChanged ? { term: asTerm(s.term), vote: s.vote, commit: asIndex(s.commit) } : undefined,
        ctx.snapshot ?? undefined,
        ctx.dirtyFrom <= ctx.startLast ? asIndex(ctx.dirtyFrom) : undefined,
        ctx.dirtyFrom <= last ? s.log.slice(ctx.dirtyFrom, last) : [],
        ctx.held,
      ),
    );
  }
  // A received snapshot replaces the state machine's state before anything after it is applied.
  if (ctx.restore !== null) effects.push({ type: "restore", snapshot: ctx.restore });
  // Nothing applies on top of a snapshot whose bytes were lost: the state machine holds nothing.
  if (s.commit > s.applyQueued && !s.snapshotLost) {
    effects.push({ type: "apply", entries: s.log.slice(s.applyQueued + 1, s.commit) });
    s.applyQueued = s.commit;
  }
  for (let i = 0; i < ctx.notes.length; i++) effects.push(ctx.notes[i]!);
  if (s.role !== prev.role || s.term !== prev.term || s.leader !== prev.leader) {
    effects.push({ type: "roleChanged", role: s.role, term: asTerm(s.term), leader: s.leader });
  }
  if (s.membership !== prev.membership) {
    effects.push({ type: "membershipChanged", membership: s.membership });
  }
  return { state: s, messages, effects };
}

function unknownEvent(event: never): unknown {
  return event;
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

/** A batch's proposals, each as `propose` checks it; local misuse throws before anything changes. */
function checkProposals(proposals: unknown): void {
  if (!Array.isArray(proposals)) throw new InvalidEventError("proposeBatch needs an array");
  for (let i = 0; i < proposals.length; i++) {
    const p: unknown = proposals[i];
    if (
      typeof p !== "object" ||
      p === null ||
      typeof (p as { id?: unknown }).id !== "string" ||
      !((p as { data?: unknown }).data instanceof Uint8Array)
    ) {
      throw new InvalidEventError("each proposal of a batch needs a string id and Uint8Array data");
    }
  }
}

/** A tick's `elapsed`: 1 when absent; local misuse (not a positive integer) throws. */
function tickElapsed(elapsed: number | undefined): number {
  if (elapsed === undefined) return 1;
  if (!Number.isSafeInteger(elapsed) || elapsed < 1) {
    throw new InvalidEventError(`a tick's elapsed must be a positive integer, got ${elapsed}`);
  }
  return elapsed;
}
