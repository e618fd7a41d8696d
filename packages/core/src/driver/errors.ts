// Why a proposal failed, or why a node stopped. Every class has a stable `code` for programs; the
// messages are for people. Local misuse (proposing to a stopped node) rejects the same way as the
// cluster saying no, because to a caller both mean "this did not happen here".

import type { MembershipRefusal } from "../confchange.js";
import type { TransferRefusal } from "../effect.js";
import { FlotillaError } from "../errors.js";
import type { NodeId } from "../ids.js";

/**
 * The options of an expected outcome: the cluster said no, or cannot say what happened. A busy
 * node settles these by the thousand, so they capture no stack (errors.ts, `stack`).
 */
const outcome = { stack: false } as const;

/** This node does not lead; `leader` is who it believes does (null if unknown), to retry there. */
export class NotLeaderError extends FlotillaError {
  readonly leader: NodeId | null;
  constructor(leader: NodeId | null) {
    super(
      "NOT_LEADER",
      leader === null ? "not the leader; no leader is known" : `not the leader; try ${leader}`,
      outcome,
    );
    this.leader = leader;
  }
}

/**
 * The leader refused the proposal because its uncommitted tail is full (`uncommittedBytesMax`):
 * followers are behind. Back off and retry; the entry was never appended.
 */
export class OverloadedError extends FlotillaError {
  readonly leader: NodeId | null;
  constructor(leader: NodeId | null) {
    super("OVERLOADED", "the leader's uncommitted log is full; retry later", outcome);
    this.leader = leader;
  }
}

/**
 * The command is larger than the node's `entryBytesMax`: no node of the cluster accepts it, so
 * retrying cannot help (an HTTP server would answer 413). It was never appended.
 */
export class EntryTooLargeError extends FlotillaError {
  constructor() {
    super("ENTRY_TOO_LARGE", "the command is larger than entryBytesMax", outcome);
  }
}

/**
 * The leader (`leader`, still leading) refused the proposal because it is handing leadership over
 * (thesis §3.10: its log must stop growing so the target can catch up). Nothing was appended:
 * retry after a short pause at whichever node then leads (the transfer takes about a round trip;
 * if it fails, `leader` accepts proposals again after an election timeout).
 */
export class LeadershipTransferringError extends FlotillaError {
  readonly leader: NodeId | null;
  constructor(leader: NodeId | null) {
    super(
      "TRANSFERRING",
      "the leader is handing leadership over; retry shortly at the new leader",
      outcome,
    );
    this.leader = leader;
  }
}

/**
 * `transferLeadership` was refused and nothing changed: `reason` says why (notLeader with the
 * `leader` hint, self, unknownNode, notVoter, inProgress).
 */
export class LeadershipTransferRefusedError extends FlotillaError {
  readonly reason: TransferRefusal;
  readonly leader: NodeId | null;
  constructor(to: NodeId, reason: TransferRefusal, leader: NodeId | null) {
    super("TRANSFER_REFUSED", `leadership transfer to ${to} refused: ${reason}`);
    this.reason = reason;
    this.leader = leader;
  }
}

/**
 * A leadership transfer started but did not make its target the leader: `timedOut` (the target
 * did not take over within an election timeout; the old leader kept leading and accepts
 * proposals again) or `anotherLeader` (`leader` won the election that followed instead).
 */
export class LeadershipTransferFailedError extends FlotillaError {
  readonly reason: "timedOut" | "anotherLeader";
  readonly leader: NodeId | null;
  constructor(to: NodeId, reason: "timedOut" | "anotherLeader", leader: NodeId | null) {
    super(
      "TRANSFER_FAILED",
      reason === "timedOut"
        ? `leadership transfer to ${to} timed out; ${leader ?? "this node"} still leads`
        : `leadership transfer to ${to} failed: ${leader ?? "another node"} leads instead`,
    );
    this.reason = reason;
    this.leader = leader;
  }
}

/**
 * The proposal was appended at `index` in `term`, but a different entry was committed at that
 * index: leadership changed before the proposal committed, and it never will. Safe to retry.
 */
export class LeadershipLostError extends FlotillaError {
  readonly index: number;
  readonly term: number;
  constructor(index: number, term: number) {
    super(
      "LEADERSHIP_LOST",
      `the proposal at index ${index} (term ${term}) was replaced by another entry after a leader change`,
      outcome,
    );
    this.index = index;
    this.term = term;
  }
}

/**
 * No answer within the proposal's timeout. NB: the outcome is unknown. The entry may already be in
 * the log and still commit later (it is not withdrawn), so a retry may apply the command twice
 * unless the command itself is idempotent or carries a client id and sequence number that the
 * state machine deduplicates (Raft thesis §6.3).
 */
export class TimeoutError extends FlotillaError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super("TIMEOUT", `no outcome within ${timeoutMs} ms; the proposal may still commit`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The node stopped (by `stop()`, or because it failed: then `cause` says why) before the proposal's
 * outcome was known. As with a timeout, an entry already appended may still commit elsewhere.
 */
export class StoppedError extends FlotillaError {
  constructor(message = "the node is stopped", options?: { cause?: unknown }) {
    super("STOPPED", message, options);
  }
}

/**
 * The proposal was appended, then this node installed a snapshot covering its index, so it never
 * saw which entry committed there. The outcome is unknown, as with a timeout.
 */
export class OutcomeUnknownError extends FlotillaError {
  readonly index: number;
  constructor(index: number) {
    super(
      "OUTCOME_UNKNOWN",
      `a snapshot replaced the log up to index ${index} before this proposal's entry was applied here`,
      outcome,
    );
    this.index = index;
  }
}

/**
 * This node stopped leading (CheckQuorum found no quorum, a higher term was seen, or it left the
 * configuration) after appending the proposal at `index` in `term`, before that entry committed.
 * NB: the outcome is unknown (`outcome: "unknown"`): a new leader may still hold the entry and
 * commit it, so a retry may apply the command twice unless the command is idempotent or
 * deduplicated (Raft thesis §6.3). Settled at the step-down rather than at the proposal's timeout,
 * so a client turns to `leader` (the new leader if this node knows it, else null) at once.
 */
export class SteppedDownError extends FlotillaError {
  readonly outcome = "unknown" as const;
  readonly index: number;
  readonly term: number;
  readonly leader: NodeId | null;
  constructor(index: number, term: number, leader: NodeId | null) {
    super(
      "STEPPED_DOWN",
      `the leader stepped down before its entry at index ${index} (term ${term}) committed; ` +
        `the outcome is unknown${leader === null ? "" : `; ${leader} leads now`}`,
      outcome,
    );
    this.index = index;
    this.term = term;
    this.leader = leader;
  }
}

/** Storage failed to load or persist; the node stopped rather than run on state it cannot trust. */
export class StorageFailedError extends FlotillaError {
  constructor(
    operation:
      | "load"
      | "persist"
      | "writeSnapshot"
      | "writeSnapshotChunk"
      | "readSnapshotChunk"
      | "readSnapshot",
    cause: unknown,
  ) {
    super("STORAGE_FAILED", `storage ${operation} failed: ${describe(cause)}`, { cause });
  }
}

/** The state machine threw; the node stopped, since replicas must never diverge silently. */
export class StateMachineFailedError extends FlotillaError {
  constructor(operation: "apply" | "snapshot" | "restore", cause: unknown) {
    super("STATE_MACHINE_FAILED", `state machine ${operation} failed: ${describe(cause)}`, {
      cause,
    });
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * The leader refused a membership change (nothing was appended): `refusal.reason` says why
 * (changePending, inJoint, lastVoter, alreadyMember, unknownNode, learnerLagging, notLeader with a
 * leader hint, ...). Retry later, at the leader, or with `force` for a lagging learner.
 */
export class MembershipChangeRefusedError extends FlotillaError {
  readonly refusal: MembershipRefusal;
  constructor(refusal: MembershipRefusal) {
    super(
      "MEMBERSHIP_CHANGE_REFUSED",
      `membership change refused: ${describeRefusal(refusal)}`,
      outcome,
    );
    this.refusal = refusal;
  }
}

function describeRefusal(refusal: MembershipRefusal): string {
  const { reason, ...rest } = refusal;
  const details = Object.entries(rest).map(([key, value]) => `${key}=${String(value ?? "none")}`);
  return details.length === 0 ? reason : `${reason} (${details.join(", ")})`;
}

/**
 * `promoteWhenCaughtUp` gave up: learner `id` did not catch up within the rounds allowed (thesis
 * §4.2.1); nothing was changed. Retry later, or `promote` with `force`.
 */
export class LearnerNotCaughtUpError extends FlotillaError {
  readonly id: NodeId;
  readonly rounds: number;
  constructor(id: NodeId, rounds: number, why: string) {
    super(
      "LEARNER_NOT_CAUGHT_UP",
      `learner ${id} did not catch up within ${rounds} rounds (thesis §4.2.1): ${why}`,
    );
    this.id = id;
    this.rounds = rounds;
  }
}
