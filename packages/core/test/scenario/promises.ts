// What a message promises about its sender's disk, checked at the moment it is sent (Raft paper
// Figure 2: servers update stable storage "before responding to RPCs"). A message that breaks its
// promise is a durability bug even if nothing goes wrong in the run at hand: a crash at that
// moment would lose what the message vouched for.

import type { Entry, Message, Persisted } from "@flotilla/core";

/** Why `message` claims more than `disk` (the sender's durable state) holds, or null. */
export function brokenPromise(message: Message, disk: Persisted): string | null {
  const hs = disk.hardState;
  // Pre-vote traffic carries a term the sender has not entered; it promises nothing (thesis §9.6).
  const preVote =
    (message.type === "requestVote" || message.type === "requestVoteResponse") && message.preVote;
  if (!preVote && message.term > hs.term) {
    return `sent term ${message.term} while its durable term is ${hs.term}`;
  }
  switch (message.type) {
    case "requestVote":
      if (!message.preVote && (hs.term !== message.term || hs.vote !== message.from)) {
        return `asked for votes in term ${message.term} before its own vote was durable`;
      }
      return null;
    case "requestVoteResponse":
      if (
        !message.preVote &&
        message.granted &&
        (hs.term !== message.term || hs.vote !== message.to)
      ) {
        return `granted its vote to ${message.to} in term ${message.term} but its durable vote is ${hs.vote ?? "none"} in term ${hs.term}`;
      }
      return null;
    case "appendEntriesResponse":
      if (message.success && !holds(disk, message.matchIndex)) {
        return `acknowledged match=${message.matchIndex} but its durable log ends at ${lastDurable(disk)}`;
      }
      return null;
    case "appendEntries":
    case "installSnapshot":
    case "installSnapshotResponse":
    case "readIndexRequest":
    case "readIndexResponse":
    case "snapshotRequest":
    case "timeoutNow":
      return null;
    default:
      return unreachableMessage(message);
  }
}

function holds(disk: Persisted, index: number): boolean {
  return index <= lastDurable(disk);
}

function lastDurable(disk: Persisted): number {
  const last: Entry | undefined = disk.entries.at(-1);
  return last?.index ?? disk.snapshot?.index ?? 0;
}

function unreachableMessage(value: never): never {
  throw new Error(`unexpected message: ${JSON.stringify(value)}`);
}
