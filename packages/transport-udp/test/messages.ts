// Real Message values for tests (test-only helper).
import {
  type AppendEntries,
  index,
  type Message,
  nodeId,
  type RequestVote,
  term,
} from "@flotilla/core";

export function requestVote(from: string, to: string, termValue = 3): RequestVote {
  return {
    type: "requestVote",
    from: nodeId(from),
    to: nodeId(to),
    term: term(termValue),
    preVote: false,
    lastLogIndex: index(7),
    lastLogTerm: term(2),
  };
}

/** An AppendEntries carrying `entryCount` commands of `entryBytes` bytes each (byte i = seed+i). */
export function appendEntries(
  from: string,
  to: string,
  entryCount: number,
  entryBytes: number,
  seed = 0,
): AppendEntries {
  const entries = Array.from({ length: entryCount }, (_, i) => ({
    kind: "command" as const,
    index: index(10 + i),
    term: term(3),
    data: Uint8Array.from({ length: entryBytes }, (_, j) => (seed + i * 31 + j) & 0xff),
  }));
  return {
    type: "appendEntries",
    from: nodeId(from),
    to: nodeId(to),
    term: term(3),
    prevLogIndex: index(9),
    prevLogTerm: term(3),
    entries,
    leaderCommit: index(9),
    seq: seed,
  };
}

export type { Message };
