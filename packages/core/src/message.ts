import type { Entry, Membership } from "./entry.js";
import type { Index, NodeId, Term } from "./ids.js";

// One variant per message, each carrying only its own fields. Every message names its sender,
// its recipient and the sender's term; the recipient compares terms once, in the dispatcher.

/** What every message carries: its sender, its recipient, and the sender's term. */
export type Envelope = {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
};

/**
 * A request for a vote. With `preVote` it is a probe (thesis §9.6): the sender has not
 * incremented its term and `term` is the term it *would* campaign in; granting it changes nothing.
 */
export type RequestVote = Envelope & {
  readonly type: "requestVote";
  readonly preVote: boolean;
  /**
   * Set (never with `preVote`) by a candidate that campaigns because its leader asked it to
   * (TimeoutNow, thesis §3.10): voters answer it even while they still hear from that leader, so
   * the vote lease (§4.2.3) does not stand in the way of a transfer the leader itself started.
   */
  readonly transfer?: boolean;
  readonly lastLogIndex: Index;
  readonly lastLogTerm: Term;
};

/** The answer to a `RequestVote` (or a pre-vote probe): granted or not, in the voter's term. */
export type RequestVoteResponse = Envelope & {
  readonly type: "requestVoteResponse";
  readonly preVote: boolean;
  readonly granted: boolean;
};

/**
 * Log replication and heartbeat in one (§5.3). `seq` is chosen by the leader, rises with every
 * AppendEntries it sends in its term, and is echoed in the response: it lets the leader tell
 * fresh acknowledgements from stale ones (CheckQuorum, read confirmation).
 */
export type AppendEntries = Envelope & {
  readonly type: "appendEntries";
  readonly prevLogIndex: Index;
  readonly prevLogTerm: Term;
  readonly entries: readonly Entry[];
  readonly leaderCommit: Index;
  readonly seq: number;
};

/**
 * The reply to AppendEntries. On success `matchIndex` is the last index the follower now holds in
 * agreement with the leader. On rejection the follower gives a conflict hint for fast backtracking:
 * `conflictTerm` is the term of its entry at prevLogIndex (0 if its log is shorter) and
 * `conflictIndex` the first index it holds of that term (or its last index + 1 if shorter), so the
 * leader skips a whole term per round trip instead of one entry.
 */
export type AppendEntriesResponse = Envelope & {
  readonly type: "appendEntriesResponse";
  readonly seq: number;
} & (
    | { readonly success: true; readonly matchIndex: Index }
    | { readonly success: false; readonly conflictIndex: Index; readonly conflictTerm: Term }
  );

/**
 * One chunk of a snapshot (§7). Chunks are sent in order from `offset`; `done` marks the last.
 * `size` is the snapshot's total length in bytes, so a receiver can refuse absurd sizes early.
 */
export type InstallSnapshot = Envelope & {
  readonly type: "installSnapshot";
  readonly snapshotIndex: Index;
  readonly snapshotTerm: Term;
  readonly membership: Membership;
  readonly size: number;
  /** CRC-32 of the whole snapshot: the receiver installs it only if its bytes match. */
  readonly checksum: number;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
  readonly seq: number;
};

/**
 * The reply to a chunk: the receiver holds `receivedBytes` contiguous bytes of the snapshot at
 * `snapshotIndex` (the leader resumes from there), or `done` once it has installed it (or
 * already had everything up to `snapshotIndex`).
 */
export type InstallSnapshotResponse = Envelope & {
  readonly type: "installSnapshotResponse";
  readonly snapshotIndex: Index;
  readonly receivedBytes: number;
  readonly done: boolean;
  readonly seq: number;
};

/**
 * A follower asks the leader of its term for a read index (thesis §6.4, "followers could also help
 * offload the processing of read-only queries"): the leader answers once it has confirmed that it
 * still leads, with the commit index it recorded when the request arrived. `requestId` is the
 * follower's, echoed in the answer. Reads never enter the log.
 */
export type ReadIndexRequest = Envelope & {
  readonly type: "readIndexRequest";
  readonly requestId: number;
};

/**
 * The leader's answer to a `ReadIndexRequest`: on success the follower may serve the read once it
 * has applied up to `readIndex`. A refusal (the recipient no longer leads that term, or never did)
 * fails the read at the follower at once.
 */
export type ReadIndexResponse = Envelope & {
  readonly type: "readIndexResponse";
  readonly requestId: number;
} & ({ readonly success: true; readonly readIndex: Index } | { readonly success: false });

/**
 * A leader handing over leadership (thesis §3.10): the recipient, whose log the leader has
 * brought up to its own, starts an election at once, without a pre-vote.
 */
export type TimeoutNow = Envelope & {
  readonly type: "timeoutNow";
};

/**
 * A follower whose snapshot's bytes were lost (storage found them damaged and set them aside; the
 * snapshot's metadata and the log after it are intact) asks the leader of its term for a snapshot
 * at `snapshotIndex` or later: it cannot apply anything until it holds one. The leader sends its
 * own once it reaches that far (taking a fresh one if it must). A request, not a promise: it
 * leaves at once, with every answer to the leader's AppendEntries while the bytes are missing.
 */
export type SnapshotRequest = Envelope & {
  readonly type: "snapshotRequest";
  readonly snapshotIndex: Index;
};

/**
 * Every message between nodes, one variant per `type`; each names its sender, its recipient and the
 * sender's term.
 */
export type Message =
  | RequestVote
  | RequestVoteResponse
  | AppendEntries
  | AppendEntriesResponse
  | InstallSnapshot
  | InstallSnapshotResponse
  | ReadIndexRequest
  | ReadIndexResponse
  | SnapshotRequest
  | TimeoutNow;

/** The `type` of every `Message` variant. */
export type MessageType = Message["type"];
