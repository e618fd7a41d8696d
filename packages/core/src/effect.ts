import type { MembershipRefusal } from "./confchange.js";
import type { Entry, HardState, Membership, Snapshot } from "./entry.js";
import type { Index, NodeId, Term } from "./ids.js";
import type { Message } from "./message.js";

/**
 * A node's part in the current term. `preCandidate`: probing with PreVote before it campaigns
 * (thesis §9.6).
 */
export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/**
 * Make these changes durable, in this order: store `snapshot` (dropping every log entry up to its
 * index), drop log entries from `truncateFrom` on, append `entries`, store `hardState`. Only once
 * all of it is durable may `then` be sent: those messages promise durability (a vote grant, an
 * append acknowledgement; Raft paper Figure 2, "respond after persisting"). The reducer and the
 * driver build every one with all six fields (`hardState`, `snapshot`, `truncateFrom` undefined
 * when there is none), so they all share one object shape (persist-shape.ts).
 */
export type PersistEffect = {
  readonly type: "persist";
  readonly hardState?: HardState | undefined;
  readonly snapshot?: Snapshot | undefined;
  readonly truncateFrom?: Index | undefined;
  readonly entries: readonly Entry[];
  readonly then: readonly Message[];
};

/**
 * Why a proposal was refused: this node does not lead; the leader's uncommitted tail is full
 * (`uncommittedBytesMax`); the command is larger than `entryBytesMax` (refused by any node); the
 * leader is handing leadership over (thesis §3.10: retry shortly, at whichever node then leads).
 */
export type ProposalRejection = "notLeader" | "uncommittedLimit" | "entryTooLarge" | "transferring";

/**
 * Why a leadership transfer was refused (nothing changed): this node does not lead; the target is
 * this node; the target is not a member; the target is not a voter of the configuration in force
 * (a learner, or a voter on its way out of a joint configuration: it could not stay leader);
 * another transfer is under way.
 */
export type TransferRefusal = "notLeader" | "self" | "unknownNode" | "notVoter" | "inProgress";

/**
 * Why a read failed: `notLeader`: refused on arrival (this node neither leads nor knows a leader to
 * ask); `leaderChanged`: pending when this node stepped down, or when the leader it asked changed
 * or refused; `unanswered`: forwarded to the leader, which did not answer within an election
 * timeout (the request or its answer was lost, or that leader no longer leads and never said so).
 * Either way nothing happened, so the read may be retried at `leader`.
 */
export type ReadRejection = "notLeader" | "leaderChanged" | "unanswered";

/**
 * What the driver must do besides sending `messages`, in the order given: store received snapshot
 * chunks and persist first, then send (the step's `messages`, and each persist effect's `then`
 * once durable), then apply and restore in order, then notify. Snapshot chunk reads are started
 * at any point and answered later with a `snapshotChunkRead` event.
 */
export type Effect =
  | PersistEffect
  /** Apply these committed entries to the state machine, in order. */
  | { readonly type: "apply"; readonly entries: readonly Entry[] }
  /** Replace the state machine's state with this snapshot before applying anything after it. */
  | { readonly type: "restore"; readonly snapshot: Snapshot }
  /**
   * Leader: read `length` bytes at `offset` of the stored `snapshot` and step `snapshotChunkRead`
   * with them (whenever they are ready: nothing waits). The chunk then leaves as InstallSnapshot.
   */
  | {
      readonly type: "readSnapshotChunk";
      readonly to: NodeId;
      readonly snapshot: Snapshot;
      readonly offset: number;
      readonly length: number;
    }
  /**
   * Follower: store this chunk of the snapshot being received, at `offset` (chunks come in order;
   * offset 0 starts the snapshot afresh, discarding any other partial one). Before the step's
   * persist effect: the persist that installs `snapshot` makes the chunks durable.
   */
  | {
      readonly type: "writeSnapshotChunk";
      readonly snapshot: Snapshot;
      readonly offset: number;
      readonly data: Uint8Array;
    }
  | {
      readonly type: "proposalAccepted";
      readonly id: string;
      readonly index: Index;
      readonly term: Term;
    }
  | {
      readonly type: "proposalRejected";
      readonly id: string;
      readonly reason: ProposalRejection;
      /** Who this node believes leads, so a client can retry there. */
      readonly leader: NodeId | null;
    }
  /**
   * Read `id` is linearizable once the state machine has applied up to `index` (thesis §6.4 step
   * 4): the driver waits for that, then serves it.
   */
  | { readonly type: "readReady"; readonly id: string; readonly index: Index }
  /** Read `id` failed; `leader` is who this node believes leads now, to retry there. */
  | {
      readonly type: "readRejected";
      readonly id: string;
      readonly reason: ReadRejection;
      readonly leader: NodeId | null;
    }
  /** The role, the term or the known leader changed (any of them). */
  | {
      readonly type: "roleChanged";
      readonly role: Role;
      readonly term: Term;
      readonly leader: NodeId | null;
    }
  /** The configuration in force changed: an entry was appended, truncated, or a snapshot installed. */
  | { readonly type: "membershipChanged"; readonly membership: Membership }
  /** A change request was appended at (index, term); it is done once that entry commits. */
  | {
      readonly type: "membershipChangeAccepted";
      readonly id: string;
      readonly index: Index;
      readonly term: Term;
    }
  /** A change request was refused; nothing was appended. */
  | {
      readonly type: "membershipChangeRejected";
      readonly id: string;
      readonly refusal: MembershipRefusal;
    }
  /**
   * The leader started handing leadership to `to` (thesis §3.10): it refuses proposals until it
   * steps down or the transfer is aborted.
   */
  | { readonly type: "leadershipTransferStarted"; readonly to: NodeId; readonly term: Term }
  /** A `transferLeadership` request was refused; nothing changed. */
  | {
      readonly type: "leadershipTransferRefused";
      readonly to: NodeId;
      readonly reason: TransferRefusal;
      /** Who this node believes leads (to ask there instead). */
      readonly leader: NodeId | null;
    }
  /**
   * The transfer to `to` was given up while this node still leads `term`: the target did not
   * take over within an election timeout (it may be down, slow, or partitioned). The leader
   * accepts proposals again.
   */
  | {
      readonly type: "leadershipTransferAborted";
      readonly to: NodeId;
      readonly term: Term;
      readonly reason: "timedOut";
    }
  /**
   * Leader: `peer` rejected an AppendEntries sent after it had acknowledged holding the log up to
   * `match`, saying its log now ends (or stops agreeing with ours) at `logEnd` < `match`. It lost
   * acknowledged entries: a wiped or restored data directory, or a torn last record dropped by
   * recovery. Raft's guarantees assume no such loss (an entry counted as committed on it may now
   * be on fewer than a quorum), so this is for an operator to see. The leader has reset the
   * peer's progress and repairs its log like any lagging follower's.
   */
  | {
      readonly type: "peerLostLog";
      readonly peer: NodeId;
      readonly match: Index;
      readonly logEnd: Index;
    }
  /**
   * Leader: `peer` lost its snapshot's bytes (its storage found them damaged) and asked for a
   * snapshot at or past `index`, past the one this leader holds: the driver takes one as soon as
   * it has applied that far, and the leader sends it at the peer's next request.
   */
  | { readonly type: "snapshotWanted"; readonly peer: NodeId; readonly index: Index }
  /** Bad remote input: reported, never thrown, and it changed nothing. */
  | { readonly type: "dropped"; readonly message: Message; readonly reason: string };

/** The `type` of every `Effect` variant. */
export type EffectType = Effect["type"];
