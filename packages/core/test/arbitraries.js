// fast-check arbitraries for the core's wire types: every message variant, every entry kind,
// memberships with and without joint consensus. Shared by the codec tests and any other test that
// needs well-typed (not necessarily Raft-sensible) messages.
import fc from "fast-check";

// Decoded messages are plain objects, so the generated ones must be too (fc.record's default is a
// null prototype, which strict equality tells apart).
function record(model, constraints = {}) {
  return fc.record(model, { ...constraints, noNullPrototype: true });
}
/** Mostly small numbers (the common case), plus every varint size boundary up to 2^53-1. */
export const uintArb = fc.oneof(
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
export const termArb = uintArb.map((value) => value);
export const indexArb = uintArb.map((value) => value);
/** Short ASCII names as clusters use them, and any well-formed Unicode (including U+FEFF). */
export const nodeIdArb = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom("n1", "n2", "n3", "node-4", "10.0.0.5:7000") },
    { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: fc.constantFrom("\uFEFF", "\uFEFFn1", "é", "节点", "🚢") },
  )
  .map((value) => value);
export const bytesArb = fc.uint8Array({ maxLength: 80 });
const idsArb = fc.array(nodeIdArb, { maxLength: 5 });
export const membershipArb = record(
  { voters: idsArb, learners: idsArb, outgoing: idsArb },
  { requiredKeys: ["voters", "learners"] },
);
export const entryArb = fc.oneof(
  record({
    kind: fc.constant("command"),
    index: indexArb,
    term: termArb,
    data: bytesArb,
  }),
  record({ kind: fc.constant("noop"), index: indexArb, term: termArb }),
  record({
    kind: fc.constant("membership"),
    index: indexArb,
    term: termArb,
    membership: membershipArb,
  }),
);
const envelope = { from: nodeIdArb, to: nodeIdArb, term: termArb };
export const requestVoteArb = record({
  type: fc.constant("requestVote"),
  ...envelope,
  preVote: fc.boolean(),
  lastLogIndex: indexArb,
  lastLogTerm: termArb,
});
export const requestVoteResponseArb = record({
  type: fc.constant("requestVoteResponse"),
  ...envelope,
  preVote: fc.boolean(),
  granted: fc.boolean(),
});
export const appendEntriesArb = record({
  type: fc.constant("appendEntries"),
  ...envelope,
  prevLogIndex: indexArb,
  prevLogTerm: termArb,
  entries: fc.array(entryArb, { maxLength: 6 }),
  leaderCommit: indexArb,
  seq: uintArb,
});
export const appendEntriesResponseArb = fc.oneof(
  record({
    type: fc.constant("appendEntriesResponse"),
    ...envelope,
    seq: uintArb,
    success: fc.constant(true),
    matchIndex: indexArb,
  }),
  record({
    type: fc.constant("appendEntriesResponse"),
    ...envelope,
    seq: uintArb,
    success: fc.constant(false),
    conflictIndex: indexArb,
    conflictTerm: termArb,
  }),
);
export const installSnapshotArb = record({
  type: fc.constant("installSnapshot"),
  ...envelope,
  snapshotIndex: indexArb,
  snapshotTerm: termArb,
  membership: membershipArb,
  size: uintArb,
  offset: uintArb,
  data: bytesArb,
  done: fc.boolean(),
  seq: uintArb,
});
export const installSnapshotResponseArb = record({
  type: fc.constant("installSnapshotResponse"),
  ...envelope,
  snapshotIndex: indexArb,
  receivedBytes: uintArb,
  done: fc.boolean(),
  seq: uintArb,
});
/** One arbitrary per message type; a test over all of them cannot silently skip a new variant. */
export const messageArbs = {
  requestVote: requestVoteArb,
  requestVoteResponse: requestVoteResponseArb,
  appendEntries: appendEntriesArb,
  appendEntriesResponse: appendEntriesResponseArb,
  installSnapshot: installSnapshotArb,
  installSnapshotResponse: installSnapshotResponseArb,
};
export const messageArb = fc.oneof(...Object.values(messageArbs));
//# sourceMappingURL=arbitraries.js.map
