// Walks a message, an entry or a membership through a Sink (see sink.ts), field by field, in the
// order codec.ts documents. The decoder in decode-body.ts mirrors this file line for line.

import type { Entry, Membership } from "../entry.js";
import type { Message, RequestVote } from "../message.js";
import type { Sink } from "./sink.js";
import { entryKinds, voteKinds } from "./tags.js";

export function encodeBody(sink: Sink, message: Message): void {
  sink.nodeId(message.from, "from");
  sink.nodeId(message.to, "to");
  sink.uint(message.term, "term");
  switch (message.type) {
    case "requestVote":
      sink.byte(voteKind(sink, message));
      sink.uint(message.lastLogIndex, "lastLogIndex");
      sink.uint(message.lastLogTerm, "lastLogTerm");
      return;
    case "requestVoteResponse":
      sink.bool(message.preVote, "preVote");
      sink.bool(message.granted, "granted");
      return;
    case "appendEntries":
      sink.uint(message.prevLogIndex, "prevLogIndex");
      sink.uint(message.prevLogTerm, "prevLogTerm");
      sink.uint(message.leaderCommit, "leaderCommit");
      sink.uint(message.seq, "seq");
      encodeEntries(sink, message.entries);
      return;
    case "appendEntriesResponse":
      sink.uint(message.seq, "seq");
      sink.bool(message.success, "success");
      if (message.success) {
        sink.uint(message.matchIndex, "matchIndex");
      } else {
        sink.uint(message.conflictIndex, "conflictIndex");
        sink.uint(message.conflictTerm, "conflictTerm");
      }
      return;
    case "installSnapshot":
      sink.uint(message.snapshotIndex, "snapshotIndex");
      sink.uint(message.snapshotTerm, "snapshotTerm");
      sink.enter("membership");
      encodeMembership(sink, message.membership);
      sink.leave();
      sink.uint(message.size, "size");
      sink.uint(message.checksum, "checksum");
      sink.uint(message.offset, "offset");
      sink.bool(message.done, "done");
      sink.uint(message.seq, "seq");
      sink.bytes(message.data, "data");
      return;
    case "installSnapshotResponse":
      sink.uint(message.snapshotIndex, "snapshotIndex");
      sink.uint(message.receivedBytes, "receivedBytes");
      sink.bool(message.done, "done");
      sink.uint(message.seq, "seq");
      return;
    case "readIndexRequest":
      sink.uint(message.requestId, "requestId");
      return;
    case "readIndexResponse":
      sink.uint(message.requestId, "requestId");
      sink.bool(message.success, "success");
      if (message.success) sink.uint(message.readIndex, "readIndex");
      return;
    case "snapshotRequest":
      sink.uint(message.snapshotIndex, "snapshotIndex");
      return;
    case "timeoutNow":
      return;
    default:
      unreachable(sink, "type", (message as { type: never }).type);
  }
}

/** The vote kind byte (tags.ts): the `preVote` bool of version 1, or 2 for a transfer vote. */
function voteKind(sink: Sink, message: RequestVote): number {
  if (typeof message.preVote !== "boolean") sink.invalid("preVote", "must be a boolean");
  const transfer = message.transfer;
  if (transfer !== undefined && typeof transfer !== "boolean") {
    sink.invalid("transfer", "must be a boolean when present");
  }
  if (transfer === true) {
    if (message.preVote) sink.invalid("transfer", "a pre-vote cannot be a transfer vote");
    return voteKinds.transferVote;
  }
  return message.preVote ? voteKinds.preVote : voteKinds.vote;
}

function encodeEntries(sink: Sink, entries: readonly Entry[]): void {
  sink.enter("entries");
  sink.uint(entries.length, "length");
  for (let i = 0; i < entries.length; i++) {
    sink.enter(i);
    encodeEntry(sink, entries[i]!);
    sink.leave();
  }
  sink.leave();
}

export function encodeEntry(sink: Sink, entry: Entry): void {
  switch (entry.kind) {
    case "command":
      sink.byte(entryKinds.command);
      sink.uint(entry.index, "index");
      sink.uint(entry.term, "term");
      sink.bytes(entry.data, "data");
      return;
    case "noop":
      sink.byte(entryKinds.noop);
      sink.uint(entry.index, "index");
      sink.uint(entry.term, "term");
      return;
    case "membership":
      sink.byte(entryKinds.membership);
      sink.uint(entry.index, "index");
      sink.uint(entry.term, "term");
      sink.enter("membership");
      encodeMembership(sink, entry.membership);
      sink.leave();
      return;
    default:
      unreachable(sink, "kind", (entry as { kind: never }).kind);
  }
}

function encodeMembership(sink: Sink, membership: Membership): void {
  encodeIds(sink, "voters", membership.voters);
  encodeIds(sink, "learners", membership.learners);
  const outgoing = membership.outgoing;
  const explicitLeave = membership.explicitLeave;
  if (explicitLeave !== undefined && (explicitLeave !== true || outgoing === undefined)) {
    sink.invalid(
      "explicitLeave",
      "only a joint membership is left explicitly (explicitLeave: true)",
    );
  }
  sink.byte(outgoing === undefined ? 0 : explicitLeave === true ? 2 : 1);
  if (outgoing !== undefined) encodeIds(sink, "outgoing", outgoing);
}

function encodeIds(sink: Sink, field: string, ids: readonly string[]): void {
  sink.enter(field);
  sink.uint(ids.length, "length");
  for (let i = 0; i < ids.length; i++) {
    sink.enter(i);
    sink.nodeId(ids[i]!, "");
    sink.leave();
  }
  sink.leave();
}

/** The exhaustive end of a switch: reached only when a caller passes a value outside the type. */
function unreachable(sink: Sink, field: string, variant: never): never {
  return sink.invalid(field, `unknown variant ${JSON.stringify(variant) ?? String(variant)}`);
}
