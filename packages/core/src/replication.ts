import type { NodeId } from "./ids.js";
import type { Ctx } from "./internal/context.js";
import { asIndex, asTerm, entryBytes } from "./log.js";
import type { AppendEntries, AppendEntriesResponse } from "./message.js";
import type { Progress } from "./progress.js";
import {
  isPaused,
  markActive,
  onAck,
  onLostLog,
  onSent,
  raiseMatch,
  rewind,
  toProbe,
  toReplicate,
  withProgress,
} from "./progress.js";
import { committedIndex } from "./quorum.js";
import { snapshotHeartbeat, startSnapshot } from "./snapshot-send.js";
import type { LeaderState } from "./tracker.js";
import { leaderOf, matchOf, progressOf, setProgress } from "./tracker.js";

// The leader's side of log replication (§5.3): what to send to each follower, what its answers
// mean, and when an index is committed (§5.4.2).

/** Queues an AppendEntries to `peer` with the leader's next seq, and returns that seq. */
function pushAppendEntries(
  ctx: Ctx,
  ls: LeaderState,
  peer: NodeId,
  prevLogIndex: number,
  prevLogTerm: number,
  entries: AppendEntries["entries"],
  leaderCommit: number,
): number {
  const s = ctx.s;
  const seq = ls.seq + 1;
  ctx.messages.push({
    type: "appendEntries",
    from: s.id,
    to: peer,
    term: asTerm(s.term),
    prevLogIndex: asIndex(prevLogIndex),
    prevLogTerm: asTerm(prevLogTerm),
    entries,
    leaderCommit: asIndex(leaderCommit),
    seq,
  });
  return seq;
}

/**
 * Entry bytes a probe may carry. A follower in probe state may be dead, partitioned or far behind,
 * and each heartbeat sends it a probe: a probe with a full batch (up to 1 MiB) would cost the
 * leader a batch per heartbeat for nothing. Small enough to fit one datagram; large enough that
 * the probe of a new leader carries its no-op and a few commands, so a follower that is merely
 * current catches up in the probe's own round trip.
 */
const probeEntriesBytesMax = 4 * 1024;

/**
 * Entry bytes per message to a follower whose messages were lost lately. On a lossy path a
 * message cut into n datagrams is lost whole if any one is: at 10% datagram loss a 6 KiB batch of
 * the UDP transport's 1,232-byte datagrams is lost 47% of the time, a 1 KiB piece 10%. About one
 * datagram: a loss costs one small resend, and what got through is kept. Only after a loss, for
 * `lossyHeartbeatsFor` heartbeats, so a lossless stream keeps its large batches (fewer messages
 * and acknowledgements; `bench latency --virtual --loss`, docs/benchmarks.md).
 */
const lossyEntriesBytesMax = 1024;

/**
 * The most entry bytes one message to `pr`'s follower carries: the configured limit, or about one
 * datagram while its path loses messages. The one place messages are sized by loss.
 */
function messageBytesMax(ctx: Ctx, pr: Progress): number {
  const configured = ctx.s.config.entriesBytesPerMessageMax;
  return pr.lossyHeartbeats > 0 ? Math.min(lossyEntriesBytesMax, configured) : configured;
}

/**
 * Heartbeats a loss keeps a follower's messages small: an election timeout's worth, long enough
 * to span the next losses on a path that keeps losing (10% loss at 64 entries in flight is a loss
 * every few round trips), short enough that a path that healed soon gets large batches again.
 */
function lossyHeartbeatsFor(ctx: Ctx): number {
  const { electionTimeoutTicks, heartbeatIntervalTicks } = ctx.s.config;
  return Math.ceil(electionTimeoutTicks / heartbeatIntervalTicks);
}

/**
 * Sends `peer` one AppendEntries from its `next` (in replicate state at most messageBytesMax
 * bytes of entries and at least one entry; a probe carries at most probeEntriesBytesMax of those,
 * possibly none), unless its progress is paused. With `allowEmpty` it sends
 * even when there is nothing new (a probe or heartbeat). Returns whether a message was sent.
 */
export function sendAppend(ctx: Ctx, peer: NodeId, allowEmpty: boolean): boolean {
  const s = ctx.s;
  const ls = leaderOf(s);
  const pr = progressOf(ls, peer);
  if (isPaused(pr, s.config)) return false;
  const prevLogIndex = pr.next - 1;
  const prevLogTerm = s.log.term(prevLogIndex);
  if (prevLogTerm === undefined) {
    // Below the log's start: the follower needs entries we compacted away (§7).
    startSnapshot(ctx, peer);
    return false;
  }
  const entries = entriesFor(ctx, pr);
  if (entries.length === 0 && !allowEmpty) return false;
  const leaderCommit = entries.length > 0 ? s.commit : Math.min(s.commit, pr.match);
  const seq = pushAppendEntries(ctx, ls, peer, prevLogIndex, prevLogTerm, entries, leaderCommit);
  const lastIndex = prevLogIndex + entries.length;
  const bytes = s.log.bytesAfter(prevLogIndex) - s.log.bytesAfter(lastIndex);
  const sent = onSent(pr, lastIndex, entries.length > 0, bytes);
  setProgress(s, peer, sent, seq);
  return true;
}

function entriesFor(ctx: Ctx, pr: Progress): AppendEntries["entries"] {
  const { log, config } = ctx.s;
  const bytesMax = messageBytesMax(ctx, pr);
  if (pr.state !== "probe") {
    // Within the follower's byte window (not paused, so some room is left); at least one entry.
    const room = config.inflightBytesMax - pr.inflight.bytes;
    return log.batch(pr.next, Math.min(bytesMax, room));
  }
  const budget = Math.min(probeEntriesBytesMax, bytesMax);
  const entries = log.batch(pr.next, budget);
  // batch() returns at least one entry; a probe need not: one large entry waits for replicate.
  return entries.length === 1 && entryBytes(entries[0]!) > budget ? [] : entries;
}

/** Sends `peer` everything it lacks, as far as its window allows. */
export function sendAll(ctx: Ctx, peer: NodeId): void {
  while (sendAppend(ctx, peer, false)) {
    // The window or the log bounds the loop.
  }
}

/**
 * Sends an entry-less AppendEntries checking the follower's log at `prevLogIndex`, and starts a
 * new stall-detection interval (see broadcastHeartbeat).
 */
function sendEmpty(ctx: Ctx, peer: NodeId, prevLogIndex: number): void {
  const s = ctx.s;
  const ls = leaderOf(s);
  const pr = progressOf(ls, peer);
  const next = pr.ackedSinceHeartbeat ? withProgress(pr, { ackedSinceHeartbeat: false }) : pr;
  const prevLogTerm = s.log.term(prevLogIndex);
  if (prevLogTerm === undefined) {
    // Compaction passed the follower (it lagged beyond the trailing window): InstallSnapshot.
    if (next !== pr) setProgress(s, peer, next);
    startSnapshot(ctx, peer);
    return;
  }
  const leaderCommit = Math.min(s.commit, pr.match);
  const seq = pushAppendEntries(ctx, ls, peer, prevLogIndex, prevLogTerm, [], leaderCommit);
  setProgress(s, peer, next, seq);
}

/**
 * After new entries: send them at once to every follower in replicate state whose window has
 * room (pipelining: under a steady stream an entry leaves without waiting for the acknowledgement
 * of the messages in flight, so it commits in about one round trip), and probe the others.
 */
export function broadcastAppend(ctx: Ctx): void {
  for (const peer of leaderOf(ctx.s).progress.keys()) {
    const pr = progressOf(leaderOf(ctx.s), peer);
    if (pr.state === "probe") sendAppend(ctx, peer, true);
    else sendAll(ctx, peer);
  }
}

/**
 * After one proposal: send it at once only to followers with nothing in flight (and probe those
 * in probe state). A follower with messages in flight gets it with the `flush` that ends the
 * driver's batch of events (broadcastAppend), or with its next acknowledgement: sent at once, a
 * burst of proposals in one turn would become one AppendEntries per proposal per follower, each
 * to encode, send, persist and acknowledge on its own (it halved `bench core`).
 */
export function offerAppend(ctx: Ctx): void {
  for (const peer of leaderOf(ctx.s).progress.keys()) {
    const pr = progressOf(leaderOf(ctx.s), peer);
    if (pr.state === "probe") sendAppend(ctx, peer, true);
    else if (pr.inflight.count === 0) sendAll(ctx, peer);
  }
}

/**
 * The heartbeat round (§5.2): also unpauses probes and restarts stalled streams. Entries go out
 * after every follower's heartbeat or probe: a large batch to one follower must not delay
 * another's heartbeat (issue 10: heartbeats queued behind bulk data).
 */
export function broadcastHeartbeat(ctx: Ctx): void {
  const streams: NodeId[] = [];
  for (const peer of leaderOf(ctx.s).progress.keys()) {
    const s = ctx.s;
    const pr = countDownLossy(ctx, peer);
    switch (pr.state) {
      case "probe":
        // A lost probe (or its lost answer) must not stall the follower forever.
        setProgress(s, peer, withProgress(pr, { probeSent: false }));
        sendAppend(ctx, peer, true);
        break;
      case "replicate": {
        const stalled = !pr.ackedSinceHeartbeat;
        if (!isPaused(pr, s.config) && pr.next <= s.log.lastIndex) {
          streams.push(peer); // its entries carry the heartbeat
        } else if (pr.match < s.log.lastIndex && stalled) {
          // Nothing acknowledged since the last plain heartbeat: check the tail we streamed. If
          // it was lost the follower rejects and we fall back to probing; without this a lost
          // tail would wait for the next proposal to be noticed.
          sendEmpty(ctx, peer, pr.next - 1);
        } else {
          sendEmpty(ctx, peer, pr.match);
        }
        break;
      }
      case "snapshot":
        snapshotHeartbeat(ctx, peer);
        break;
      default:
        unreachable(pr.state);
    }
  }
  for (const peer of streams) sendAll(ctx, peer);
}

/** One heartbeat less of small messages to `peer` (see messageBytesMax); its progress after. */
function countDownLossy(ctx: Ctx, peer: NodeId): Progress {
  const pr = progressOf(leaderOf(ctx.s), peer);
  if (pr.lossyHeartbeats === 0) return pr;
  const next = withProgress(pr, { lossyHeartbeats: pr.lossyHeartbeats - 1 });
  setProgress(ctx.s, peer, next);
  return next;
}

/**
 * A read confirmation round (thesis §6.4 step 3): an entry-less AppendEntries to each of `peers`
 * (read-index.ts picks them), each with a new seq, checking its log where it is known to match.
 * Any answer in this term proves the peer still took us for its leader after the reads waiting
 * for the round were recorded. Unlike a heartbeat it changes no replication state: probes and
 * stall detection keep their own pace.
 */
export function sendReadRound(ctx: Ctx, peers: readonly NodeId[]): void {
  const s = ctx.s;
  const ls = leaderOf(s);
  let seq = ls.seq;
  for (const peer of peers) {
    const pr = progressOf(ls, peer);
    const prevLogTerm = s.log.term(pr.match);
    if (prevLogTerm === undefined) continue; // compacted away: it is being sent a snapshot
    const commit = Math.min(s.commit, pr.match);
    seq = pushAppendEntries(ctx, { ...ls, seq }, peer, pr.match, prevLogTerm, [], commit);
  }
  if (seq !== ls.seq) s.leaderState = { progress: ls.progress, seq };
}

/** Handles a follower's answer; returns a reason when the answer is impossible (bad input). */
export function handleAppendResponse(ctx: Ctx, msg: AppendEntriesResponse): string | null {
  const s = ctx.s;
  const ls = leaderOf(s);
  const peer = msg.from;
  const pr = ls.progress.get(peer);
  if (pr === undefined) return `${peer} is not a follower of this leader`;
  if (msg.success) {
    if (msg.matchIndex > s.log.lastIndex) {
      return `matchIndex ${msg.matchIndex} is beyond the leader's last index ${s.log.lastIndex}`;
    }
    if (pr.state === "snapshot") {
      ackDuringSnapshot(ctx, peer, msg.matchIndex);
      return null;
    }
    let next = onAck(pr, msg.matchIndex, ls.seq);
    if (next.state === "probe" && msg.matchIndex >= pr.next - 1)
      next = toReplicate(next, ls.seq + 1);
    setProgress(s, peer, next);
    sendAll(ctx, peer);
    maybeCommit(ctx);
    return null;
  }
  const active = markActive(pr);
  // A rejection answering a message sent before the current state began is stale (duplicated
  // or reordered): acting on it would move `next` backwards for nothing.
  if (msg.seq < pr.sinceSeq || pr.state === "snapshot") {
    if (active !== pr) setProgress(s, peer, active);
    return null;
  }
  const logEnd = lostLogEnd(pr, msg);
  if (logEnd !== null) {
    // The follower lost entries it acknowledged. Probing from match + 1 (all toProbe allows)
    // would be rejected for ever, one round trip after another: report it, forget match, and
    // repair from where its log really ends.
    const lost = { match: pr.match, logEnd };
    ctx.notes.push({
      type: "peerLostLog",
      peer: msg.from,
      match: asIndex(lost.match),
      logEnd: asIndex(lost.logEnd),
    });
    setProgress(s, peer, onLostLog(active, lost, backtrackTo(ctx, msg), ls.seq + 1));
    sendAppend(ctx, peer, true);
    return null;
  }
  if (pr.state === "replicate" && msg.conflictTerm === 0) {
    // The follower's log ends short of what we streamed, past `match` (else lostLogEnd): a message
    // was lost on the way. Resend from where its log ends at once, still streaming: falling back
    // to a probe cost a round trip per loss (and a probe carries 4 KiB). The consistency check
    // still guards the resent batch; if the follower's tail disagrees, its rejection names a term.
    // The resend and what follows go in small messages for a while (messageBytesMax).
    setProgress(
      s,
      peer,
      rewind(active, backtrackTo(ctx, msg), ls.seq + 1, lossyHeartbeatsFor(ctx)),
    );
    sendAll(ctx, peer);
    return null;
  }
  const probe = toProbe(active, backtrackTo(ctx, msg), ls.seq + 1);
  if (pr.state === "probe" && probe.next >= pr.next) {
    // The answer does not move the probe back: probing again now would ask the same question
    // at network speed. The next heartbeat asks it again (one probe per heartbeat interval).
    setProgress(s, peer, withProgress(active, { probeSent: true }));
    return null;
  }
  setProgress(s, peer, probe);
  sendAppend(ctx, peer, true);
  return null;
}

/**
 * Where the follower's log ends (or stops agreeing with ours) when its rejection proves it lost
 * entries it acknowledged, else null. Proof needs an AppendEntries sent after the
 * acknowledgement of `match` arrived (seq > matchSeq): an older one may have reached the follower
 * before the entries did, and its rejection merely overtaken by the acknowledgement. A follower
 * never drops entries that agree with its leader's log within the leader's term (§5.3), nor
 * acknowledges entries before they are durable, so only a lost disk explains such a rejection:
 * - its log is shorter than `match` (conflictTerm 0: it ends at conflictIndex - 1), or
 * - in probe state, probing at `match` itself (next = match + 1) was rejected.
 */
function lostLogEnd(pr: Progress, msg: AppendEntriesResponse & { success: false }): number | null {
  if (pr.match === 0 || msg.seq <= pr.matchSeq) return null;
  if (msg.conflictTerm === 0 && msg.conflictIndex <= pr.match) return msg.conflictIndex - 1;
  if (pr.state === "probe" && pr.next === pr.match + 1) {
    return Math.min(msg.conflictIndex, pr.match) - 1;
  }
  return null;
}

/**
 * An AppendEntries acknowledgement while a snapshot is on its way (sent before the transfer
 * began, or the follower caught up otherwise): if the follower now holds what our log starts
 * from, the snapshot is moot and replication resumes from there.
 */
function ackDuringSnapshot(ctx: Ctx, peer: NodeId, matchIndex: number): void {
  const s = ctx.s;
  const ls = leaderOf(s);
  const previous = progressOf(ls, peer);
  const pr = markActive(previous);
  if (matchIndex < s.log.baseIndex || matchIndex <= pr.match) {
    if (pr !== previous) setProgress(s, peer, pr);
    return;
  }
  setProgress(s, peer, toReplicate(raiseMatch(pr, matchIndex, ls.seq), ls.seq + 1));
  sendAll(ctx, peer);
  maybeCommit(ctx);
}

/**
 * Fast backtracking (§5.3, "the follower can include the term of the conflicting entry"): skip
 * past our last entry of the follower's conflicting term if we have that term, else to the first
 * index the follower holds of it. Each round trip skips a whole term.
 */
function backtrackTo(ctx: Ctx, msg: AppendEntriesResponse & { success: false }): number {
  const log = ctx.s.log;
  let next: number = msg.conflictIndex;
  if (msg.conflictTerm > 0) {
    const last = log.lastIndexOfTerm(msg.conflictTerm);
    if (last !== undefined) next = last + 1;
  }
  return Math.min(Math.max(next, 1), log.lastIndex + 1);
}

/** §5.4.2, Figure 8: commit the highest index a quorum holds, but only an entry of our term. */
export function maybeCommit(ctx: Ctx): void {
  const s = ctx.s;
  const ls = leaderOf(s);
  const quorumIndex = committedIndex(s.membership, (id) => {
    // The leader counts itself only for what it has made durable (thesis §10.2.1).
    return id === s.id ? s.persistedIndex : matchOf(ls, id);
  });
  if (quorumIndex > s.commit && s.log.term(quorumIndex) === s.term) s.commit = quorumIndex;
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}
