import type { Snapshot } from "./entry.js";
import type { Event } from "./event.js";
import type { NodeId } from "./ids.js";
import type { Ctx } from "./internal/context.js";
import { asIndex, asTerm } from "./log.js";
import type { InstallSnapshotResponse, SnapshotRequest } from "./message.js";
import type { Progress, SnapshotTransfer } from "./progress.js";
import {
  markActive,
  onAck,
  raiseMatch,
  toProbe,
  toReplicate,
  toSnapshot,
  withProgress,
  withTransfer,
} from "./progress.js";
import type { SnapshotMeta } from "./state.js";
import { leaderOf, progressOf, setProgress } from "./tracker.js";

// The leader's side of InstallSnapshot (Raft paper §7): a follower that needs entries the leader
// compacted away gets the latest snapshot in chunks of snapshotChunkBytesMax bytes.
//
// - The bytes stay in storage: for each chunk the core asks the driver to read it
//   (`readSnapshotChunk`), and sends it when the driver steps `snapshotChunkRead` with the bytes,
//   if the transfer still wants them. A chunk counts as in flight from the read on.
// - Flow control by bytes: at most the transfer's window (`windowBytes`, never more than
//   `inflightBytesMax`; and `inflightMessagesMax` chunks, at least one chunk) is read or sent and
//   unacknowledged per follower at a time, so a transfer of hundreds of megabytes is paced by the
//   follower's acknowledgements. It never delays heartbeats or other followers: those leave from
//   the core at once, the chunks only as reads complete, and no step handles more than one
//   window's worth.
// - The window starts small (`initialWindowBytes`) and grows by the bytes each acknowledgement
//   confirms, doubling every round trip up to `inflightBytesMax` (TCP's slow start, RFC 5681):
//   a follower that answers gets the full window within a few round trips, and one that does not
//   (stopped, restarted, partitioned) costs the leader one small chunk, not a window read from
//   disk and pushed into a dead socket on every retry.
// - Loss: the follower holds chunks that arrive past a gap and acknowledges the contiguous bytes
//   it holds, so an answer that does not move the acknowledged offset while later chunks are in
//   flight reports a gap there: the leader resends that one chunk at once, and each later answer
//   that still stops short of what was sent meanwhile reports the next gap (TCP's fast
//   retransmit and partial acknowledgements, RFC 5681 and 6582). Only what is missing travels
//   again, and the window keeps its size. Answers are told apart by the seq they echo: a
//   follower answers a duplicate with what it holds, so an answer to a resent chunk (or to one
//   sent before it) that does not move the acknowledged offset reports no gap, and only an
//   answer to a chunk sent after a gap's resend can be a partial acknowledgement; answers to the
//   chunks sent before it are late, not lost. Otherwise one chunk answered late (a follower that
//   stalled for a GC pause) resent the whole window, each spurious resend's answer reporting the
//   next spurious gap (bench growth, session 11: 11-14% of the bytes sent again).
// - Silence: after one and two resend intervals without an answer, the leader resends one small
//   chunk at the acknowledged offset and keeps its window and the chunks in flight (a tail loss
//   probe, RFC 8985 §7: a silence is nearly always a follower or leader that stalled, its answers
//   late, not lost). If the first answer that moves the acknowledged offset answers the probe
//   rather than a chunk sent before it, what was in flight after it is lost: the leader resends
//   from there with the window back at its start. After longer silences it does the same
//   without waiting for an answer (a full window resent would be mostly duplicates), waiting
//   twice as long before each next resend if that one goes unanswered too; the resent chunk also
//   serves as the follower's heartbeat.
// - Limbo: a follower that restarted mid-transfer lost its partial copy and drops chunks past
//   offset 0, so a transfer with no answer for `snapshotLimboTicks` falls back to probing, which
//   starts a fresh transfer from offset 0 if the follower still needs one.
// - A newer snapshot supersedes the transfer of an older one that has not delivered anything yet,
//   and every transfer that starts over. A transfer under way keeps its own snapshot and
//   completes while storage still holds it: switching whenever a snapshot is taken would never
//   finish when snapshots are taken faster than one travels. The follower then continues from the
//   log, or with the newer one. When storage no longer holds it (a read answers null), the
//   transfer starts over with the latest.

/** The in-flight window of a snapshot transfer: bytes, and chunks (at least one is allowed). */
function windowFull(ctx: Ctx, pr: Progress): boolean {
  return (
    pr.inflight.count >= ctx.s.config.inflightMessagesMax ||
    pr.inflight.bytes >= pr.transfer!.windowBytes
  );
}

/** A transfer's first window, and its window after a silence: one small chunk. */
const snapshotWindowStartBytes = 16 * 1024;

function initialWindowBytes(ctx: Ctx): number {
  const config = ctx.s.config;
  return Math.min(snapshotWindowStartBytes, config.snapshotChunkBytesMax, config.inflightBytesMax);
}

/**
 * Resend from the acknowledged offset after this many ticks without an answer: two heartbeat
 * intervals, the same patience a probe gets, and well within the follower's election timeout.
 */
function resendTicks(ctx: Ctx): number {
  return 2 * ctx.s.config.heartbeatIntervalTicks;
}

/** Give up on a silent transfer after this many ticks and probe again (no snapshot limbo). */
function snapshotLimboTicks(ctx: Ctx): number {
  return 2 * ctx.s.config.electionTimeoutTicks;
}

/**
 * A follower lost its snapshot's bytes and asks for one at or past `msg.snapshotIndex` (it asks
 * with every answer to our AppendEntries, so this must cost nothing when nothing is to be done).
 * A transfer under way answers it; else our snapshot if it reaches that far; else the driver is
 * asked for a fresh one (`snapshotWanted`), which goes out at a later request. Ours covers only
 * committed entries (§7), so it holds everything the follower's did.
 */
export function handleSnapshotRequest(ctx: Ctx, msg: SnapshotRequest): void {
  const s = ctx.s;
  if (progressOf(leaderOf(s), msg.from).transfer !== null) return;
  if (s.snapshot !== null && s.snapshot.index >= msg.snapshotIndex) {
    startSnapshot(ctx, msg.from);
    return;
  }
  ctx.notes.push({ type: "snapshotWanted", peer: msg.from, index: msg.snapshotIndex });
}

/** `peer` needs entries below the log's start: begin sending it the latest snapshot. */
export function startSnapshot(ctx: Ctx, peer: NodeId): void {
  const s = ctx.s;
  const ls = leaderOf(s);
  const snapshot = s.snapshot;
  if (snapshot === null) {
    // Unreachable while the log's base always comes from a snapshot (init, compaction, install).
    throw new Error("invariant: a compacted log has a snapshot");
  }
  setProgress(
    s,
    peer,
    toSnapshot(progressOf(ls, peer), snapshot, ls.seq + 1, initialWindowBytes(ctx)),
  );
  sendSnapshotChunks(ctx, peer);
}

/** Asks for the next chunks of `peer`'s snapshot, as far as the in-flight window allows. */
export function sendSnapshotChunks(ctx: Ctx, peer: NodeId): void {
  const s = ctx.s;
  const previous = progressOf(leaderOf(s), peer);
  let pr = previous;
  if (
    pr.transfer === null ||
    (pr.transfer.snapshot !== s.snapshot && pr.transfer.ackedBytes === 0)
  ) {
    // Nothing delivered yet: a newer snapshot costs nothing more to send, and is worth more.
    pr = toSnapshot(pr, s.snapshot!, leaderOf(s).seq + 1, initialWindowBytes(ctx));
  }
  const snapshot = pr.transfer!.snapshot;
  const size = snapshot.size;
  // A window smaller than a chunk sends smaller chunks: the follower takes any length.
  const chunkMax = Math.min(s.config.snapshotChunkBytesMax, pr.transfer!.windowBytes);
  // An empty snapshot still travels as one (empty, final) chunk.
  while (
    !windowFull(ctx, pr) &&
    (pr.transfer!.offset < size || (size === 0 && pr.inflight.count === 0))
  ) {
    const offset = pr.transfer!.offset;
    const end = Math.min(size, offset + chunkMax);
    ctx.snapshotIo.push({
      type: "readSnapshotChunk",
      to: peer,
      snapshot: publicMeta(snapshot),
      offset,
      length: end - offset,
    });
    // An empty chunk still takes a slot, so an empty snapshot is asked for once per window.
    pr = withProgress(withTransfer(pr, { offset: end }), {
      inflight: pr.inflight.add(end, end - offset),
    });
  }
  if (pr !== previous) setProgress(s, peer, pr);
}

/**
 * The driver read a chunk of a snapshot: send it if the transfer to that follower still wants it
 * (the same snapshot, bytes not yet acknowledged). A null read means storage no longer holds that
 * snapshot: the transfer starts over with the latest one.
 */
export function sendSnapshotChunk(
  ctx: Ctx,
  read: Extract<Event, { type: "snapshotChunkRead" }>,
): void {
  const s = ctx.s;
  const ls = leaderOf(s);
  const pr = ls.progress.get(read.to);
  const snapshot = pr?.transfer?.snapshot ?? null;
  if (
    pr === undefined ||
    pr.state !== "snapshot" ||
    snapshot === null ||
    snapshot.index !== read.snapshotIndex ||
    snapshot.term !== read.snapshotTerm
  ) {
    return; // the transfer ended or moved on to another snapshot
  }
  if (read.data === null) {
    if (s.snapshot !== null && s.snapshot !== snapshot) startSnapshot(ctx, read.to);
    return;
  }
  const end = read.offset + read.data.byteLength;
  if (end <= pr.transfer!.ackedBytes && snapshot.size > 0) return; // delivered meanwhile
  const seq = ls.seq + 1;
  const transfer = pr.transfer!;
  ctx.messages.push({
    type: "installSnapshot",
    from: s.id,
    to: read.to,
    term: asTerm(s.term),
    snapshotIndex: asIndex(snapshot.index),
    snapshotTerm: asTerm(snapshot.term),
    membership: snapshot.membership,
    size: snapshot.size,
    checksum: snapshot.checksum,
    offset: read.offset,
    data: read.data,
    done: end === snapshot.size,
    seq,
  });
  // A resend's seq is known only now: reads asked before it may complete (and their chunks leave)
  // first, so a probe or a gap's resend asked for (-1) takes the seq of the first resend sent.
  const resend = read.offset < transfer.sentTo;
  const sent = withTransfer(pr, {
    sentTo: Math.max(transfer.sentTo, end),
    resendSeq: resend ? seq : transfer.resendSeq,
    probeSeq: resend && transfer.probeSeq < 0 ? seq : transfer.probeSeq,
    recoverSeq: resend && transfer.recoverSeq < 0 ? seq : transfer.recoverSeq,
  });
  setProgress(s, read.to, sent, seq);
}

function publicMeta(snapshot: SnapshotMeta): Snapshot {
  return {
    index: asIndex(snapshot.index),
    term: asTerm(snapshot.term),
    membership: snapshot.membership,
    size: snapshot.size,
    checksum: snapshot.checksum,
  };
}

/**
 * The heartbeat round for a follower receiving a snapshot: switch to a newer snapshot, resend
 * after silence, or give up on a transfer nobody answers (the follower restarted: no limbo).
 */
export function snapshotHeartbeat(ctx: Ctx, peer: NodeId): void {
  const s = ctx.s;
  const ls = leaderOf(s);
  const pr = progressOf(ls, peer);
  const transfer = pr.transfer!;
  const interval = s.config.heartbeatIntervalTicks;
  const idle = transfer.idleTicks + interval;
  if (idle >= snapshotLimboTicks(ctx)) {
    // Back to probing: the probe finds where the follower stands; if it still needs entries we
    // no longer have, a fresh transfer starts from offset 0.
    setProgress(s, peer, toProbe(pr, pr.match + 1, ls.seq + 1));
    return;
  }
  // Resends after 1, 2, 4, 8... resend intervals of silence: a follower that does not answer a
  // resend is stalled or gone, and more of the same would only add to its backlog.
  const resend = resendTicks(ctx);
  const intervals = Math.floor(idle / resend);
  const due =
    intervals > Math.floor(transfer.idleTicks / resend) && (intervals & (intervals - 1)) === 0;
  if (due && intervals <= 2 && transfer.offset > transfer.ackedBytes) {
    // The first two silences: most often the follower (or this leader) stalled for a moment (a GC
    // pause) and the chunks in flight are being answered late, not lost. One small chunk at the
    // acknowledged offset probes it (TCP's tail loss probe, RFC 8985 §7), and the window and the
    // chunks in flight stay as they are: late answers carry on the transfer, and an answer to the
    // probe itself shows the chunks after it lost (handleSnapshotResponse rewinds then).
    const probeSeq = transfer.probeSeq !== 0 ? transfer.probeSeq : -1;
    setProgress(s, peer, withTransfer(pr, { idleTicks: idle, probeSeq }));
    resendAt(ctx, peer, transfer, initialWindowBytes(ctx));
    return;
  }
  setProgress(s, peer, due ? rewound(ctx, pr, idle) : withTransfer(pr, { idleTicks: idle }));
  sendSnapshotChunks(ctx, peer);
}

/**
 * The transfer again from the acknowledged offset, the window back at its start: what was in
 * flight is taken for lost (a silence nothing answered, or a probe answered before anything sent
 * ahead of it was).
 */
function rewound(ctx: Ctx, pr: Progress, idleTicks: number): Progress {
  return withProgress(
    withTransfer(pr, {
      idleTicks,
      offset: pr.transfer!.ackedBytes,
      windowBytes: initialWindowBytes(ctx),
      gapResentAt: 0,
      recoverTo: 0,
      probeSeq: 0,
    }),
    { inflight: pr.inflight.freeTo(Number.POSITIVE_INFINITY) },
  );
}

/** Handles a follower's answer to a chunk; returns a reason when the answer is impossible. */
export function handleSnapshotResponse(ctx: Ctx, msg: InstallSnapshotResponse): string | null {
  const s = ctx.s;
  const ls = leaderOf(s);
  const peer = msg.from;
  const previous = ls.progress.get(peer);
  if (previous === undefined) return `${peer} is not a follower of this leader`;
  const pr = markActive(previous);
  if (msg.done) {
    // The follower holds everything up to snapshotIndex (installed, or had it already), and all
    // of it is committed, so it agrees with our log there (Log Matching, §5.3).
    if (msg.snapshotIndex > s.commit) {
      return `snapshotIndex ${msg.snapshotIndex} is beyond the leader's commit ${s.commit}`;
    }
    if (pr.state !== "snapshot") {
      // A late answer to an earlier transfer: an acknowledgement like any other.
      setProgress(s, peer, onAck(pr, msg.snapshotIndex, ls.seq));
      return null;
    }
    const matched = raiseMatch(pr, msg.snapshotIndex, ls.seq);
    setProgress(s, peer, toReplicate(matched, ls.seq + 1));
    return null; // the caller sends the entries after it
  }
  const transfer = pr.transfer;
  if (transfer === null || msg.snapshotIndex !== transfer.snapshot.index) {
    // An answer about another transfer (superseded, or from before a restart): proof of life only.
    if (pr !== previous) setProgress(s, peer, pr);
    return null;
  }
  const size = transfer.snapshot.size;
  if (msg.receivedBytes > size) {
    return `receivedBytes ${msg.receivedBytes} is beyond the snapshot's ${size} bytes`;
  }
  if (msg.receivedBytes <= transfer.ackedBytes && transfer.ackedBytes > 0) {
    // No more than already confirmed: a duplicated or reordered answer, or one to a chunk past a
    // gap at the acknowledged offset, which is resent once.
    const live = withTransfer(pr, { idleTicks: 0 });
    // An answer to a resent chunk, or to one sent before it, may be a duplicate's: a real gap
    // there is filled by that resend, or shown by the answer to a chunk sent after it.
    const gap =
      msg.receivedBytes === transfer.ackedBytes &&
      transfer.offset > transfer.ackedBytes &&
      msg.seq > transfer.resendSeq;
    if (!gap || transfer.gapResentAt === transfer.ackedBytes) {
      setProgress(s, peer, live);
      return null;
    }
    setProgress(s, peer, resendGap(ctx, peer, live, Math.max(transfer.recoverTo, transfer.offset)));
    return null;
  }
  const acked = withTransfer(pr, {
    ackedBytes: msg.receivedBytes,
    // After a resend rewound the offset, chunks sent before it may still have arrived.
    offset: Math.max(transfer.offset, msg.receivedBytes),
    idleTicks: 0,
    // Slow start: the window grows by what this answer confirms, so it doubles per round trip.
    windowBytes: Math.min(
      s.config.inflightBytesMax,
      transfer.windowBytes + msg.receivedBytes - transfer.ackedBytes,
    ),
    probeSeq: 0,
  });
  const freed = withProgress(acked, {
    inflight: pr.inflight.freeTo(msg.receivedBytes),
    ackedSinceHeartbeat: true,
  });
  if (
    transfer.probeSeq > 0 &&
    msg.seq >= transfer.probeSeq &&
    msg.receivedBytes < transfer.offset
  ) {
    // The first answer after a probe is the probe's own: nothing sent before it arrived past the
    // acknowledged offset, so the rest of what was in flight is lost too. Resend it from there.
    setProgress(s, peer, rewound(ctx, freed, 0));
    sendSnapshotChunks(ctx, peer);
    return null;
  }
  // Filling gaps: an answer to the resend (or a later chunk) short of what was sent when the first
  // gap was reported reports the next. An answer to an earlier chunk came late: no gap shown.
  const recovering = transfer.recoverTo > msg.receivedBytes;
  setProgress(
    s,
    peer,
    !recovering
      ? withTransfer(freed, { gapResentAt: 0, recoverTo: 0 })
      : transfer.recoverSeq > 0 && msg.seq >= transfer.recoverSeq
        ? resendGap(ctx, peer, freed, transfer.recoverTo)
        : freed,
  );
  sendSnapshotChunks(ctx, peer);
  return null;
}

/**
 * Asks for the chunk at the acknowledged offset again, to fill the gap the follower reported
 * there. It is already counted in flight (sent before), so the window does not change.
 */
function resendGap(ctx: Ctx, peer: NodeId, pr: Progress, recoverTo: number): Progress {
  const transfer = pr.transfer!;
  resendAt(ctx, peer, transfer, Math.min(ctx.s.config.snapshotChunkBytesMax, transfer.windowBytes));
  // Its seq is taken when it is sent (sendSnapshotChunk).
  return withTransfer(pr, { gapResentAt: transfer.ackedBytes, recoverTo, recoverSeq: -1 });
}

/** Asks for up to `lengthMax` bytes from the acknowledged offset again (sent before: in flight). */
function resendAt(ctx: Ctx, peer: NodeId, transfer: SnapshotTransfer, lengthMax: number): void {
  const snapshot = transfer.snapshot;
  const offset = transfer.ackedBytes;
  ctx.snapshotIo.push({
    type: "readSnapshotChunk",
    to: peer,
    snapshot: publicMeta(snapshot),
    offset,
    length: Math.min(lengthMax, snapshot.size - offset),
  });
}
