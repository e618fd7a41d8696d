import type { NodeId } from "@flotilla/core";

/**
 * What a checker found. The first seven are the Raft safety properties (paper §5, Figure 3) and
 * the client-visible guarantees the issue names; the rest catch a reducer breaking its own
 * contract in ways that would let the others be violated later (a vote changed within a term is
 * how "forgetting the vote on restart" shows up before it elects two leaders).
 */
export type ViolationKind =
  /** Two leaders in one term (§5.2). */
  | "electionSafety"
  /** A leader truncated its log, or appended an entry that is not of its term (§5.3). */
  | "leaderAppendOnly"
  /** Two logs hold an entry with the same index and term but different content or history (§5.3). */
  | "logMatching"
  /** A leader was elected without an entry committed in an earlier term (§5.4). */
  | "leaderCompleteness"
  /** Two nodes committed or applied different entries at one index (§5.4.3). */
  | "stateMachineSafety"
  /** A node's commit index went down, or it truncated an entry it had committed. */
  | "commitRegressed"
  /** A node applied out of order, skipped an index, or applied beyond its commit index. */
  | "appliedRegressed"
  /** A client was told its write succeeded, and the entry later vanished from the log. */
  | "acknowledgedWriteLost"
  /** A node's term went down, or its vote changed within one term (Figure 2: vote once per term). */
  | "termOrVoteRegressed"
  /** An effect broke the effects contract (non-contiguous entries, commit beyond the log). */
  | "malformedEffect"
  /**
   * A leader broke the leadership-transfer protocol (thesis §3.10): TimeoutNow to a target not
   * known to hold its whole log, or a proposal accepted while handing leadership over.
   */
  | "leadershipTransfer"
  /**
   * A membership rule broken (thesis chapter 4; membership-checker.ts): a second change appended
   * while one is in flight, a commit or an election without a quorum of the configuration in
   * force (of both halves while joint), a leader deposed by a node outside its configuration, or
   * a leader still leading once its removal committed.
   */
  | "membership"
  /** The client history has no linearization (checked once, at the end of a run). */
  | "linearizability"
  /**
   * A follower gave one leader the same rejection more often than that leader's heartbeats
   * explain: the leader asks the same question at network speed (spin-checker.ts).
   */
  | "spin";

/**
 * The violations amnesia (a node back from an older or empty data directory) can cause and Raft
 * cannot prevent: a forgotten vote elects two leaders in a term, forgotten entries let a leader
 * without committed entries win, which overwrites them elsewhere and loses acknowledged writes.
 * Not excusable: a node breaking its own contract within one life (its term, vote, applies or
 * effects), and a spin.
 */
export const amnesiaExcusable: ReadonlySet<ViolationKind> = new Set<ViolationKind>([
  "electionSafety",
  "logMatching",
  "leaderCompleteness",
  "stateMachineSafety",
  "commitRegressed",
  "acknowledgedWriteLost",
  "linearizability",
]);

/** A broken safety property or linearizability, as a checker saw it. */
export type Violation = {
  readonly kind: ViolationKind;
  /** The node whose step exposed it, when one did. */
  readonly node: NodeId | null;
  readonly detail: string;
};
