// One-line renderings of messages, entries and effects for scenario traces. The notation:
//   index/term        an entry or a log position: `5/1` is index 5 of term 1
//   a..b/t            a run of entries of term t: `6..9/2` is indexes 6 to 9, all of term 2
//   1->2 <message>    a message sent from node 1 to node 2
// Fields that only matter to the machinery (seq numbers) are left out so traces stay readable.

import type { Effect, Entry, Membership, Message, PersistEffect } from "@flotilla/core";

export function formatMessage(message: Message): string {
  const head = `${message.from}->${message.to}`;
  switch (message.type) {
    case "requestVote":
      return `${head} ${message.preVote ? "preVote" : "requestVote"} term=${message.term} last=${message.lastLogIndex}/${message.lastLogTerm}${message.transfer === true ? " transfer" : ""}`;
    case "requestVoteResponse":
      return `${head} ${message.preVote ? "preVoteResponse" : "requestVoteResponse"} term=${message.term} ${message.granted ? "granted" : "rejected"}`;
    case "appendEntries":
      return `${head} appendEntries term=${message.term} prev=${message.prevLogIndex}/${message.prevLogTerm} entries=${formatEntryIds(message.entries)} commit=${message.leaderCommit}`;
    case "appendEntriesResponse":
      return message.success
        ? `${head} appendEntriesResponse term=${message.term} match=${message.matchIndex}`
        : `${head} appendEntriesResponse term=${message.term} reject conflict=${message.conflictIndex}/${message.conflictTerm}`;
    case "installSnapshot":
      return `${head} installSnapshot term=${message.term} snap=${message.snapshotIndex}/${message.snapshotTerm} offset=${message.offset} bytes=${message.data.length}${message.done ? " done" : ""}`;
    case "installSnapshotResponse":
      return `${head} installSnapshotResponse term=${message.term} snap=${message.snapshotIndex} received=${message.receivedBytes}${message.done ? " done" : ""}`;
    case "readIndexRequest":
      return `${head} readIndexRequest term=${message.term} request=${message.requestId}`;
    case "readIndexResponse":
      return message.success
        ? `${head} readIndexResponse term=${message.term} request=${message.requestId} index=${message.readIndex}`
        : `${head} readIndexResponse term=${message.term} request=${message.requestId} refused`;
    case "timeoutNow":
      return `${head} timeoutNow term=${message.term}`;
    case "snapshotRequest":
      return `${head} snapshotRequest term=${message.term} atLeast=${message.snapshotIndex}`;
    default:
      return unreachable(message);
  }
}

/** `[1/1 2..4/2]`: entry positions only, runs of one term collapsed. */
export function formatEntryIds(entries: readonly Entry[]): string {
  const runs: string[] = [];
  let start = 0;
  for (let i = 1; i <= entries.length; i++) {
    const first = entries[start];
    const current = entries[i];
    const runContinues =
      current !== undefined &&
      first !== undefined &&
      current.term === first.term &&
      current.index === (entries[i - 1]?.index ?? 0) + 1;
    if (runContinues || first === undefined) continue;
    const last = entries[i - 1] as Entry;
    runs.push(
      first === last
        ? `${first.index}/${first.term}`
        : `${first.index}..${last.index}/${first.term}`,
    );
    start = i;
  }
  return `[${runs.join(" ")}]`;
}

/** `3/2:hello`, `1/2:noop`, `4/2:<100 bytes>`, `5/2:membership(voters=1,2,3)`. */
export function formatEntry(entry: Entry): string {
  const at = `${entry.index}/${entry.term}`;
  switch (entry.kind) {
    case "noop":
      return `${at}:noop`;
    case "command":
      return `${at}:${formatData(entry.data)}`;
    case "membership":
      return `${at}:membership(${formatMembership(entry.membership)})`;
    default:
      return unreachable(entry);
  }
}

const decoder = new TextDecoder();

export function formatData(data: Uint8Array): string {
  const text = decoder.decode(data);
  return data.length <= 16 && /^[\x21-\x7e]*$/.test(text) ? text : `<${data.length} bytes>`;
}

/**
 * Renders a notification effect as a trace line; `persist` and `apply` are rendered by the
 * cluster, which knows whether the write was held.
 */
export function formatNotification(node: string, effect: Effect): string | null {
  switch (effect.type) {
    case "persist":
    case "apply":
    case "writeSnapshotChunk":
      return null;
    case "readSnapshotChunk":
      return `${node}: read snapshot ${effect.snapshot.index} bytes ${effect.offset}+${effect.length} for ${effect.to}`;
    case "restore":
      return `${node}: restore snapshot ${effect.snapshot.index}/${effect.snapshot.term}`;
    case "proposalAccepted":
      return `${node}: accepted ${effect.id} at ${effect.index}/${effect.term}`;
    case "proposalRejected":
      return `${node}: rejected ${effect.id} ${effect.reason} leader=${effect.leader ?? "none"}`;
    case "roleChanged":
      return effect.role === "follower"
        ? `${node} is follower term=${effect.term} leader=${effect.leader ?? "none"}`
        : `${node} is ${effect.role} term=${effect.term}`;
    case "membershipChanged":
      return `${node}: membership ${formatMembership(effect.membership)}`;
    case "membershipChangeAccepted":
      return `${node}: accepted ${effect.id} at ${effect.index}/${effect.term}`;
    case "membershipChangeRejected": {
      const { reason, ...rest } = effect.refusal;
      const detail = Object.entries(rest).map(([k, v]) => ` ${k}=${String(v ?? "none")}`);
      return `${node}: rejected ${effect.id} ${reason}${detail.join("")}`;
    }
    case "snapshotWanted":
      return `${node}: SNAPSHOT WANTED by ${effect.peer} at or past ${effect.index}`;
    case "peerLostLog":
      return `${node}: LOST LOG ${effect.peer} had acknowledged ${effect.match}, its log ends at ${effect.logEnd}`;
    case "readReady":
      return `${node}: read ${effect.id} ready at ${effect.index}`;
    case "readRejected":
      return `${node}: read ${effect.id} rejected ${effect.reason} leader=${effect.leader ?? "none"}`;
    case "leadershipTransferStarted":
      return `${node}: transferring leadership to ${effect.to} in term ${effect.term}`;
    case "leadershipTransferRefused":
      return `${node}: transfer to ${effect.to} refused ${effect.reason} leader=${effect.leader ?? "none"}`;
    case "leadershipTransferAborted":
      return `${node}: transfer to ${effect.to} aborted ${effect.reason} in term ${effect.term}`;
    case "dropped":
      return `${node}: dropped ${effect.message.type} from ${effect.message.from}: ${effect.reason}`;
    default:
      return unreachable(effect);
  }
}

/** `voters=1,2,3 outgoing=1,2 learners=4`, the last two only when present. */
export function formatMembership(m: Membership): string {
  const outgoing = m.outgoing === undefined ? "" : ` outgoing=${m.outgoing.join(",")}`;
  const learners = m.learners.length === 0 ? "" : ` learners=${m.learners.join(",")}`;
  return `voters=${m.voters.join(",")}${outgoing}${learners}`;
}

export function unreachable(value: never): never {
  throw new Error(`unexpected variant: ${JSON.stringify(value)}`);
}

/** A persist effect in one line, for writes the script holds back. */
export function describeWrite(write: PersistEffect): string {
  const parts: string[] = [];
  if (write.hardState !== undefined) {
    const hs = write.hardState;
    parts.push(`term=${hs.term} vote=${hs.vote ?? "none"} commit=${hs.commit}`);
  }
  if (write.snapshot !== undefined)
    parts.push(`snapshot=${write.snapshot.index}/${write.snapshot.term}`);
  if (write.truncateFrom !== undefined) parts.push(`truncateFrom=${write.truncateFrom}`);
  if (write.entries.length > 0) parts.push(`entries=${formatEntryIds(write.entries)}`);
  parts.push(`then=${write.then.length} msgs`);
  return parts.join(" ");
}
