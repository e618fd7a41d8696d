import { index, type Message, type NodeId, nodeId, term } from "@flotilla/core";

export const nodes: readonly NodeId[] = ["n1", "n2", "n3", "n4", "n5"].map(nodeId);
export const [n1, n2, n3, n4, n5] = nodes as [NodeId, NodeId, NodeId, NodeId, NodeId];

/** A small message whose `seq` identifies it in traces. */
export function heartbeat(from: NodeId, to: NodeId, seq: number): Message {
  return {
    type: "appendEntries",
    from,
    to,
    term: term(1),
    prevLogIndex: index(0),
    prevLogTerm: term(0),
    entries: [],
    leaderCommit: index(0),
    seq,
  };
}

export function ack(from: NodeId, to: NodeId, seq: number): Message {
  return {
    type: "appendEntriesResponse",
    from,
    to,
    term: term(1),
    seq,
    success: true,
    matchIndex: index(0),
  };
}

export function seqOf(message: Message): number {
  return "seq" in message ? message.seq : -1;
}
