// The last part of every turn: settle proposals and reads, and tell the application what changed. It
// gets only notices whose writes are durable (but a proposal's acceptance, which it only files) and
// applies of committed entries on this node's disk or in its write in flight (held-work.ts,
// early-apply.ts), so an event never announces something a crash could undo or not yet applied.

import mitt from "mitt";
import type { ProposalRejection } from "../effect.js";
import type { FlotillaError } from "../errors.js";
import type { Index, NodeId, Term } from "../ids.js";
import {
  EntryTooLargeError,
  LeadershipTransferringError,
  MembershipChangeRefusedError,
  NotLeaderError,
  OverloadedError,
} from "./errors.js";
import type { MembershipChangeRegistry } from "./membership-changes.js";
import type { ProposalRegistry } from "./proposals.js";
import type { ReadRegistry } from "./reads.js";
import type { Scheduler } from "./scheduler.js";
import type { TransferWaiter } from "./transfer-waiter.js";
import type { Notice, TurnReport } from "./turn-work.js";
import type { NodeEvents } from "./types.js";

/**
 * Settles proposals, membership changes and reads from a finished turn and emits the node's
 * events: the last part of every turn (`createNode` and the simulator's clients share it).
 */
export class Notifier<Result> {
  readonly events = mitt<NodeEvents>();
  readonly #proposals: ProposalRegistry<Result>;
  /** Membership change requests: settled by their entry as proposals are by theirs. */
  readonly #changes: MembershipChangeRegistry;
  readonly #reads: ReadRegistry;
  /** The `transferLeadership` promise waiting for its outcome, if any. */
  readonly #transfers: TransferWaiter;
  readonly #scheduler: Scheduler;
  /** Bad messages from peers the core dropped (reported, never thrown). */
  droppedMessages = 0;
  // What the events have said so far, so each change is emitted once.
  #term = 0 as Term;
  #leader: NodeId | null = null;
  #leading = false;
  /** This turn, the node stopped leading this term (the latest, if several): settle its proposals. */
  #steppedDownFrom: Term | null = null;
  #commitIndex = 0;
  #appliedIndex = 0;

  constructor(
    proposals: ProposalRegistry<Result>,
    changes: MembershipChangeRegistry,
    reads: ReadRegistry,
    transfers: TransferWaiter,
    scheduler: Scheduler,
  ) {
    this.#proposals = proposals;
    this.#changes = changes;
    this.#reads = reads;
    this.#transfers = transfers;
    this.#scheduler = scheduler;
  }

  /** Where the node starts from: nothing before this is news. */
  loaded(term: Term, snapshotIndex: Index): void {
    this.#term = term;
    this.#commitIndex = snapshotIndex;
    this.#appliedIndex = snapshotIndex;
  }

  /** Settles and announces what the turn `report` did; `commitIndex` is the core's after it. */
  finish({ work, appliedIndex }: TurnReport<Result>, commitIndex: Index): void {
    // Indexed loops: once per turn, mostly over nothing, and a for-of builds an iterator until V8
    // optimizes this (issue #15).
    const { notices, outcomes, snapshots } = work;
    for (let i = 0; i < notices.length; i++) this.#notice(notices[i]!, appliedIndex);
    this.#reads.applied(appliedIndex);
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.kind === "applied") {
        const { index, term, result, isCommand } = outcome;
        this.#proposals.applied(index, term, result as Result, isCommand);
        // An (index, term) names one entry: a change is settled by the entry at its position.
        this.#changes.applied(index, term, outcome.membership);
      } else {
        this.#proposals.restored(outcome.index);
        this.#changes.restored(outcome.index);
      }
    }
    // After the applies: an entry they resolved is not "unknown", and the commit index is final.
    if (this.#steppedDownFrom !== null) {
      this.#proposals.steppedDown(this.#steppedDownFrom, commitIndex, this.#leader);
      this.#changes.steppedDown(this.#steppedDownFrom, commitIndex, this.#leader);
      this.#steppedDownFrom = null;
    }
    for (let i = 0; i < snapshots.length; i++) this.emit("snapshot", snapshots[i]!);
    if (commitIndex > this.#commitIndex) {
      this.#commitIndex = commitIndex;
      this.emit("commit", { index: commitIndex });
    }
    if (appliedIndex > this.#appliedIndex) {
      this.#appliedIndex = appliedIndex;
      this.emit("apply", { index: appliedIndex });
    }
  }

  /** A throwing event handler is the application's bug: rethrown on its own, never ours. */
  emit<Key extends keyof NodeEvents>(type: Key, event: NodeEvents[Key]): void {
    try {
      this.events.emit(type, event);
    } catch (error) {
      this.#scheduler.queueMicrotask(() => {
        throw error;
      });
    }
  }

  #notice(notice: Notice, appliedIndex: Index): void {
    switch (notice.type) {
      case "proposalAccepted":
        this.#proposals.accepted(notice.id, notice.index, notice.term);
        return;
      case "proposalRejected": {
        // A refusal involves no I/O, so settling it now would let a caller that retries at once
        // spin in microtasks and starve its own node of timers and sockets: it could never learn
        // the new leader, nor read the acks that would make room. Settle it in a later task. The
        // error is made there too, on that task's short stack: a debugger (DevTools, a browser
        // driven over its protocol) captures every new error's stack whatever its limit, at a
        // cost that grows with the stack's depth (docs/benchmarks.md, issue 15).
        const { id, reason, leader } = notice;
        this.#scheduler.setTimeout(() => this.#proposals.reject(id, rejection(reason, leader)), 0);
        return;
      }
      case "roleChanged":
        this.#roleChanged(notice);
        return;
      case "membershipChanged":
        this.emit("membership", { membership: notice.membership });
        return;
      case "membershipChangeAccepted":
        this.#changes.accepted(notice.id, notice.index, notice.term);
        return;
      case "membershipChangeRejected": {
        // Settled in a later task, like a refused proposal (see above).
        const { id, refusal } = notice;
        this.#scheduler.setTimeout(
          () => this.#changes.reject(id, new MembershipChangeRefusedError(refusal)),
          0,
        );
        return;
      }
      case "readReady":
        this.#reads.ready(notice.id, notice.index, appliedIndex);
        return;
      case "readRejected": {
        // In a later task, like a refused proposal (see above): nothing happened, retry at leader.
        const { id, leader } = notice;
        this.#scheduler.setTimeout(() => this.#reads.reject(id, new NotLeaderError(leader)), 0);
        return;
      }
      case "dropped":
        this.droppedMessages += 1;
        return;
      case "peerLostLog":
        this.emit("peerLostLog", { peer: notice.peer, match: notice.match, logEnd: notice.logEnd });
        return;
      case "snapshotWanted": // the runtime's snapshot policy acted on it already
        return;
      case "leadershipTransferStarted":
      case "leadershipTransferRefused":
      case "leadershipTransferAborted":
        this.#transfers.notice(notice);
        return;
      default: {
        const never: never = notice;
        throw new TypeError(`unknown notice ${JSON.stringify(never)}`);
      }
    }
  }

  #roleChanged({ role, term, leader }: Extract<Notice, { type: "roleChanged" }>): void {
    if (this.#leading && role !== "leader") this.#steppedDownFrom = this.#term;
    this.#leading = role === "leader";
    const termChanged = term !== this.#term;
    const leaderChanged = leader !== this.#leader;
    this.#term = term;
    this.#leader = leader;
    this.emit("role", { role, term, leader });
    if (termChanged) this.emit("term", { term });
    // A read the old term's leader answered may wait for good for its index here: a node removed
    // from the configuration never learns the commit again (sim seed 55 with --read-share 0.5).
    // Refusing a read is always safe; its caller asks again, in a later task (see below).
    if (termChanged && this.#reads.waiting) {
      this.#scheduler.setTimeout(() => this.#reads.rejectWaiting(new NotLeaderError(leader)), 0);
    }
    if (leaderChanged) this.emit("leader", { leader, term });
    this.#transfers.leaderKnown(term, leader);
  }
}

function rejection(reason: ProposalRejection, leader: NodeId | null): FlotillaError {
  switch (reason) {
    case "notLeader":
      return new NotLeaderError(leader);
    case "uncommittedLimit":
      return new OverloadedError(leader);
    case "entryTooLarge":
      return new EntryTooLargeError();
    case "transferring":
      return new LeadershipTransferringError(leader);
    default: {
      const never: never = reason;
      return new NotLeaderError(never);
    }
  }
}
