// Pending membership change requests and the rule that settles each exactly once. A change is a
// proposal whose entry is a configuration, so the ProposalRegistry settles it by the entry applied
// at its (index, term), with one addition (thesis §4.3): a joint configuration C_old,new that the
// leader leaves by itself is only half the change. Its caller asked for C_new, so the promise
// waits, after C_old,new is applied, for the entry that leaves it (C_new, whichever leader appends
// it: the intent to leave is recorded in the entry itself). A change left explicitly settles at
// its joint entry; the `leaveJoint` request then settles at C_new.
//
// At a step-down every pending change settles with SteppedDownError (outcome unknown), like a
// proposal: nothing this node does can finish it, and the caller should turn to the new leader.
// That includes a change whose C_old,new committed but whose C_new did not: another leader will
// leave the joint configuration, but this node may not hear of it (it may have been removed).

import type { Membership } from "../entry.js";
import type { Index, NodeId, Term } from "../ids.js";
import { SteppedDownError } from "./errors.js";
import { ProposalRegistry } from "./proposals.js";
import type { Scheduler } from "./scheduler.js";

/**
 * Pending membership change requests of one node, each settled exactly once: by the entries that
 * complete it (C_old,new and, when left automatically, C_new), or by a step-down, a snapshot, a
 * timeout or a stop (see the top of this file).
 */
export class MembershipChangeRegistry {
  readonly #pending: ProposalRegistry<void>;
  /** A change whose joint entry applied, waiting for the entry that leaves it. */
  #awaitingLeave: { readonly index: Index; readonly term: Term } | null = null;

  /** Timeouts run on `scheduler`. */
  constructor(scheduler: Scheduler) {
    this.#pending = new ProposalRegistry<void>(scheduler);
  }

  /** How many changes are pending. */
  get size(): number {
    return this.#pending.size;
  }

  /** Registers a new change; its promise settles exactly once, through this registry. */
  create(timeoutMs: number | undefined): { id: string; promise: Promise<void> } {
    return this.#pending.create(timeoutMs);
  }

  /** The leader appended change `id` at (index, term). */
  accepted(id: string, index: Index, term: Term): void {
    this.#pending.accepted(id, index, term);
  }

  /** The entry at (index, term) was applied; `membership` is set for a configuration entry. */
  applied(index: Index, term: Term, membership: Membership | undefined): void {
    if (membership === undefined) {
      // A command or no-op at a change's position means the change's entry is gone.
      this.#pending.applied(index, term, undefined, false);
      return;
    }
    if (membership.outgoing !== undefined && membership.explicitLeave !== true) {
      // Half of the change: settle it when the joint configuration is left.
      this.#awaitingLeave = { index, term };
      this.#pending.outrun(index, term);
      return;
    }
    this.#pending.applied(index, term, undefined, true);
    const joint = this.#awaitingLeave;
    if (joint !== null && membership.outgoing === undefined) {
      this.#awaitingLeave = null;
      this.#pending.applied(joint.index, joint.term, undefined, true);
    }
  }

  /** A snapshot replaced the log up to `index`: changes there will never see their entry. */
  restored(index: Index): void {
    // A change waiting for its leave is settled too (its entry is at or below `index`): the
    // snapshot may hold C_new or not, so its outcome is unknown.
    this.#pending.restored(index);
    if (this.#awaitingLeave !== null && this.#awaitingLeave.index <= index) {
      this.#awaitingLeave = null;
    }
  }

  /** This node stopped leading `term`: settle every change it appended (see the top). */
  steppedDown(term: Term, commitIndex: Index, leader: NodeId | null): void {
    this.#pending.steppedDown(term, commitIndex, leader);
    const joint = this.#awaitingLeave;
    if (joint !== null) {
      this.#awaitingLeave = null;
      this.#pending.rejectAt(joint.index, new SteppedDownError(joint.index, joint.term, leader));
    }
  }

  /** Rejects change `id` (refused, or never handed to the core). */
  reject(id: string, error: Error): void {
    this.#pending.reject(id, error);
  }

  /** Rejects every pending change (the node stopped or failed). */
  rejectAll(makeError: () => Error): void {
    this.#awaitingLeave = null;
    this.#pending.rejectAll(makeError);
  }
}
