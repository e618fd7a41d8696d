import { becomeFollower } from "./become.js";
import { handleRequestVote } from "./election.js";
import type { Entry } from "./entry.js";
import type { NodeId } from "./ids.js";
import type { Ctx } from "./internal/context.js";
import { appendToLog } from "./internal/context.js";
import { asIndex, asTerm } from "./log.js";
import type { Message } from "./message.js";
import { withProgress } from "./progress.js";
import { hasQuorum } from "./quorum.js";
import { countLeaderTick, noteLeaseRound, noteReadAck, onReadIndexRequest } from "./read-index.js";
import {
  broadcastAppend,
  broadcastHeartbeat,
  handleAppendResponse,
  maybeCommit,
  offerAppend,
  sendAll,
} from "./replication.js";
import { handleSnapshotRequest, handleSnapshotResponse } from "./snapshot-send.js";
import type { Draft } from "./state.js";
import { leaderOf, updateEveryProgress } from "./tracker.js";
import { afterTransferTargetAck, tickTransfer } from "./transfer.js";

// The leader: answers to its AppendEntries, heartbeats and CheckQuorum on ticks, proposals.

export function stepLeader(ctx: Ctx, msg: Message): void {
  switch (msg.type) {
    case "appendEntries":
      // Election Safety (§5.2): at most one leader per term. Another claiming ours is lying or broken.
      ctx.dropReason = `${msg.from} claims to lead term ${msg.term}, which this node leads`;
      return;
    case "appendEntriesResponse": {
      const reason = handleAppendResponse(ctx, msg);
      if (reason !== null) ctx.dropReason = reason;
      else {
        noteReadAck(ctx, msg.from, msg.seq);
        if (msg.success) afterTransferTargetAck(ctx, msg.from);
      }
      return;
    }
    case "requestVote":
      handleRequestVote(ctx, msg);
      return;
    case "installSnapshot":
      // Election Safety again: only the leader of a term sends snapshots in it.
      ctx.dropReason = `${msg.from} claims to lead term ${msg.term}, which this node leads`;
      return;
    case "installSnapshotResponse": {
      const reason = handleSnapshotResponse(ctx, msg);
      if (reason !== null) ctx.dropReason = reason;
      else if (msg.done) afterSnapshotInstalled(ctx, msg.from);
      return;
    }
    case "readIndexRequest":
      onReadIndexRequest(ctx, msg);
      return;
    case "snapshotRequest":
      handleSnapshotRequest(ctx, msg);
      return;
    case "timeoutNow":
      // Election Safety: only the leader of a term asks a follower to campaign.
      ctx.dropReason = `${msg.from} claims to lead term ${msg.term}, which this node leads`;
      return;
    case "requestVoteResponse":
    case "readIndexResponse":
      return;
    default:
      unreachable(msg);
  }
}

/** A follower holds the snapshot: stream it what came after, and count it towards commits. */
function afterSnapshotInstalled(ctx: Ctx, peer: NodeId): void {
  sendAll(ctx, peer);
  maybeCommit(ctx);
  afterTransferTargetAck(ctx, peer);
}

export function tickLeader(ctx: Ctx, elapsed: number): void {
  const s = ctx.s;
  s.heartbeatElapsed += 1;
  s.electionElapsed += 1;
  countLeaderTick(ctx, elapsed);
  if (s.electionElapsed >= s.config.electionTimeoutTicks) {
    s.electionElapsed = 0;
    if (s.config.checkQuorum && !quorumActive(ctx)) {
      // Thesis §6.2: a leader cut off from a quorum steps down so clients look elsewhere.
      becomeFollower(ctx, s.term, null);
      return;
    }
    updateEveryProgress(s, (pr) =>
      pr.recentActive ? withProgress(pr, { recentActive: false }) : pr,
    );
  }
  tickTransfer(ctx);
  if (s.heartbeatElapsed >= s.config.heartbeatIntervalTicks) {
    s.heartbeatElapsed = 0;
    noteLeaseRound(s, s.leaderState!.seq);
    broadcastHeartbeat(ctx);
  }
}

function quorumActive(ctx: Ctx): boolean {
  const s = ctx.s;
  const ls = leaderOf(s);
  return hasQuorum(
    s.membership,
    (id) => id === s.id || (ls.progress.get(id)?.recentActive ?? false),
  );
}

/**
 * Client proposals, in order: append them on the leader, reject each elsewhere or beyond the
 * uncommitted budget. One or many, each is settled as if proposed alone (its own accepted or
 * rejected note, the budget counting the ones before it); the entries are appended and offered
 * to the followers once, together.
 */
export function propose(
  ctx: Ctx,
  proposals: readonly { readonly id: string; readonly data: Uint8Array }[],
): void {
  const s = ctx.s;
  const term = asTerm(s.term);
  let entries: Entry[] | null = null;
  let uncommittedBytes = s.log.bytesAfter(s.commit);
  for (let i = 0; i < proposals.length; i++) {
    const { id, data } = proposals[i]!;
    const refused = refusal(s, uncommittedBytes, data.byteLength);
    if (refused !== null) {
      ctx.notes.push({
        type: "proposalRejected",
        id,
        reason: refused,
        leader: refusalHint(s, refused),
      });
      continue;
    }
    entries ??= [];
    const index = asIndex(s.log.lastIndex + entries.length + 1);
    entries.push({ kind: "command", index, term, data });
    uncommittedBytes += data.byteLength;
    ctx.notes.push({ type: "proposalAccepted", id, index, term });
  }
  if (entries === null) return;
  appendToLog(ctx, entries);
  offerAppend(ctx);
  // A single-voter cluster commits as soon as the entry is durable; nothing to do until then.
  maybeCommit(ctx);
}

type Refusal = "entryTooLarge" | "notLeader" | "transferring" | "uncommittedLimit";

/** Why a proposal of `bytes` is refused with `uncommittedBytes` in the log's tail, or null. */
function refusal(s: Draft, uncommittedBytes: number, bytes: number): Refusal | null {
  // Checked first and everywhere: retrying at the leader would not help.
  if (bytes > s.config.entryBytesMax) return "entryTooLarge";
  if (s.role !== "leader") return "notLeader";
  // Thesis §3.10: the log must stop growing so the target can catch up.
  if (s.transfer !== null) return "transferring";
  // Always accept one entry into an empty tail, or an oversized command could never commit.
  if (uncommittedBytes > 0 && uncommittedBytes + bytes > s.config.uncommittedBytesMax) {
    return "uncommittedLimit";
  }
  return null;
}

/**
 * Where a refused client should turn. While transferring, this node, which still leads: pointing
 * at the target, which does not lead yet (and may never, if it is down), would send a client back
 * and forth between the two at network speed.
 */
function refusalHint(s: Draft, refused: Refusal): NodeId | null {
  return refused === "transferring" || refused === "uncommittedLimit" ? s.id : s.leader;
}

/**
 * The driver's batch of events ended: what proposals appended for followers with messages in
 * flight leaves now, as one AppendEntries per follower as far as its window allows (pipelining,
 * batched per turn; see offerAppend).
 */
export function flush(ctx: Ctx): void {
  if (ctx.s.role === "leader") broadcastAppend(ctx);
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
