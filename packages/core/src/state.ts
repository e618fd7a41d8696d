import type { Config } from "./config.js";
import type { Role } from "./effect.js";
import type { Membership } from "./entry.js";
import type { NodeId } from "./ids.js";
import type { RaftLog } from "./log.js";
import type { MembershipLog } from "./membership-log.js";
import type { LeaderState } from "./tracker.js";

/**
 * The latest snapshot: what the log was compacted to, and what a leader sends a follower that needs
 * entries it no longer has (§7). Metadata only: the bytes stay in storage, and the driver reads
 * them chunk by chunk when the core asks (`readSnapshotChunk`).
 */
export type SnapshotMeta = {
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
  readonly size: number;
  readonly checksum: number;
};

/**
 * A snapshot a follower is receiving in chunks (§7). The chunks themselves go straight to storage
 * (`writeSnapshotChunk` effects); the core keeps only how far they reach and their running CRC-32,
 * to refuse a snapshot whose bytes do not match the leader's checksum. A transfer belongs to one
 * leader in one term, since two leaders may serialise the same state machine to different bytes.
 */
export type IncomingSnapshot = {
  readonly from: NodeId;
  readonly leaderTerm: number;
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
  readonly size: number;
  /** The leader's CRC-32 of the whole snapshot. */
  readonly checksum: number;
  /** Contiguous bytes received from offset 0 (and handed to storage). */
  readonly receivedBytes: number;
  /** CRC-32 of the first `receivedBytes` bytes. */
  readonly receivedChecksum: number;
  /**
   * Chunks that arrived past `receivedBytes` (one before them was lost or is late), by offset:
   * held until the bytes before them are written, then written in order (snapshot-receive.ts).
   * Invariant: every one starts past `receivedBytes`; `earlyBytes` is the sum of their lengths.
   */
  readonly early: readonly EarlyChunk[];
  readonly earlyBytes: number;
};

/** A chunk of a snapshot being received that arrived before the bytes ahead of it. */
export type EarlyChunk = { readonly offset: number; readonly data: Uint8Array };

/**
 * The read bookkeeping of one node (read-index.ts holds every rule of reads). Immutable: a step
 * that changes it builds a new one.
 */
export type ReadState = {
  /** Leader: reads that arrived before an entry of its term committed (read-index.ts rule 1). */
  readonly awaitingTermCommit: readonly {
    readonly id: string;
    /** Null: asked here; else the follower that forwarded it. */
    readonly from: NodeId | null;
    /** The follower's id for it (0 for a read asked here). */
    readonly requestId: number;
  }[];
  /** Leader: reads awaiting their quorum round, by ascending afterSeq (rule 2). */
  readonly confirming: readonly {
    readonly id: string;
    readonly from: NodeId | null;
    readonly requestId: number;
    /** The commit index when the read was recorded: serve once applied reaches it. */
    readonly index: number;
    /** The leader's seq when the read was recorded: only answers to later messages confirm it. */
    readonly afterSeq: number;
  }[];
  /** Leader: our own round in flight sent messages after this seq; null when none is. */
  readonly roundAfterSeq: number | null;
  /**
   * Leader: the highest seq each peer answered in this term. Kept while reads wait (or always,
   * with lease reads); a value that missed some answers is lower than the truth, never higher.
   */
  readonly ackedSeq: ReadonlyMap<NodeId, number>;
  /** Leader with lease reads: ticks since it became leader. */
  readonly leaderTicks: number;
  /** Leader with lease reads: recent heartbeat rounds, oldest first (rule 5). */
  readonly leaseRounds: readonly {
    /** The round's messages carry seqs above this one. */
    readonly seq: number;
    /** The leader's tick when it sent them. */
    readonly tick: number;
  }[];
  /**
   * Follower: reads forwarded to the leader, by request id (rule 4), with the `forwardTicks` at
   * which each left: one unanswered for an election timeout fails (rule 6).
   */
  readonly forwarded: ReadonlyMap<number, { readonly id: string; readonly sentTick: number }>;
  /** Follower: ticks counted while forwarded reads wait (a clock for their bound only). */
  readonly forwardTicks: number;
  /** Follower: the next request id; rises for the life of the node. */
  readonly nextRequestId: number;
  /**
   * Lease reads: a node just started refuses votes for its first election timeout (see
   * election.ts inLease): it may have promised a leader, before a crash, not to vote for anyone.
   */
  readonly holdVotesAfterStart: boolean;
  /**
   * Leader: it sent TimeoutNow in this term, so its lease no longer holds (read-index.ts rule 5):
   * lease reads fall back to ReadIndex until it leads again in a later term.
   */
  readonly leaseRevoked: boolean;
};

/**
 * The whole state of one node. Opaque to users (they read it through `status`). Every step
 * returns a new object; nested values are shared with the previous state and never mutated.
 */
export type RaftState = {
  readonly config: Config;
  readonly id: NodeId;
  readonly role: Role;
  /** Invariant: never decreases; persisted (with vote and commit) before messages depend on it. */
  readonly term: number;
  /** The node voted for in `term`, or null. Invariant: at most one per term, persisted. */
  readonly vote: NodeId | null;
  /** The leader of `term` as far as this node knows. */
  readonly leader: NodeId | null;
  readonly log: RaftLog;
  /** Invariant: log.baseIndex <= applied <= applyQueued <= commit <= log.lastIndex; never decreases. */
  readonly commit: number;
  /** Entries up to here were handed out in an `apply` effect. */
  readonly applyQueued: number;
  /** The application confirmed applying up to here (`applied` event). */
  readonly applied: number;
  /** The log is durable up to here (`persisted` event). Invariant: <= log.lastIndex. */
  readonly persistedIndex: number;
  /** The configuration in force: always `membershipLog.current.membership` (thesis §4.1). */
  readonly membership: Membership;
  /** The configurations in the log, so a truncation rolls back and a snapshot records its own. */
  readonly membershipLog: MembershipLog;
  readonly snapshot: SnapshotMeta | null;
  /**
   * The bytes of `snapshot` were lost (`Persisted.snapshotBytesLost`): the state machine holds
   * nothing, so no entry is applied and the node never campaigns until a snapshot at or past
   * `snapshot.index` is installed. Its log (the snapshot's metadata included) is intact, so it
   * votes and acknowledges as before: every promise it made still holds.
   */
  readonly snapshotLost: boolean;
  /** Follower: a snapshot transfer in progress (in memory only: a restart starts it over). */
  readonly incoming: IncomingSnapshot | null;
  /** Ticks since the last reset: heard from a leader, granted a vote, or started a campaign. */
  readonly electionElapsed: number;
  /** The current election timeout, random in [electionTimeoutTicks, 2 × electionTimeoutTicks). */
  readonly electionTimeoutTicks: number;
  /** Leader only: ticks since the last heartbeat round. */
  readonly heartbeatElapsed: number;
  /** PRNG state (see prng.ts). */
  readonly random: number;
  /** Candidate and pre-candidate: the answers received in this election, self included. */
  readonly votes: ReadonlyMap<NodeId, boolean>;
  /** Leader only: its followers' progress (tracker.ts). */
  readonly leaderState: LeaderState | null;
  /** Linearizable reads waiting here, and what confirms them (read-index.ts). */
  readonly reads: ReadState;
  /**
   * Leader only: a leadership transfer under way (thesis §3.10), else null. The leader hands over
   * to `to` and gives up once `elapsedTicks` (ticks since it started) reaches electionTimeoutTicks.
   */
  readonly transfer: { readonly to: NodeId; readonly elapsedTicks: number } | null;
};

/** A step works on a shallow copy of the state whose top-level fields it reassigns. */
export type Draft = { -readonly [K in keyof RaftState]: RaftState[K] };

/**
 * A shallow copy with every field spelled out in declaration order. Object spread on a state this
 * wide is several times slower in V8 and yields objects of varying hidden classes; this is the
 * reducer's hottest allocation.
 */
export function copyState(s: RaftState): Draft {
  return {
    config: s.config,
    id: s.id,
    role: s.role,
    term: s.term,
    vote: s.vote,
    leader: s.leader,
    log: s.log,
    commit: s.commit,
    applyQueued: s.applyQueued,
    applied: s.applied,
    persistedIndex: s.persistedIndex,
    membership: s.membership,
    membershipLog: s.membershipLog,
    snapshot: s.snapshot,
    snapshotLost: s.snapshotLost,
    incoming: s.incoming,
    electionElapsed: s.electionElapsed,
    electionTimeoutTicks: s.electionTimeoutTicks,
    heartbeatElapsed: s.heartbeatElapsed,
    random: s.random,
    votes: s.votes,
    leaderState: s.leaderState,
    reads: s.reads,
    transfer: s.transfer,
  };
}
