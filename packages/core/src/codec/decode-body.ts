// Reads the bodies that encode-body.ts writes, in the same field order. Only the encoding is
// checked here (bounds, canonical numbers, valid booleans, UTF-8, known tags); whether the values
// make sense for Raft (contiguous entries, offsets within size, ...) is the reducer's to judge, and
// it reports nonsense as a `dropped` effect.

import type { Entry, Membership } from "../entry.js";
import type { Index, NodeId, Term } from "../ids.js";
import { membershipOf } from "../membership.js";
import type { Message } from "../message.js";
import type { Reader } from "./reader.js";
import { entryKinds, messageTags, voteKinds } from "./tags.js";

/** The least bytes an entry takes (kind, index, term): bounds an entry count before allocating. */
const entryBytesMin = 3;
/** The least bytes a node id takes (a length of 1 and one byte). */
const nodeIdBytesMin = 2;

/** Reads the body for `tag`, or undefined if `tag` is not a message type. */
export function decodeBody(reader: Reader, tag: number): Message | undefined {
  const from = reader.nodeId("from");
  const to = reader.nodeId("to");
  const term = reader.uint("term") as Term;
  switch (tag) {
    case messageTags.requestVote:
      return decodeRequestVote(reader, from, to, term);
    case messageTags.requestVoteResponse:
      return {
        type: "requestVoteResponse",
        from,
        to,
        term,
        preVote: reader.bool("preVote"),
        granted: reader.bool("granted"),
      };
    case messageTags.appendEntries:
      return {
        type: "appendEntries",
        from,
        to,
        term,
        prevLogIndex: reader.uint("prevLogIndex") as Index,
        prevLogTerm: reader.uint("prevLogTerm") as Term,
        leaderCommit: reader.uint("leaderCommit") as Index,
        seq: reader.uint("seq"),
        entries: decodeEntries(reader),
      };
    case messageTags.appendEntriesResponse:
      return decodeAppendEntriesResponse(reader, from, to, term);
    case messageTags.installSnapshot:
      return decodeInstallSnapshot(reader, from, to, term);
    case messageTags.installSnapshotResponse:
      return {
        type: "installSnapshotResponse",
        from,
        to,
        term,
        snapshotIndex: reader.uint("snapshotIndex") as Index,
        receivedBytes: reader.uint("receivedBytes"),
        done: reader.bool("done"),
        seq: reader.uint("seq"),
      };
    case messageTags.readIndexRequest:
      return { type: "readIndexRequest", from, to, term, requestId: reader.uint("requestId") };
    case messageTags.readIndexResponse: {
      const requestId = reader.uint("requestId");
      if (!reader.bool("success")) {
        return { type: "readIndexResponse", from, to, term, requestId, success: false };
      }
      const readIndex = reader.uint("readIndex") as Index;
      return { type: "readIndexResponse", from, to, term, requestId, success: true, readIndex };
    }
    case messageTags.timeoutNow:
      return { type: "timeoutNow", from, to, term };
    case messageTags.snapshotRequest:
      return {
        type: "snapshotRequest",
        from,
        to,
        term,
        snapshotIndex: reader.uint("snapshotIndex") as Index,
      };
    default:
      return undefined;
  }
}

/** A chunk of a snapshot, with the snapshot's metadata (every chunk carries it). */
function decodeInstallSnapshot(reader: Reader, from: NodeId, to: NodeId, term: Term): Message {
  return {
    type: "installSnapshot",
    from,
    to,
    term,
    snapshotIndex: reader.uint("snapshotIndex") as Index,
    snapshotTerm: reader.uint("snapshotTerm") as Term,
    membership: decodeNamedMembership(reader),
    size: reader.uint("size"),
    checksum: reader.uint("checksum"),
    offset: reader.uint("offset"),
    done: reader.bool("done"),
    seq: reader.uint("seq"),
    data: reader.bytes("data"),
  };
}

/** `transfer` is present only when true, so a decoded vote re-encodes to the same bytes. */
function decodeRequestVote(reader: Reader, from: NodeId, to: NodeId, term: Term): Message {
  const kindOffset = reader.pos;
  const kind = reader.byte("preVote");
  if (kind !== voteKinds.vote && kind !== voteKinds.preVote && kind !== voteKinds.transferVote) {
    reader.fail("preVote", kindOffset, `vote kind byte must be 0, 1 or 2, got ${kind}`);
  }
  const lastLogIndex = reader.uint("lastLogIndex") as Index;
  const lastLogTerm = reader.uint("lastLogTerm") as Term;
  const preVote = kind === voteKinds.preVote;
  return kind === voteKinds.transferVote
    ? { type: "requestVote", from, to, term, preVote, transfer: true, lastLogIndex, lastLogTerm }
    : { type: "requestVote", from, to, term, preVote, lastLogIndex, lastLogTerm };
}

function decodeAppendEntriesResponse(
  reader: Reader,
  from: NodeId,
  to: NodeId,
  term: Term,
): Message {
  const seq = reader.uint("seq");
  if (reader.bool("success")) {
    const matchIndex = reader.uint("matchIndex") as Index;
    return { type: "appendEntriesResponse", from, to, term, seq, success: true, matchIndex };
  }
  return {
    type: "appendEntriesResponse",
    from,
    to,
    term,
    seq,
    success: false,
    conflictIndex: reader.uint("conflictIndex") as Index,
    conflictTerm: reader.uint("conflictTerm") as Term,
  };
}

function decodeEntries(reader: Reader): Entry[] {
  reader.enter("entries");
  const count = reader.count("length", entryBytesMin);
  const entries = new Array<Entry>(count);
  for (let i = 0; i < count; i++) {
    reader.enter(i);
    entries[i] = decodeEntry(reader);
    reader.leave();
  }
  reader.leave();
  return entries;
}

export function decodeEntry(reader: Reader): Entry {
  const kindOffset = reader.pos;
  const kind = reader.byte("kind");
  const index = reader.uint("index") as Index;
  const term = reader.uint("term") as Term;
  switch (kind) {
    case entryKinds.command:
      return { kind: "command", index, term, data: reader.bytes("data") };
    case entryKinds.noop:
      return { kind: "noop", index, term };
    case entryKinds.membership:
      return { kind: "membership", index, term, membership: decodeNamedMembership(reader) };
    default:
      return reader.fail("kind", kindOffset, `unknown entry kind ${kind}`);
  }
}

function decodeNamedMembership(reader: Reader): Membership {
  reader.enter("membership");
  const voters = decodeIds(reader, "voters");
  const learners = decodeIds(reader, "learners");
  const jointOffset = reader.pos;
  const joint = reader.byte("joint");
  if (joint > 2) reader.fail("joint", jointOffset, `joint byte must be 0, 1 or 2, got ${joint}`);
  const membership =
    joint === 0
      ? membershipOf(voters, learners)
      : membershipOf(voters, learners, decodeIds(reader, "outgoing"), joint === 2);
  reader.leave();
  return membership;
}

function decodeIds(reader: Reader, field: string): NodeId[] {
  reader.enter(field);
  const count = reader.count("length", nodeIdBytesMin);
  const ids = new Array<NodeId>(count);
  for (let i = 0; i < count; i++) {
    reader.enter(i);
    ids[i] = reader.nodeId("");
    reader.leave();
  }
  reader.leave();
  return ids;
}
