import { leaseTicks } from "./config.js";
import { InvalidEventError } from "./errors.js";
import type { ReadConsistency } from "./event.js";
import type { NodeId } from "./ids.js";
import type { Ctx } from "./internal/context.js";
import { asIndex, asTerm } from "./log.js";
import type { ReadIndexRequest, ReadIndexResponse } from "./message.js";
import { nextRandom, seedFor } from "./prng.js";
import { committedIndex, hasQuorum, isVoter } from "./quorum.js";
import { sendReadRound } from "./replication.js";
import type { Draft, RaftState, ReadState } from "./state.js";

/** A read waiting on this leader: asked here (`from` null) or forwarded by follower `from`. */
type LeaderRead = ReadState["awaitingTermCommit"][number];
/** A read whose index is recorded and whose confirmation round is awaited. */
type ConfirmingRead = ReadState["confirming"][number];

// Linearizable reads without a log write (thesis §6.4). Every rule of reads lives here:
//
// 1. A leader serves a read only once an entry of its own term has committed (its no-op,
//    §6.4 step 1): before that its commit index may lag what an earlier leader committed, and a
//    read there could miss an acknowledged write. Reads that arrive earlier wait for it.
// 2. It records its commit index as the read index, then confirms that it still leads: a quorum
//    must answer an AppendEntries it sent AFTER recording (§6.4 step 3). The `seq` every
//    AppendEntries carries and every answer echoes tells which messages those are, so any
//    traffic counts (heartbeats, entries) and one round serves every read waiting for it: at most
//    one round of our own is in flight, and reads arriving meanwhile share the next. A round goes
//    to the fewest voters that make a quorum with the leader, those that answered a round last
//    first (`roundPeers`): another voter's answer adds nothing, and asking it costs it a wake-up
//    and the leader a send and a receive per round. Which voters are asked is no part of safety
//    (a quorum of answers is); if one asked does not answer, the next heartbeat, sent to all,
//    confirms the reads, and the round after it asks the voters that answered.
// 3. The read is served once the state machine applied up to the read index (§6.4 step 4): the
//    core says `readReady` with the index, the driver waits for its applies.
// 4. A follower asks the leader for a read index (`readIndexRequest`) and serves once applied up
//    to the answer; the leader treats it like its own read.
// 5. Lease reads (§6.4.1, `leaseReads`, which requires CheckQuorum): a follower that heard from
//    the leader refuses votes for an election timeout (§4.2.3), so once a quorum acknowledged a
//    heartbeat round sent at tick t, no other leader can exist before t plus about one election
//    timeout of real time. The leader serves lease reads without a round until `leaseTicks`
//    (config.ts) have passed since the latest such round, else falls back to ReadIndex.
//    Lease time is real time: a tick may stand for several intervals (`elapsed`) when the driver
//    fell behind, so a leader paused past its lease (SIGSTOP, a long GC) does not trust it on
//    waking, and late timers do not stretch it.
//    A leader that sent TimeoutNow (transfer.ts) gives up its lease for the rest of its term:
//    the target's vote requests carry the transfer flag, which voters grant inside their vote
//    lease, so a new leader may commit writes while the old one's lease still runs (and a
//    TimeoutNow delayed in the network may start that election even after the transfer was
//    abandoned). Its reads take the ReadIndex path, whose quorum round fails once a quorum
//    voted in the new term.
// 6. A read pending when its node stops leading, or when the leader a follower asked changes,
//    fails at once (`readRejected`, `leaderChanged`) instead of waiting for a timeout. A forwarded
//    read the leader has not answered within an election timeout fails too (`unanswered`): the
//    request or its answer may be lost on the wire, or the leader deposed without this follower
//    hearing of it (a removed node hears from nobody), and nothing else would ever settle it.
//    Failing is safe (nothing happened); the client retries, at the leader or here.
// 7. A follower numbers its forwarded reads from a point drawn from its seed, not from 1. An
//    answer to a request of its previous life may still be on the wire when it restarts; had the
//    new life numbered its requests alike, it would take that answer for a new request, and serve
//    a read index chosen before the new read was asked (a stale read). Each start has its own
//    seed (createNode draws one; the simulator draws one per boot), so each life numbers its
//    requests in its own 2^20-wide slot among 2^32.

const noReads = new Map<never, never>();

/** The first id of the forwarded reads of a node's life (rule 7). */
export function firstForwardedReadId(seed: number, id: string): number {
  const { value } = nextRandom(seedFor(seed, `${id}/reads`));
  return value * 2 ** 20 + 1;
}

/** The read state of a node that just started; its forwarded reads are numbered from `firstId`. */
export function initialReadState(leaseReads: boolean, firstId: number): ReadState {
  return {
    awaitingTermCommit: [],
    confirming: [],
    roundAfterSeq: null,
    ackedSeq: noReads,
    leaderTicks: 0,
    leaseRounds: [],
    forwarded: noReads,
    forwardTicks: 0,
    nextRequestId: firstId,
    holdVotesAfterStart: leaseReads,
    leaseRevoked: false,
  };
}

/** Leader, sending TimeoutNow: no more lease reads in this term (rule 5). */
export function revokeLease(s: Draft): void {
  if (s.config.leaseReads && !s.reads.leaseRevoked) s.reads = { ...s.reads, leaseRevoked: true };
}

/** A `read` event: serve it here, forward it to the leader, or refuse it. */
export function requestRead(ctx: Ctx, id: string, consistency: ReadConsistency): void {
  const s = ctx.s;
  if (consistency !== "readIndex" && consistency !== "lease") {
    throw new InvalidEventError(`read consistency must be "readIndex" or "lease"`);
  }
  if (consistency === "lease" && !s.config.leaseReads) {
    throw new InvalidEventError("a lease read needs the leaseReads option (and checkQuorum)");
  }
  if (s.role === "leader") {
    if (consistency === "lease" && termCommitted(s) && leaseHolds(s)) {
      ctx.notes.push({ type: "readReady", id, index: asIndex(s.commit) });
      return;
    }
    enqueue(ctx, { id, from: null, requestId: 0 });
    return;
  }
  if (s.role === "follower" && s.leader !== null) {
    const requestId = s.reads.nextRequestId;
    const forwarded = new Map(s.reads.forwarded);
    forwarded.set(requestId, { id, sentTick: s.reads.forwardTicks });
    s.reads = { ...s.reads, forwarded, nextRequestId: requestId + 1 };
    ctx.messages.push({
      type: "readIndexRequest",
      from: s.id,
      to: s.leader,
      term: asTerm(s.term),
      requestId,
    });
    return;
  }
  ctx.notes.push({ type: "readRejected", id, reason: "notLeader", leader: s.leader });
}

/** Leader: a follower asks for a read index on behalf of its client (rule 4). */
export function onReadIndexRequest(ctx: Ctx, msg: ReadIndexRequest): void {
  if (ctx.s.role !== "leader") {
    refuseReadIndex(ctx, msg);
    return;
  }
  enqueue(ctx, { id: "", from: msg.from, requestId: msg.requestId });
}

/** Not the leader of the asker's term (or a later one): it must ask elsewhere. */
export function refuseReadIndex(ctx: Ctx, msg: ReadIndexRequest): void {
  const s = ctx.s;
  ctx.messages.push({
    type: "readIndexResponse",
    from: s.id,
    to: msg.from,
    term: asTerm(s.term),
    requestId: msg.requestId,
    success: false,
  });
}

/** Follower: the leader answered a forwarded read. */
export function onReadIndexResponse(ctx: Ctx, msg: ReadIndexResponse): void {
  const s = ctx.s;
  const id = s.reads.forwarded.get(msg.requestId)?.id;
  if (id === undefined) return; // answered already, or failed (the leader changed, or too late)
  const forwarded = new Map(s.reads.forwarded);
  forwarded.delete(msg.requestId);
  s.reads = { ...s.reads, forwarded };
  if (msg.success) ctx.notes.push({ type: "readReady", id, index: msg.readIndex });
  else ctx.notes.push({ type: "readRejected", id, reason: "leaderChanged", leader: s.leader });
}

/** Follower tick: forwarded reads the leader left unanswered for an election timeout fail (rule 6). */
export function expireForwardedReads(ctx: Ctx): void {
  const s = ctx.s;
  if (s.reads.forwarded.size === 0) return;
  const now = s.reads.forwardTicks + 1;
  const forwarded = new Map(s.reads.forwarded);
  for (const [requestId, read] of s.reads.forwarded) {
    if (now - read.sentTick < s.config.electionTimeoutTicks) continue;
    forwarded.delete(requestId);
    ctx.notes.push({ type: "readRejected", id: read.id, reason: "unanswered", leader: s.leader });
  }
  s.reads = { ...s.reads, forwarded, forwardTicks: now };
}

/** Leader: `peer` answered the AppendEntries with this seq. */
export function noteReadAck(ctx: Ctx, peer: NodeId, seq: number): void {
  const reads = ctx.s.reads;
  if (reads.confirming.length === 0 && !ctx.s.config.leaseReads) return;
  if ((reads.ackedSeq.get(peer) ?? 0) >= seq) return;
  const ackedSeq = new Map(reads.ackedSeq);
  ackedSeq.set(peer, seq);
  ctx.s.reads = { ...reads, ackedSeq };
}

/**
 * Leader tick (lease reads only): time for the lease, in the tick intervals of real time the
 * tick stands for, so a leader whose process was paused past its lease does not trust it on waking.
 */
export function countLeaderTick(ctx: Ctx, elapsed: number): void {
  if (!ctx.s.config.leaseReads) return;
  ctx.s.reads = { ...ctx.s.reads, leaderTicks: ctx.s.reads.leaderTicks + elapsed };
}

/**
 * Leader, about to send a heartbeat round (lease reads only): remember when, so that a quorum
 * answering it extends the lease. Rounds too old to give a lease are forgotten.
 */
export function noteLeaseRound(s: Draft, seqBefore: number): void {
  if (!s.config.leaseReads) return;
  const reads = s.reads;
  const now = reads.leaderTicks;
  const oldest = now - leaseTicks(s.config);
  const kept = reads.leaseRounds.filter((round) => round.tick > oldest);
  const last = kept.at(-1);
  if (last !== undefined && last.tick === now) return; // one round per tick starts the lease
  kept.push({ seq: seqBefore, tick: now });
  s.reads = { ...reads, leaseRounds: kept };
}

/**
 * After every step: fail the reads a role, term or leader change strands (rule 6), then, on a
 * leader, move reads on: record indexes once the term has a committed entry, serve those a
 * quorum confirmed, and start a round for the rest.
 */
export function settleReads(ctx: Ctx, prev: RaftState): void {
  const s = ctx.s;
  if (s.role !== prev.role || s.term !== prev.term || s.leader !== prev.leader) {
    failPending(ctx);
  }
  if (s.reads.holdVotesAfterStart && heardOrWaited(s)) {
    s.reads = { ...s.reads, holdVotesAfterStart: false };
  }
  if (s.role !== "leader") return;
  if (s.reads.awaitingTermCommit.length > 0 && termCommitted(s)) {
    const waiting = s.reads.awaitingTermCommit;
    s.reads = { ...s.reads, awaitingTermCommit: [] };
    for (const read of waiting) enqueue(ctx, read);
  }
  if (s.reads.confirming.length > 0) confirm(ctx);
}

/** Rule 1: an entry of the leader's own term has committed, so `commit` is current. */
function termCommitted(s: RaftState): boolean {
  return s.log.term(s.commit) === s.term;
}

function enqueue(ctx: Ctx, read: LeaderRead): void {
  const s = ctx.s;
  if (!termCommitted(s)) {
    s.reads = { ...s.reads, awaitingTermCommit: [...s.reads.awaitingTermCommit, read] };
    return;
  }
  const seq = s.leaderState!.seq;
  const confirming = [...s.reads.confirming, { ...read, index: s.commit, afterSeq: seq }];
  s.reads = { ...s.reads, confirming };
}

/** The highest seq a quorum has answered (the leader counts as having answered everything). */
function quorumAckedSeq(s: RaftState): number {
  const acked = s.reads.ackedSeq;
  return committedIndex(s.membership, (id) =>
    id === s.id ? Number.POSITIVE_INFINITY : (acked.get(id) ?? 0),
  );
}

/** Serves the reads a quorum confirmed (rule 2) and starts a round for the others. */
function confirm(ctx: Ctx): void {
  const s = ctx.s;
  const quorumSeq = quorumAckedSeq(s);
  const confirming = s.reads.confirming;
  let served = 0;
  while (served < confirming.length && confirming[served]!.afterSeq < quorumSeq) {
    serve(ctx, confirming[served]!);
    served++;
  }
  const rest = served === 0 ? confirming : confirming.slice(served);
  const inFlight = s.reads.roundAfterSeq;
  const roundDone = inFlight === null || inFlight < quorumSeq;
  if (rest.length === 0) {
    s.reads = { ...s.reads, confirming: rest, roundAfterSeq: roundDone ? null : inFlight };
    return;
  }
  if (!roundDone) {
    if (served > 0) s.reads = { ...s.reads, confirming: rest };
    return;
  }
  // Every read left was recorded after the last round left: a new round covers them all.
  const seqBefore = s.leaderState!.seq;
  s.reads = { ...s.reads, confirming: rest, roundAfterSeq: seqBefore };
  noteLeaseRound(s, seqBefore);
  sendReadRound(ctx, roundPeers(s, rest));
}

/**
 * The peers a read round for `reads` asks (rule 2): every follower whose forwarded read is among
 * them (its answer counts like any other, and the round brings it the commit index its read
 * waits to apply), then voters added until they make a quorum with the leader, most likely to
 * answer first: those streamed to (replicate), then those that answered a round last. All of
 * them if they cannot make a quorum; only peers whose log the leader can check.
 */
function roundPeers(s: RaftState, reads: readonly ConfirmingRead[]): NodeId[] {
  const { progress } = s.leaderState!;
  const acked = s.reads.ackedSeq;
  const forwarders = new Set<NodeId>();
  for (const read of reads) if (read.from !== null) forwarders.add(read.from);
  const asked = new Set<NodeId>();
  const voters: NodeId[] = [];
  for (const [peer, pr] of progress) {
    if (s.log.term(pr.match) === undefined) continue; // compacted away: sent a snapshot instead
    if (forwarders.has(peer)) asked.add(peer);
    else if (isVoter(s.membership, peer)) voters.push(peer);
  }
  const streamed = (peer: NodeId) => (progress.get(peer)?.state === "replicate" ? 1 : 0);
  voters.sort((a, b) => streamed(b) - streamed(a) || (acked.get(b) ?? 0) - (acked.get(a) ?? 0));
  for (const peer of voters) {
    if (hasQuorum(s.membership, (id) => id === s.id || asked.has(id))) break;
    asked.add(peer);
  }
  return [...asked];
}

function serve(ctx: Ctx, read: ConfirmingRead): void {
  const s = ctx.s;
  const index = asIndex(read.index);
  if (read.from === null) {
    ctx.notes.push({ type: "readReady", id: read.id, index });
    return;
  }
  const term = asTerm(s.term);
  const answer = { requestId: read.requestId, success: true as const, readIndex: index };
  ctx.messages.push({ type: "readIndexResponse", from: s.id, to: read.from, term, ...answer });
}

/**
 * Rule 5: a quorum answered a round sent less than `leaseTicks` ticks ago. Answers to a round's
 * messages prove the peer received them after the round's tick, and then refuses votes for an
 * election timeout.
 */
function leaseHolds(s: RaftState): boolean {
  if (s.reads.leaseRevoked) return false;
  const quorumSeq = quorumAckedSeq(s);
  const rounds = s.reads.leaseRounds;
  for (let i = rounds.length - 1; i >= 0; i--) {
    const round = rounds[i]!;
    if (round.seq < quorumSeq) return s.reads.leaderTicks - round.tick < leaseTicks(s.config);
  }
  return false;
}

/** Rule 6: every read pending here fails; the bookkeeping of the old role is dropped. */
function failPending(ctx: Ctx): void {
  const s = ctx.s;
  const reads = s.reads;
  const leader = s.leader;
  const fail = (id: string) =>
    ctx.notes.push({ type: "readRejected", id, reason: "leaderChanged", leader });
  for (const read of reads.awaitingTermCommit) if (read.from === null) fail(read.id);
  for (const read of reads.confirming) if (read.from === null) fail(read.id);
  for (const read of reads.forwarded.values()) fail(read.id);
  // Reads forwarded to us by followers are not answered: their nodes fail them when they learn
  // of the change, or their clients time out.
  const fresh = initialReadState(false, reads.nextRequestId);
  s.reads = {
    ...fresh,
    forwardTicks: reads.forwardTicks,
    holdVotesAfterStart: reads.holdVotesAfterStart,
  };
}

/** The start-up vote hold ends once a leader is heard from or an election timeout passed. */
function heardOrWaited(s: RaftState): boolean {
  return (
    s.leader !== null || s.role !== "follower" || s.electionElapsed >= s.config.electionTimeoutTicks
  );
}
