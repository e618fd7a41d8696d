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
  RequestVote,
  RequestVoteResponse,
  Term,
} from "../src/index.js";
/** Mostly small numbers (the common case), plus every varint size boundary up to 2^53-1. */
export declare const uintArb: fc.Arbitrary<number>;
export declare const termArb: fc.Arbitrary<Term>;
export declare const indexArb: fc.Arbitrary<Index>;
/** Short ASCII names as clusters use them, and any well-formed Unicode (including U+FEFF). */
export declare const nodeIdArb: fc.Arbitrary<NodeId>;
export declare const bytesArb: fc.Arbitrary<Uint8Array>;
export declare const membershipArb: fc.Arbitrary<Membership>;
export declare const entryArb: fc.Arbitrary<Entry>;
export declare const requestVoteArb: fc.Arbitrary<RequestVote>;
export declare const requestVoteResponseArb: fc.Arbitrary<RequestVoteResponse>;
export declare const appendEntriesArb: fc.Arbitrary<AppendEntries>;
export declare const appendEntriesResponseArb: fc.Arbitrary<AppendEntriesResponse>;
export declare const installSnapshotArb: fc.Arbitrary<InstallSnapshot>;
export declare const installSnapshotResponseArb: fc.Arbitrary<InstallSnapshotResponse>;
/** One arbitrary per message type; a test over all of them cannot silently skip a new variant. */
export declare const messageArbs: {
  readonly [T in MessageType]: fc.Arbitrary<
    Extract<
      Message,
      {
        type: T;
      }
    >
  >;
};
export declare const messageArb: fc.Arbitrary<Message>;
//# sourceMappingURL=arbitraries.d.ts.map
