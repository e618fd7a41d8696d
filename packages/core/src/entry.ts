import type { Index, NodeId, Term } from "./ids.js";

/**
 * A cluster configuration. `voters` decide elections and commits; `learners` receive the log but
 * never vote. While `outgoing` is set the cluster is in joint consensus (Raft thesis §4.3):
 * every decision needs a majority of `voters` AND a majority of `outgoing`. Build one with
 * `membershipOf`, which gives every configuration the same object shape (`outgoing` and
 * `explicitLeave` present and undefined when they do not apply).
 */
export type Membership = {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly outgoing?: readonly NodeId[] | undefined;
  /**
   * Joint only: the leader leaves this configuration on a `leaveJoint` request instead of by
   * itself once it commits (transition "jointExplicitLeave"). Part of the entry, so the intent
   * survives a restart and a change of leader (etcd's ConfState.AutoLeave, inverted so that a
   * joint entry without it is left automatically).
   */
  readonly explicitLeave?: true | undefined;
};

/** Application data, proposed through `propose`. */
export type CommandEntry = {
  readonly kind: "command";
  readonly index: Index;
  readonly term: Term;
  readonly data: Uint8Array;
};

/** Appended by every new leader at the start of its term, so it can commit earlier entries (§5.4.2). */
export type NoopEntry = {
  readonly kind: "noop";
  readonly index: Index;
  readonly term: Term;
};

/** A configuration change; it takes effect when appended, not when committed (thesis §4.1). */
export type MembershipEntry = {
  readonly kind: "membership";
  readonly index: Index;
  readonly term: Term;
  readonly membership: Membership;
};

/** One log entry: a client command, a leader's no-op (thesis §6.4), or a membership change. */
export type Entry = CommandEntry | NoopEntry | MembershipEntry;

/** What must survive a restart besides the log: the current term, the vote in it, and the commit. */
export type HardState = {
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly commit: Index;
};

/**
 * A snapshot of the application's state machine with everything up to `index` applied, known by
 * its metadata: its bytes live in storage (`Storage.writeSnapshot`, `readSnapshot`), never in the
 * reducer's state, so a state of gigabytes costs the core nothing.
 */
export type Snapshot = {
  readonly index: Index;
  readonly term: Term;
  /** The configuration in force at `index` (thesis §4.1): a node restored from it starts there. */
  readonly membership: Membership;
  /** Its length in bytes. */
  readonly size: number;
  /** CRC-32 (ISO-HDLC, as zlib's) of its bytes: a receiver checks it before installing. */
  readonly checksum: number;
};

/**
 * What storage hands back on start: the hard state, the latest snapshot (if any), and the log
 * entries after it. `entries` is contiguous and starts at `snapshot.index + 1` (or at 1).
 */
export type Persisted = {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  /**
   * Storage found the bytes of `snapshot` damaged and set them aside (FileStorage quarantines the
   * file); its metadata, the log after it and the hard state are intact. The node starts without
   * a state machine to restore: it applies nothing, and never campaigns, until the leader sent
   * it a snapshot at or past `snapshot.index` (`snapshotRequest`).
   */
  readonly snapshotBytesLost?: boolean;
};
