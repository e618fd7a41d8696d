// The promise of `transferLeadership`: one transfer at a time, settled by what the core reports.
// The core knows when it refused a transfer, started one, or gave one up (an election timeout
// without a new leader); it cannot know whether the target won, since the leader steps down as
// soon as the target's vote request reaches it. So the driver watches the leader this node learns
// of after the transfer began: the target at a higher term resolves, anyone else rejects.

import type { Effect } from "../effect.js";
import type { NodeId, Term } from "../ids.js";
import {
  LeadershipTransferFailedError,
  LeadershipTransferRefusedError,
  TimeoutError,
} from "./errors.js";
import type { Scheduler, TimerHandle } from "./scheduler.js";

type Pending = {
  readonly to: NodeId;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: TimerHandle | undefined;
  /** The term the leader started the transfer in, once the core said so. */
  startedTerm: Term | null;
};

/** The core's notices about a leadership transfer, which settle `transferLeadership`. */
export type TransferNotice = Extract<
  Effect,
  { type: "leadershipTransferStarted" | "leadershipTransferRefused" | "leadershipTransferAborted" }
>;

/**
 * The pending `transferLeadership` promise of one node (at most one at a time), settled by the
 * core's transfer notices and by the leader the node learns of afterwards.
 */
export class TransferWaiter {
  readonly #scheduler: Scheduler;
  #pending: Pending | null = null;

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  /** Whether a transfer is waiting for its outcome. */
  get busy(): boolean {
    return this.#pending !== null;
  }

  /** Registers the transfer to `to`; the caller checked `busy` first. */
  create(to: NodeId, timeoutMs: number | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : this.#scheduler.setTimeout(() => this.reject(new TimeoutError(timeoutMs)), timeoutMs);
      this.#pending = { to, resolve, reject, timer, startedTerm: null };
    });
  }

  /** A transfer notice from the core. */
  notice(notice: TransferNotice): void {
    const pending = this.#pending;
    if (pending === null || pending.to !== notice.to) return;
    switch (notice.type) {
      case "leadershipTransferStarted":
        pending.startedTerm = notice.term;
        return;
      case "leadershipTransferRefused": {
        const error = new LeadershipTransferRefusedError(notice.to, notice.reason, notice.leader);
        // Settled in a later task, like a refused proposal (notifier.ts says why).
        this.#scheduler.setTimeout(() => this.#settle(pending, error), 0);
        return;
      }
      case "leadershipTransferAborted":
        this.#settle(pending, new LeadershipTransferFailedError(notice.to, notice.reason, null));
        return;
      default: {
        const never: never = notice;
        throw new TypeError(`unknown transfer notice ${JSON.stringify(never)}`);
      }
    }
  }

  /** The node learnt who leads `term` (after the turn's notices). */
  leaderKnown(term: Term, leader: NodeId | null): void {
    const pending = this.#pending;
    if (pending === null || pending.startedTerm === null) return;
    if (leader === null || term <= pending.startedTerm) return;
    if (leader === pending.to) this.#settle(pending, null);
    else
      this.#settle(pending, new LeadershipTransferFailedError(pending.to, "anotherLeader", leader));
  }

  /** Rejects the transfer waiting, if any (the node stops or fails). */
  reject(error: Error): void {
    if (this.#pending !== null) this.#settle(this.#pending, error);
  }

  #settle(pending: Pending, error: Error | null): void {
    if (this.#pending !== pending) return;
    this.#pending = null;
    if (pending.timer !== undefined) this.#scheduler.clearTimeout(pending.timer);
    if (error === null) pending.resolve();
    else pending.reject(error);
  }
}
