import type { Membership, Snapshot } from "./entry.js";
import type { Ctx } from "./internal/context.js";
import { setMembershipLog } from "./internal/context.js";
import { asIndex, asTerm, RaftLog } from "./log.js";
import { MembershipLog } from "./membership-log.js";
import type { InstallSnapshot, InstallSnapshotResponse } from "./message.js";
import type { IncomingSnapshot, RaftState } from "./state.js";

// A follower's side of InstallSnapshot (Raft paper §7, Figure 13), for a message of the current
// term from its leader (step.ts settled the term and the leader).
//
// The bytes go to storage in order (`writeSnapshotChunk`), and the core keeps only how far they
// reach and their running CRC-32. A chunk at the offset already received extends the copy, an
// earlier one (a duplicate) changes nothing. A later one (a chunk before it was lost or is late)
// is held, up to `inflightBytesMax` bytes and `inflightMessagesMax` chunks (the most a leader's
// window has in flight), and written once the bytes before it are: one lost datagram then costs
// the leader one chunk to resend, not the rest of its window. Every chunk is answered with the
// contiguous bytes held, so an early one tells the leader where the gap is (snapshot-send.ts
// resends it at once). Once every byte is there and the checksum matches the leader's, the
// snapshot replaces the log up to its index, is persisted (which makes the stored chunks
// durable), and the state machine is told to load it (`restore`) before anything after it is
// applied. A snapshot whose bytes do not match is bad remote input: dropped, the transfer
// forgotten (the leader starts over once it gives up on it). The acknowledgement of the complete
// snapshot waits for the write: it tells the leader this follower holds everything up to it.

export function handleInstallSnapshot(ctx: Ctx, msg: InstallSnapshot): void {
  const s = ctx.s;
  if (msg.snapshotIndex <= s.commit && !repairs(s, msg)) {
    // Everything up to it is already committed here (an older or duplicate snapshot, or the
    // transfer completed and only its last answer was lost): say so without going back.
    s.incoming = null;
    reply(ctx, msg, msg.size, true);
    return;
  }
  const current = sameTransfer(s.incoming, msg) ? s.incoming : null;
  if (current === null && msg.offset > 0) {
    ctx.dropReason = `snapshot chunk at offset ${msg.offset}, but no bytes of it were received`;
    return;
  }
  if (current === null && supersededBy(s.incoming, msg)) {
    return; // a late chunk of a transfer the leader has since replaced with a newer snapshot
  }
  const incoming = current ?? start(msg);
  if (msg.offset > incoming.receivedBytes) {
    s.incoming = holdEarly(ctx, incoming, msg);
    reply(ctx, msg, incoming.receivedBytes, false);
    return;
  }
  // Offset 0 of a new transfer is written even when empty: it starts the stored copy afresh.
  let next = extend(ctx, incoming, msg.offset, msg.data, current === null);
  while (next.early.length > 0 && next.early[0]!.offset <= next.receivedBytes) {
    const [first, ...rest] = next.early;
    const held = { ...next, early: rest, earlyBytes: next.earlyBytes - first!.data.byteLength };
    next = extend(ctx, held, first!.offset, first!.data, false);
  }
  if (next.receivedBytes < next.size) {
    s.incoming = next;
    reply(ctx, msg, next.receivedBytes, false);
    return;
  }
  s.incoming = null;
  if (next.receivedChecksum !== next.checksum) {
    // Not the leader's bytes (a fault on its disk or on the way): never installed. Forgetting the
    // transfer makes the leader's retries from an offset past 0 drop, until it starts over.
    ctx.notes.push({
      type: "dropped",
      message: msg,
      reason: `snapshot ${next.index}/${next.term}: CRC-32 ${next.receivedChecksum} of the ${next.size} bytes received, not the leader's ${next.checksum}`,
    });
    return;
  }
  install(ctx, metaOf(next));
  reply(ctx, msg, next.size, true);
}

/** Writes what `data` (at `offset`, not past the bytes received) adds to the stored copy. */
function extend(
  ctx: Ctx,
  incoming: IncomingSnapshot,
  offset: number,
  data: Uint8Array,
  always: boolean,
): IncomingSnapshot {
  const fresh = data.subarray(incoming.receivedBytes - offset);
  if (fresh.byteLength === 0 && !always) return incoming;
  ctx.snapshotIo.push({
    type: "writeSnapshotChunk",
    snapshot: metaOf(incoming),
    offset: incoming.receivedBytes,
    data: fresh,
  });
  return {
    ...incoming,
    receivedBytes: incoming.receivedBytes + fresh.byteLength,
    receivedChecksum: ctx.s.config.crc32(fresh, incoming.receivedChecksum),
  };
}

/**
 * Holds a chunk that arrived past the bytes received, in offset order, unless it is already held
 * or the held chunks are at their bound (the leader resends it later: nothing is lost but time).
 */
function holdEarly(ctx: Ctx, incoming: IncomingSnapshot, msg: InstallSnapshot): IncomingSnapshot {
  const config = ctx.s.config;
  const early = incoming.early;
  if (
    early.some((chunk) => chunk.offset === msg.offset) ||
    early.length >= config.inflightMessagesMax ||
    incoming.earlyBytes + msg.data.byteLength > config.inflightBytesMax
  ) {
    return incoming;
  }
  const at = early.findIndex((chunk) => chunk.offset > msg.offset);
  const chunk = { offset: msg.offset, data: msg.data };
  return {
    ...incoming,
    early: at < 0 ? [...early, chunk] : [...early.slice(0, at), chunk, ...early.slice(at)],
    earlyBytes: incoming.earlyBytes + msg.data.byteLength,
  };
}

/**
 * Whether `msg` brings what a node that lost its snapshot's bytes waits for: a snapshot at or past
 * its own, committed here already or not. One from before it would not do: the entries between
 * are compacted away here, and installing it would drop the log this node acknowledged.
 */
function repairs(s: RaftState, msg: InstallSnapshot): boolean {
  return s.snapshotLost && s.snapshot !== null && msg.snapshotIndex >= s.snapshot.index;
}

function metaOf(incoming: IncomingSnapshot): Snapshot {
  return {
    index: asIndex(incoming.index),
    term: asTerm(incoming.term),
    membership: incoming.membership,
    size: incoming.size,
    checksum: incoming.checksum,
  };
}

function sameTransfer(incoming: IncomingSnapshot | null, msg: InstallSnapshot): boolean {
  return (
    incoming !== null &&
    incoming.from === msg.from &&
    incoming.leaderTerm === msg.term &&
    incoming.index === msg.snapshotIndex &&
    incoming.term === msg.snapshotTerm &&
    incoming.size === msg.size &&
    incoming.checksum === msg.checksum
  );
}

function supersededBy(incoming: IncomingSnapshot | null, msg: InstallSnapshot): boolean {
  return (
    incoming !== null &&
    incoming.from === msg.from &&
    incoming.leaderTerm === msg.term &&
    msg.snapshotIndex < incoming.index
  );
}

function start(msg: InstallSnapshot): IncomingSnapshot {
  return {
    from: msg.from,
    leaderTerm: msg.term,
    index: msg.snapshotIndex,
    term: msg.snapshotTerm,
    membership: msg.membership,
    size: msg.size,
    checksum: msg.checksum,
    receivedBytes: 0,
    receivedChecksum: 0,
    early: [],
    earlyBytes: 0,
  };
}

/**
 * §7: "If existing log entry has same index and term as snapshot's last included entry, retain
 * log entries following it and reply"; otherwise the whole log is replaced by the snapshot.
 */
function install(ctx: Ctx, snapshot: Snapshot): void {
  const s = ctx.s;
  const previousCommit = s.commit;
  if (s.log.term(snapshot.index) === snapshot.term) {
    s.log = s.log.compactTo(snapshot.index);
    setMembershipLog(s, s.membershipLog.compactTo(snapshot.index));
  } else {
    s.log = RaftLog.from([], snapshot.index, snapshot.term);
    // Storage drops entries up to the snapshot's index itself; the rest disagree with it.
    if (snapshot.index + 1 < ctx.dirtyFrom) ctx.dirtyFrom = snapshot.index + 1;
    // Only the committed entries we had are known durable and in agreement.
    if (s.persistedIndex > previousCommit) s.persistedIndex = previousCommit;
    // The snapshot's configuration is the one in force at its index (thesis §4.1); the same one
    // as ours keeps its identity, so no membershipChanged is reported for nothing.
    const membership = sameMembership(s.membership, snapshot.membership)
      ? s.membership
      : snapshot.membership;
    setMembershipLog(s, MembershipLog.fromSnapshot(snapshot.index, membership));
  }
  if (s.persistedIndex > s.log.lastIndex) s.persistedIndex = s.log.lastIndex;
  s.snapshot = snapshot;
  s.snapshotLost = false;
  // A repair may install a snapshot at or below the commit index (see `repairs`).
  if (snapshot.index > s.commit) s.commit = snapshot.index;
  // The state machine loads the snapshot instead of applying the entries it covers.
  s.applyQueued = snapshot.index;
  ctx.snapshot = snapshot;
  ctx.restore = snapshot;
}

function reply(ctx: Ctx, msg: InstallSnapshot, receivedBytes: number, done: boolean): void {
  const s = ctx.s;
  const response: InstallSnapshotResponse = {
    type: "installSnapshotResponse",
    from: s.id,
    to: msg.from,
    term: asTerm(s.term),
    snapshotIndex: msg.snapshotIndex,
    receivedBytes,
    done,
    seq: msg.seq,
  };
  // `done` vouches that this node holds everything up to snapshotIndex: only once durable
  // (Figure 2, "respond after persisting"). Chunks received so far promise nothing (not yet
  // durable, and a restart forgets the transfer), so their acknowledgements leave at once.
  if (done) ctx.held.push(response);
  else ctx.messages.push(response);
}

function sameMembership(a: Membership, b: Membership): boolean {
  const same = (x: readonly string[] | undefined, y: readonly string[] | undefined) =>
    x === y || (x !== undefined && y !== undefined && x.join("\0") === y.join("\0"));
  return same(a.voters, b.voters) && same(a.learners, b.learners) && same(a.outgoing, b.outgoing);
}
