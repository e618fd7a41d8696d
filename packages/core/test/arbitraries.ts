// fast-check arbitraries for the core's wire types: every message variant, every entry kind,
// memberships with and without joint consensus. Shared by the codec tests and any other test that
// needs well-typed (not necessarily Raft-sensible) messages.

import fc from "fast-check";
import type {
  AppendEntries,
  AppendEntriesResponse,
  Entry,
  Index,
  InstallSnapshot,
  InstallSnapshotResponse,
  Membership,
  Message,
  MessageType,
  NodeId,
  ReadIndexRequest,
  ReadIndexResponse,
  RequestVote,
  RequestVoteResponse,
  SnapshotRequest,
  Term,
  TimeoutNow,
} from "../src/index.js";
import { membershipOf } from "../src/storage.js";

// Decoded messages are plain objects, so the generated ones must be too (fc.record's default is a
// null prototype, which strict equality tells apart).
function record<T>(
  model: { [K in keyof T]: fc.Arbitrary<T[K]> },
  constraints: { requiredKeys?: (keyof T)[] } = {},
): fc.Arbitrary<T> {
  return fc.record(model, { ...constraints, noNullPrototype: true } as never) as fc.Arbitrary<T>;
}

/** Mostly small numbers (the common case), plus every varint size boundary up to 2^53-1. */
export const uintArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 300 }) },
  { weight: 2, arbitrary: fc.maxSafeNat() },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 8 })
      .chain((groups) => fc.constantFrom(2 ** (7 * groups) - 1, 2 ** (7 * groups)))
      .map((value) => Math.min(value, Number.MAX_SAFE_INTEGER)),
  },
);
export const termArb: fc.Arbitrary<Term> = uintArb.map((value) => value as Term);
export const indexArb: fc.Arbitrary<Index> = uintArb.map((value) => value as Index);

/** Short ASCII names as clusters use them, and any well-formed Unicode (including U+FEFF). */
export const nodeIdArb: fc.Arbitrary<NodeId> = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom("n1", "n2", "n3", "node-4", "10.0.0.5:7000") },
    { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: fc.constantFrom("\uFEFF", "\uFEFFn1", "é", "节点", "🚢") },
  )
  .map((value) => value as NodeId);

export const bytesArb: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 80 });

const idsArb = fc.array(nodeIdArb, { maxLength: 5 });

// Built as every configuration is (membershipOf): the decoder gives that shape, and the codec's
// round trips compare strictly.
export const membershipArb: fc.Arbitrary<Membership> = fc.oneof(
  record({ voters: idsArb, learners: idsArb }).map((m) => membershipOf(m.voters, m.learners)),
  record({ voters: idsArb, learners: idsArb, outgoing: idsArb, explicitLeave: fc.boolean() }).map(
    (m) => membershipOf(m.voters, m.learners, m.outgoing, m.explicitLeave),
  ),
);

export const entryArb: fc.Arbitrary<Entry> = fc.oneof(
  record({
    kind: fc.constant("command" as const),
    index: indexArb,
    term: termArb,
    data: bytesArb,
  }),
  record({ kind: fc.constant("noop" as const), index: indexArb, term: termArb }),
  record({
    kind: fc.constant("membership" as const),
    index: indexArb,
    term: termArb,
    membership: membershipArb,
  }),
);

const envelope = { from: nodeIdArb, to: nodeIdArb, term: termArb };

export const requestVoteArb: fc.Arbitrary<RequestVote> = fc.oneof(
  record({
    type: fc.constant("requestVote" as const),
    ...envelope,
    preVote: fc.boolean(),
    lastLogIndex: indexArb,
    lastLogTerm: termArb,
  }),
  // A transfer vote (thesis §3.10): never a pre-vote, and `transfer` present only when true.
  record({
    type: fc.constant("requestVote" as const),
    ...envelope,
    preVote: fc.constant(false),
    transfer: fc.constant(true),
    lastLogIndex: indexArb,
    lastLogTerm: termArb,
  }),
);

export const requestVoteResponseArb: fc.Arbitrary<RequestVoteResponse> = record({
  type: fc.constant("requestVoteResponse" as const),
  ...envelope,
  preVote: fc.boolean(),
  granted: fc.boolean(),
});

export const appendEntriesArb: fc.Arbitrary<AppendEntries> = record({
  type: fc.constant("appendEntries" as const),
  ...envelope,
  prevLogIndex: indexArb,
  prevLogTerm: termArb,
  entries: fc.array(entryArb, { maxLength: 6 }),
  leaderCommit: indexArb,
  seq: uintArb,
});

export const appendEntriesResponseArb: fc.Arbitrary<AppendEntriesResponse> = fc.oneof(
  record({
    type: fc.constant("appendEntriesResponse" as const),
    ...envelope,
    seq: uintArb,
    success: fc.constant(true as const),
    matchIndex: indexArb,
  }),
  record({
    type: fc.constant("appendEntriesResponse" as const),
    ...envelope,
    seq: uintArb,
    success: fc.constant(false as const),
    conflictIndex: indexArb,
    conflictTerm: termArb,
  }),
);

export const installSnapshotArb: fc.Arbitrary<InstallSnapshot> = record({
  type: fc.constant("installSnapshot" as const),
  ...envelope,
  snapshotIndex: indexArb,
  snapshotTerm: termArb,
  membership: membershipArb,
  checksum: fc.nat({ max: 0xffffffff }),
  size: uintArb,
  offset: uintArb,
  data: bytesArb,
  done: fc.boolean(),
  seq: uintArb,
});

export const installSnapshotResponseArb: fc.Arbitrary<InstallSnapshotResponse> = record({
  type: fc.constant("installSnapshotResponse" as const),
  ...envelope,
  snapshotIndex: indexArb,
  receivedBytes: uintArb,
  done: fc.boolean(),
  seq: uintArb,
});

export const readIndexRequestArb: fc.Arbitrary<ReadIndexRequest> = record({
  type: fc.constant("readIndexRequest" as const),
  ...envelope,
  requestId: uintArb,
});

export const readIndexResponseArb: fc.Arbitrary<ReadIndexResponse> = fc.oneof(
  record({
    type: fc.constant("readIndexResponse" as const),
    ...envelope,
    requestId: uintArb,
    success: fc.constant(true as const),
    readIndex: indexArb,
  }),
  record({
    type: fc.constant("readIndexResponse" as const),
    ...envelope,
    requestId: uintArb,
    success: fc.constant(false as const),
  }),
);

export const timeoutNowArb: fc.Arbitrary<TimeoutNow> = record({
  type: fc.constant("timeoutNow" as const),
  ...envelope,
});

export const snapshotRequestArb: fc.Arbitrary<SnapshotRequest> = record({
  type: fc.constant("snapshotRequest" as const),
  ...envelope,
  snapshotIndex: indexArb,
});

/** One arbitrary per message type; a test over all of them cannot silently skip a new variant. */
export const messageArbs: {
  readonly [T in MessageType]: fc.Arbitrary<Extract<Message, { type: T }>>;
} = {
  requestVote: requestVoteArb,
  requestVoteResponse: requestVoteResponseArb,
  appendEntries: appendEntriesArb,
  appendEntriesResponse: appendEntriesResponseArb,
  installSnapshot: installSnapshotArb,
  installSnapshotResponse: installSnapshotResponseArb,
  readIndexRequest: readIndexRequestArb,
  readIndexResponse: readIndexResponseArb,
  snapshotRequest: snapshotRequestArb,
  timeoutNow: timeoutNowArb,
};

export const messageArb: fc.Arbitrary<Message> = fc.oneof(...Object.values(messageArbs));
