import type { Config } from "./config.js";
import { Inflight } from "./inflight.js";
import type { SnapshotMeta } from "./state.js";

// What a leader knows about one follower's log (thesis §3.5, and etcd's tracker for the states).
//
// - probe: the leader does not know where the follower's log matches; it sends one
//   AppendEntries at a time and waits for the answer (or the next heartbeat) before the next.
// - replicate: the follower is known to match up to `match`; the leader streams entries
//   optimistically, up to `inflightMessagesMax` messages and `inflightBytesMax` bytes of entries
//   in flight.
// - snapshot: the follower needs entries the leader compacted away; the leader streams it the
//   snapshot in chunks (snapshot-send.ts), `inflight` holding the end offsets of unacknowledged
//   chunks, and sends no AppendEntries until the follower has installed it.
//
// Progress records are small immutable values; every update returns a new one.

/**
 * How a leader is replicating to one follower: `probe` (finding where logs match), `replicate`
 * (streaming), or `snapshot` (sending one).
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

export type Progress = {
  /**
   * A learner receives the log but never votes nor counts towards a quorum (thesis §4.2.1); the
   * quorum maths reads the configuration, this flag says what the record is for (status, the
   * catch-up check before a promotion).
   */
  readonly isLearner: boolean;
  /** Highest index known to be replicated on the follower. Invariant: 0 <= match < next. */
  readonly match: number;
  /**
   * The leader's seq when `match` last rose. An AppendEntries with a higher seq left after the
   * follower proved holding `match`, so a rejection of it saying the follower lacks `match` is
   * not a reordered answer: the follower lost entries it had acknowledged (see lostLogEnd).
   */
  readonly matchSeq: number;
  /** Next index to send. Invariant: match < next <= leader's lastIndex + 1. */
  readonly next: number;
  readonly state: ProgressState;
  /** probe: a probe is out and unanswered, so sending is paused until a reply or heartbeat. */
  readonly probeSent: boolean;
  /**
   * The seq of the first AppendEntries sent in the current state. A rejection with a lower seq
   * answers a message from before the state began, so it is stale and ignored.
   */
  readonly sinceSeq: number;
  /** replicate: messages sent and not yet acknowledged (their last indexes and entry bytes). */
  readonly inflight: Inflight;
  /** Heard from since the last CheckQuorum round (thesis §6.2). */
  readonly recentActive: boolean;
  /** An acknowledgement moved `match` since the last heartbeat (the stream is not stalled). */
  readonly ackedSinceHeartbeat: boolean;
  /** snapshot: the transfer under way (snapshot-send.ts). Invariant: null in the other states. */
  readonly transfer: SnapshotTransfer | null;
  /** The last time this term the follower was found without entries it had acknowledged. */
  readonly lostLog: LostLog | null;
  /**
   * Heartbeat rounds left during which this follower's messages carry about one datagram of
   * entries: a message was lost on the way to it lately (set by `rewind`, counted down by
   * heartbeats). See messageBytesMax in replication.ts.
   */
  readonly lossyHeartbeats: number;
};

/** The leader streaming one snapshot to one follower in chunks (Raft paper §7). */
export type SnapshotTransfer = {
  /**
   * The snapshot being sent, kept until the transfer ends even if a newer one is taken meanwhile
   * (so a transfer under way always completes; see snapshot-send.ts).
   */
  readonly snapshot: SnapshotMeta;
  /** The next byte offset to send. Invariant: ackedBytes <= offset <= the snapshot's size. */
  readonly offset: number;
  /** The bytes the follower confirmed holding, from offset 0. */
  readonly ackedBytes: number;
  /** Ticks since the follower last answered the transfer (the limbo timeout). */
  readonly idleTicks: number;
  /**
   * The bytes the transfer may have in flight now (its congestion window): small at the start
   * and after a silence, grown by each acknowledgement up to `inflightBytesMax` (snapshot-send.ts).
   */
  readonly windowBytes: number;
  /**
   * The acknowledged offset whose chunk was resent because the follower reported a gap there
   * (0: none), so the answers to the chunks after the gap resend it once, not once each.
   */
  readonly gapResentAt: number;
  /**
   * While gaps are being filled: the offset sent when the first was reported (0: none). An
   * acknowledgement that stops short of it reports the next gap (RFC 6582's partial ack).
   */
  readonly recoverTo: number;
  /**
   * While gaps are being filled: the seq the last gap's resend left with (-1: asked for, not sent
   * yet). Only an answer to it or to a chunk sent after it can be a partial ack; an answer to a
   * chunk sent before (late, not lost) that moves the acknowledged offset is the transfer going on.
   */
  readonly recoverSeq: number;
  /** The furthest byte any chunk sent so far reached: a chunk that starts before it is a resend. */
  readonly sentTo: number;
  /**
   * The seq of the last chunk sent that was a resend (0: none). An answer to it, or to any chunk
   * sent before it, may answer a duplicate: one that does not move the acknowledged offset says
   * nothing of a gap (the follower answers a duplicate with what it holds). Only the answer to a
   * chunk sent after it can report one.
   */
  readonly resendSeq: number;
  /**
   * After a silence was met with a probe instead of a rewind: the seq the probe left with (0: no
   * probe outstanding; -1: asked for, not sent yet). The next answer that moves the acknowledged
   * offset tells a stall (it answers a chunk sent before: the rest follows) from a lost tail (it
   * answers the probe).
   */
  readonly probeSeq: number;
};

/** A follower's log fell short of what it had acknowledged (a wiped or restored data directory). */
export type LostLog = {
  /** What the follower had acknowledged holding. */
  readonly match: number;
  /** Where its log now ends, or stops agreeing with the leader's, by its own rejection. */
  readonly logEnd: number;
};

/** Every progress record is built here, fields in one order, so V8 keeps one hidden class. */
function make(pr: Progress, changes: Partial<Progress>): Progress {
  return {
    isLearner: changes.isLearner ?? pr.isLearner,
    match: changes.match ?? pr.match,
    matchSeq: changes.matchSeq ?? pr.matchSeq,
    next: changes.next ?? pr.next,
    state: changes.state ?? pr.state,
    probeSent: changes.probeSent ?? pr.probeSent,
    sinceSeq: changes.sinceSeq ?? pr.sinceSeq,
    inflight: changes.inflight ?? pr.inflight,
    recentActive: changes.recentActive ?? pr.recentActive,
    ackedSinceHeartbeat: changes.ackedSinceHeartbeat ?? pr.ackedSinceHeartbeat,
    transfer: changes.transfer === undefined ? pr.transfer : changes.transfer,
    lostLog: changes.lostLog === undefined ? pr.lostLog : changes.lostLog,
    lossyHeartbeats: changes.lossyHeartbeats ?? pr.lossyHeartbeats,
  };
}

/** Progress with some fields changed. */
export function withProgress(pr: Progress, changes: Partial<Progress>): Progress {
  return make(pr, changes);
}

/** A follower as a new leader sees it: nothing known, probe from the leader's tip. */
export function initialProgress(next: number, seq: number, isLearner: boolean): Progress {
  return {
    isLearner,
    match: 0,
    matchSeq: 0,
    next,
    state: "probe",
    probeSent: false,
    sinceSeq: seq,
    inflight: Inflight.empty,
    // A new leader gives every follower one election timeout to answer before CheckQuorum.
    recentActive: true,
    ackedSinceHeartbeat: false,
    transfer: null,
    lostLog: null,
    lossyHeartbeats: 0,
  };
}

export type WindowLimits = Pick<Config, "inflightMessagesMax" | "inflightBytesMax">;

/** Whether the leader must hold back new AppendEntries with entries for this follower. */
export function isPaused(pr: Progress, limits: WindowLimits): boolean {
  switch (pr.state) {
    case "probe":
      return pr.probeSent;
    case "replicate":
      return (
        pr.inflight.count >= limits.inflightMessagesMax ||
        pr.inflight.bytes >= limits.inflightBytesMax
      );
    case "snapshot":
      return true;
    default:
      return unreachable(pr.state);
  }
}

/** snapshot: the transfer with some fields changed. */
export function withTransfer(pr: Progress, changes: Partial<SnapshotTransfer>): Progress {
  const transfer = pr.transfer;
  if (transfer === null) throw new Error("invariant: a snapshot transfer is under way");
  return make(pr, {
    transfer: {
      snapshot: changes.snapshot ?? transfer.snapshot,
      offset: changes.offset ?? transfer.offset,
      ackedBytes: changes.ackedBytes ?? transfer.ackedBytes,
      idleTicks: changes.idleTicks ?? transfer.idleTicks,
      windowBytes: changes.windowBytes ?? transfer.windowBytes,
      gapResentAt: changes.gapResentAt ?? transfer.gapResentAt,
      recoverTo: changes.recoverTo ?? transfer.recoverTo,
      recoverSeq: changes.recoverSeq ?? transfer.recoverSeq,
      sentTo: changes.sentTo ?? transfer.sentTo,
      resendSeq: changes.resendSeq ?? transfer.resendSeq,
      probeSeq: changes.probeSeq ?? transfer.probeSeq,
    },
  });
}

/** Back to probing from `next` (a rejection, or a stalled stream). */
export function toProbe(pr: Progress, next: number, seq: number): Progress {
  return make(pr, {
    state: "probe",
    next: Math.max(next, pr.match + 1),
    probeSent: false,
    sinceSeq: seq,
    inflight: Inflight.empty,
    transfer: null,
  });
}

/**
 * Start sending `snapshot` from its first byte: the follower needs entries the leader compacted
 * away (§7).
 */
export function toSnapshot(
  pr: Progress,
  snapshot: SnapshotMeta,
  seq: number,
  windowBytes: number,
): Progress {
  return make(pr, {
    state: "snapshot",
    probeSent: false,
    sinceSeq: seq,
    inflight: Inflight.empty,
    ackedSinceHeartbeat: false,
    transfer: {
      snapshot,
      offset: 0,
      ackedBytes: 0,
      idleTicks: 0,
      windowBytes,
      gapResentAt: 0,
      recoverTo: 0,
      recoverSeq: 0,
      sentTo: 0,
      resendSeq: 0,
      probeSeq: 0,
    },
  });
}

/** Start streaming after the follower's log is known to match up to `match`. */
export function toReplicate(pr: Progress, seq: number): Progress {
  return make(pr, {
    state: "replicate",
    next: pr.match + 1,
    probeSent: false,
    sinceSeq: seq,
    inflight: Inflight.empty,
    transfer: null,
  });
}

/**
 * Still streaming, but again from `next`: what was in flight from there on was lost (go-back-N).
 * Messages sent before (seq below `seq`) no longer count in the window; their answers are stale.
 * The path to the follower loses messages: small ones for the next `lossyHeartbeats` heartbeats.
 */
export function rewind(pr: Progress, next: number, seq: number, lossyHeartbeats: number): Progress {
  return make(pr, {
    next: Math.max(next, pr.match + 1),
    sinceSeq: seq,
    inflight: Inflight.empty,
    lossyHeartbeats,
  });
}

/**
 * Records an AppendEntries whose entries end at `lastIndex` and hold `bytes` (or that carries
 * none).
 */
export function onSent(
  pr: Progress,
  lastIndex: number,
  hasEntries: boolean,
  bytes: number,
): Progress {
  switch (pr.state) {
    case "probe":
      // Every probe of one probe state asks about the same `next`, so an answer to any of them
      // is current (sinceSeq was set on entering the state). Demanding the answer to the LATEST
      // probe starved followers whose round trip exceeds the heartbeat interval: each heartbeat
      // re-probed before the previous answer arrived, which then counted as stale, for ever.
      return make(pr, { probeSent: true });
    case "replicate":
      if (!hasEntries) return pr;
      return make(pr, { next: lastIndex + 1, inflight: pr.inflight.add(lastIndex, bytes) });
    case "snapshot":
      return pr;
    default:
      return unreachable(pr.state);
  }
}

/**
 * A successful acknowledgement up to `matchIndex`, received when the leader's last seq was `seq`.
 * A duplicate or reordered reply tells nothing new but is still proof of life: `match` never
 * decreases (only a lost log, `onLostLog`, resets it).
 */
export function onAck(pr: Progress, matchIndex: number, seq: number): Progress {
  if (matchIndex <= pr.match) {
    // Still proof of life; a probe's answer also unpauses the probe.
    return pr.state === "probe"
      ? make(pr, { probeSent: false, recentActive: true })
      : markActive(pr);
  }
  return make(pr, {
    match: matchIndex,
    matchSeq: seq,
    next: Math.max(pr.next, matchIndex + 1),
    probeSent: false,
    inflight: pr.inflight.freeTo(matchIndex),
    recentActive: true,
    ackedSinceHeartbeat: true,
  });
}

/**
 * `match` rose to `matchIndex` by other means than an AppendEntries acknowledgement (a snapshot),
 * when the leader's last seq was `seq`.
 */
export function raiseMatch(pr: Progress, matchIndex: number, seq: number): Progress {
  return matchIndex <= pr.match ? pr : make(pr, { match: matchIndex, matchSeq: seq });
}

/**
 * The follower no longer holds entries it acknowledged: forget `match` (it can no longer count
 * towards commits, and probing must be free to go below it) and probe again from `next`.
 */
export function onLostLog(pr: Progress, lost: LostLog, next: number, seq: number): Progress {
  return toProbe(make(pr, { match: 0, matchSeq: seq, lostLog: lost }), next, seq);
}

export function markActive(pr: Progress): Progress {
  return pr.recentActive ? pr : make(pr, { recentActive: true });
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}
