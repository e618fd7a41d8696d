import type { Membership } from "./entry.js";
import type { NodeId } from "./ids.js";

// Remote input is untrusted even when it type-checks: a codec bug, a confused peer or a forged
// datagram can deliver any shape. This checks everything the reducer relies on, so the role
// handlers can trust a message; it never throws, whatever it is given.

/**
 * Why `msg` cannot be processed by node `self`, or null if it is well-formed and for us. `leader`
 * is the leader `self` follows in its current term, if it knows one.
 */
export function invalidMessageReason(
  self: NodeId,
  membership: Membership,
  leader: NodeId | null,
  msg: unknown,
): string | null {
  if (typeof msg !== "object" || msg === null) return "not a message object";
  const m = msg as Record<string, unknown>;
  if (m.to !== self) return `addressed to ${describe(m.to)}, not ${self}`;
  if (typeof m.from !== "string") return "sender is not a node id";
  if (m.from === self) return "sent by this node to itself";
  // Thesis §4.1: servers process requests without consulting their configuration: a leader this
  // node does not know yet (added by an entry it has not received) must reach it, or a node that
  // lags behind a membership change could never catch up. A removed node's vote requests cannot
  // disrupt either: PreVote and the CheckQuorum lease reject them (thesis §4.2.3). Answers only
  // make sense from members: one from anyone else is reported. Except the read index answer: a
  // node sends its read index requests to the leader it follows, which it learned from that
  // leader's AppendEntries and which its own configuration may not name yet (a node joining empty,
  // before the snapshot that carries the configuration). Dropping that answer left the read
  // pending for ever (simulator seed 55, --read-share 0.5). Only a leader answers with an index,
  // and a node's pending read index requests all went to the leader it follows now (a change of
  // leader fails them: read-index.ts, rule 6).
  const answersUs = m.type === "readIndexResponse" && m.from === leader;
  if (!isRequest(m.type) && !isMember(membership, m.from) && !answersUs) {
    return `sender ${m.from} is not in the membership`;
  }
  if (!isIndex(m.term)) return `term ${describe(m.term)} is not a non-negative integer`;
  switch (m.type) {
    case "requestVote":
      if (typeof m.preVote !== "boolean") return "preVote is not a boolean";
      if (m.transfer !== undefined && typeof m.transfer !== "boolean") {
        return "transfer is not a boolean";
      }
      if (m.transfer === true && m.preVote) return "a pre-vote cannot be a transfer vote";
      return (
        index("lastLogIndex", m.lastLogIndex) ??
        index("lastLogTerm", m.lastLogTerm) ??
        (Number(m.lastLogTerm) > Number(m.term) ? "lastLogTerm is above the message term" : null)
      );
    case "requestVoteResponse":
      if (typeof m.preVote !== "boolean") return "preVote is not a boolean";
      return typeof m.granted === "boolean" ? null : "granted is not a boolean";
    case "appendEntries":
      return (
        index("prevLogIndex", m.prevLogIndex) ??
        index("prevLogTerm", m.prevLogTerm) ??
        index("leaderCommit", m.leaderCommit) ??
        index("seq", m.seq) ??
        appendEntriesReason(m)
      );
    case "appendEntriesResponse":
      if (m.success === true) return index("seq", m.seq) ?? index("matchIndex", m.matchIndex);
      if (m.success === false) {
        return (
          index("seq", m.seq) ??
          index("conflictIndex", m.conflictIndex) ??
          index("conflictTerm", m.conflictTerm)
        );
      }
      return "success is not a boolean";
    case "installSnapshot":
      return (
        index("snapshotIndex", m.snapshotIndex) ??
        index("snapshotTerm", m.snapshotTerm) ??
        index("size", m.size) ??
        index("checksum", m.checksum) ??
        index("offset", m.offset) ??
        index("seq", m.seq) ??
        installSnapshotReason(m)
      );
    case "installSnapshotResponse":
      if (typeof m.done !== "boolean") return "done is not a boolean";
      return (
        index("snapshotIndex", m.snapshotIndex) ??
        index("receivedBytes", m.receivedBytes) ??
        index("seq", m.seq)
      );
    case "readIndexRequest":
      return index("requestId", m.requestId);
    case "readIndexResponse":
      if (m.success === true)
        return index("requestId", m.requestId) ?? index("readIndex", m.readIndex);
      if (m.success === false) return index("requestId", m.requestId);
      return "success is not a boolean";
    case "snapshotRequest":
      return index("snapshotIndex", m.snapshotIndex);
    case "timeoutNow":
      return null;
    default:
      return `unknown message type ${describe(m.type)}`;
  }
}

function appendEntriesReason(m: Record<string, unknown>): string | null {
  const term = m.term as number;
  const prevLogIndex = m.prevLogIndex as number;
  const prevLogTerm = m.prevLogTerm as number;
  if (prevLogTerm > term) return "prevLogTerm is above the message term";
  if (prevLogIndex === 0 && prevLogTerm !== 0) return "prevLogTerm must be 0 at index 0";
  if (!Array.isArray(m.entries)) return "entries is not an array";
  let lastTerm = prevLogTerm;
  for (let i = 0; i < m.entries.length; i++) {
    const reason = entryReason(m.entries[i], prevLogIndex + 1 + i, lastTerm, term);
    if (reason !== null) return `entries[${i}]: ${reason}`;
    lastTerm = (m.entries[i] as { term: number }).term;
  }
  return null;
}

/**
 * No snapshot this large is plausible (a Uint8Array cannot even hold it in most runtimes); a size
 * beyond it is a corrupt or hostile message, refused before anything is allocated for it.
 */
export const snapshotBytesMax = 2 ** 32;

function installSnapshotReason(m: Record<string, unknown>): string | null {
  const size = m.size as number;
  const offset = m.offset as number;
  if ((m.snapshotTerm as number) > (m.term as number))
    return "snapshotTerm is above the message term";
  if (m.snapshotIndex === 0) return "snapshotIndex 0 holds nothing";
  if (size > snapshotBytesMax) return `snapshot size ${size} is beyond ${snapshotBytesMax} bytes`;
  if ((m.checksum as number) > 0xffffffff) return "checksum is not a 32-bit CRC";
  if (!(m.data instanceof Uint8Array)) return "snapshot data is not a Uint8Array";
  if (typeof m.done !== "boolean") return "done is not a boolean";
  const end = offset + m.data.byteLength;
  if (end > size) return `chunk ends at ${end}, beyond the snapshot size ${size}`;
  if (m.done && end !== size) return `last chunk ends at ${end}, not at the snapshot size ${size}`;
  if (!m.done && end === size && m.data.byteLength > 0) {
    return "chunk reaches the snapshot size but is not marked done";
  }
  return membershipReason(m.membership);
}

function entryReason(
  value: unknown,
  expectedIndex: number,
  previousTerm: number,
  messageTerm: number,
): string | null {
  if (typeof value !== "object" || value === null) return "not an entry object";
  const e = value as Record<string, unknown>;
  if (e.index !== expectedIndex) return `index ${describe(e.index)}, expected ${expectedIndex}`;
  if (!isIndex(e.term)) return `term ${describe(e.term)} is not a non-negative integer`;
  if (e.term > messageTerm) return `term ${e.term} is above the message term ${messageTerm}`;
  if (e.term < previousTerm) return `term ${e.term} is below the term before it (${previousTerm})`;
  switch (e.kind) {
    case "command":
      return e.data instanceof Uint8Array ? null : "command data is not a Uint8Array";
    case "noop":
      return null;
    case "membership":
      return membershipReason(e.membership);
    default:
      return `unknown entry kind ${describe(e.kind)}`;
  }
}

function membershipReason(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "membership is not an object";
  const m = value as Record<string, unknown>;
  if (!isIdList(m.voters)) return "membership voters is not a list of node ids";
  if (!isIdList(m.learners)) return "membership learners is not a list of node ids";
  if (m.outgoing !== undefined && !isIdList(m.outgoing)) {
    return "membership outgoing is not a list of node ids";
  }
  return null;
}

/**
 * Why `value`, the message's field `field`, is not an index (or term, or count), or null. Each
 * caller reads its fields by name: a read by a computed key, over the messages' several shapes,
 * stayed generic in V8's optimized code (a fresh browser worker's first run, issue 15).
 */
function index(field: string, value: unknown): string | null {
  return isIndex(value) ? null : `${field} ${describe(value)} is not a non-negative integer`;
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isIdList(value: unknown): boolean {
  return Array.isArray(value) && value.every((id) => typeof id === "string" && id.length > 0);
}

function isRequest(type: unknown): boolean {
  return (
    type === "appendEntries" ||
    type === "installSnapshot" ||
    type === "requestVote" ||
    type === "timeoutNow"
  );
}

function isMember(membership: Membership, id: string): boolean {
  return (
    membership.voters.includes(id as NodeId) ||
    membership.learners.includes(id as NodeId) ||
    (membership.outgoing?.includes(id as NodeId) ?? false)
  );
}

function describe(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}
