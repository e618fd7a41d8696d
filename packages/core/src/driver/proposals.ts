// Pending proposals and the rule that settles each exactly once. A proposal is known by the id the
// driver gave it, then (once the leader appended it) by its log position (index, term). Since an
// (index, term) pair names one entry for ever (Log Matching, Raft paper §5.3), the entry applied
// at that index tells the outcome: same term → it is ours, resolve with the state machine's
// result; another term → another leader's entry took the index, ours is gone.
//
// A proposal must not wait for its own index to be applied, though: a leader cut off after
// appending it may lose the term while nobody ever writes that index again (the new leader's log
// may be shorter and the cluster idle). Once an entry of term t is applied at index i, no entry
// of a lower term after i can ever commit: every log holding such an entry has terms at most its
// own at i, yet every future leader holds (i, t) (Leader Completeness, §5.4). So applying (i, t)
// also settles every proposal at (j > i, u < t) as lost.
//
// Nor must a proposal wait for its timeout once its leader stepped down: nothing this node does
// can commit it any more, and its client should turn to the new leader now. An entry above the
// commit index this node knows may still commit under another leader (it may already sit in a
// majority of logs, Raft paper §5.4.2), so the outcome is unknown (SteppedDownError); an entry at
// or below it is committed and waits for its apply, which resolves it as usual.

import type { Index, NodeId, Term } from "../ids.js";
import {
  LeadershipLostError,
  OutcomeUnknownError,
  SteppedDownError,
  TimeoutError,
} from "./errors.js";
import type { Scheduler, TimerHandle } from "./scheduler.js";

type Pending<Result> = {
  readonly resolve: (result: Result) => void;
  readonly reject: (error: Error) => void;
  readonly deadline: Deadline | undefined;
  position: { readonly index: Index; readonly term: Term } | undefined;
};

/**
 * The proposals created in one job with one timeout share one timer: under load a whole burst of
 * proposals costs one timer instead of one each. They all started at the same instant as far as
 * host timers can tell (a job does not see time pass), so each still times out `timeoutMs` after
 * it was made.
 */
type Deadline = {
  readonly timeoutMs: number;
  readonly ids: Set<string>;
  readonly timer: TimerHandle;
};

/**
 * Pending proposals (or membership changes) by id: each settles exactly once, by its applied
 * entry, a refusal, its leader stepping down, its timeout or a stop.
 */
export class ProposalRegistry<Result> {
  readonly #scheduler: Scheduler;
  readonly #byId = new Map<string, Pending<Result>>();
  /** Accepted proposals by log index → id. Stale ids (timed out) are skipped when met. */
  readonly #byIndex = new Map<number, string>();
  /** Deadlines opened in the current job, by timeout: later proposals of the job join them. */
  readonly #openDeadlines = new Map<number, Deadline>();
  #nextId = 0;
  /**
   * No accepted, still pending proposal has a lower term than this (it may be lower than the true
   * minimum after settling, never higher): an applied entry of a higher term triggers a scan.
   */
  #lowestAcceptedTerm = Number.POSITIVE_INFINITY;

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Registers a new proposal; its promise settles exactly once, through this registry. */
  create(timeoutMs: number | undefined): { id: string; promise: Promise<Result> } {
    this.#nextId += 1;
    const id = String(this.#nextId);
    const deadline = timeoutMs === undefined ? undefined : this.#deadline(timeoutMs);
    deadline?.ids.add(id);
    const promise = new Promise<Result>((resolve, reject) => {
      this.#byId.set(id, { resolve, reject, deadline, position: undefined });
    });
    return { id, promise };
  }

  /** The deadline `timeoutMs` from now: the job's open one, or a new one with its own timer. */
  #deadline(timeoutMs: number): Deadline {
    const open = this.#openDeadlines.get(timeoutMs);
    if (open !== undefined) return open;
    const ids = new Set<string>();
    const timer = this.#scheduler.setTimeout(() => {
      for (const id of [...ids]) this.reject(id, new TimeoutError(timeoutMs));
    }, timeoutMs);
    const deadline: Deadline = { timeoutMs, ids, timer };
    if (this.#openDeadlines.size === 0) {
      this.#scheduler.queueMicrotask(() => this.#openDeadlines.clear());
    }
    this.#openDeadlines.set(timeoutMs, deadline);
    return deadline;
  }

  /** The leader appended proposal `id` at (index, term). */
  accepted(id: string, index: Index, term: Term): void {
    const pending = this.#byId.get(id);
    if (pending === undefined) return; // timed out meanwhile: the entry may commit, nobody waits
    const previous = this.#byIndex.get(index);
    // A newer leader (possibly this node again) reused the index: the older entry there is gone.
    if (previous !== undefined && previous !== id) this.#settleAt(index, term, undefined, false);
    pending.position = { index, term };
    this.#byIndex.set(index, id);
    if (term < this.#lowestAcceptedTerm) this.#lowestAcceptedTerm = term;
  }

  /** The entry at (index, term) was applied; `result` is the state machine's for a command. */
  applied(index: Index, term: Term, result: Result, isCommand: boolean): void {
    this.#settleAt(index, term, result, isCommand);
    if (term > this.#lowestAcceptedTerm) this.#settleOutrun(index, term);
  }

  /**
   * The entry at (index, term) was applied, but leave whatever waits at `index` pending (a joint
   * configuration whose change is only half done): settle only what it outran.
   */
  outrun(index: Index, term: Term): void {
    if (term > this.#lowestAcceptedTerm) this.#settleOutrun(index, term);
  }

  /** Rejects the proposal whose entry is at `index`, if one waits there. */
  rejectAt(index: Index, error: Error): void {
    const id = this.#byIndex.get(index);
    if (id !== undefined) this.reject(id, error);
  }

  /** Rejects the proposals after `index` whose term is below the applied entry's (see the top). */
  #settleOutrun(index: Index, term: Term): void {
    let lowest = Number.POSITIVE_INFINITY;
    for (const [at, id] of [...this.#byIndex]) {
      const position = this.#byId.get(id)?.position;
      if (position === undefined) continue;
      if (at > index && position.term < term) {
        this.reject(id, new LeadershipLostError(position.index, position.term));
      } else if (position.term < lowest) {
        lowest = position.term;
      }
    }
    this.#lowestAcceptedTerm = lowest;
  }

  /** A snapshot replaced the log up to `index`: proposals there will never see their entry. */
  restored(index: Index): void {
    for (const [at, id] of this.#byIndex) {
      if (at <= index) this.reject(id, new OutcomeUnknownError(at));
    }
  }

  /**
   * This node stopped leading `term` knowing entries up to `commitIndex` committed: every proposal
   * it appended in `term` or before, above that index, settles as SteppedDownError (see the top).
   */
  steppedDown(term: Term, commitIndex: Index, leader: NodeId | null): void {
    for (const [at, id] of [...this.#byIndex]) {
      const position = this.#byId.get(id)?.position;
      if (position === undefined || at <= commitIndex || position.term > term) continue;
      this.reject(id, new SteppedDownError(position.index, position.term, leader));
    }
  }

  /** Settles `id` with `result` directly (reads, which have no log position). */
  resolve(id: string, result: Result): void {
    const pending = this.#take(id);
    if (pending !== undefined) pending.resolve(result);
  }

  /** Rejects `id` with `error` if it is still pending. */
  reject(id: string, error: Error): void {
    const pending = this.#take(id);
    if (pending !== undefined) pending.reject(error);
  }

  /** Rejects every pending one, each with its own error from `makeError`. */
  rejectAll(makeError: () => Error): void {
    for (const id of [...this.#byId.keys()]) this.reject(id, makeError());
  }

  #settleAt(index: Index, term: Term, result: Result | undefined, isCommand: boolean): void {
    const id = this.#byIndex.get(index);
    if (id === undefined) return;
    const pending = this.#take(id);
    if (pending === undefined || pending.position === undefined) return;
    if (isCommand && pending.position.term === term) {
      pending.resolve(result as Result);
    } else {
      pending.reject(new LeadershipLostError(pending.position.index, pending.position.term));
    }
  }

  #take(id: string): Pending<Result> | undefined {
    const pending = this.#byId.get(id);
    if (pending === undefined) return undefined;
    this.#byId.delete(id);
    if (pending.position !== undefined && this.#byIndex.get(pending.position.index) === id) {
      this.#byIndex.delete(pending.position.index);
    }
    const deadline = pending.deadline;
    if (deadline !== undefined) {
      deadline.ids.delete(id);
      // The last one out stops the timer; a proposal later in the job then starts a new one.
      if (deadline.ids.size === 0) {
        this.#scheduler.clearTimeout(deadline.timer);
        if (this.#openDeadlines.get(deadline.timeoutMs) === deadline) {
          this.#openDeadlines.delete(deadline.timeoutMs);
        }
      }
    }
    return pending;
  }
}
