// Pending linearizable reads (thesis §6.4) and the rule that serves each: the core says a read is
// `readReady` at an index once its node may answer it (a quorum confirmed the leader after the
// read arrived, or the lease held); it is served only once the state machine has applied up to
// that index, since the state before it may lack writes acknowledged before the read began (§6.4
// step 4). Promises, timeouts and exactly-once settling are the ProposalRegistry's; reads have no
// log position, so they are settled by id.

import type { Index } from "../ids.js";
import { ProposalRegistry } from "./proposals.js";
import type { Scheduler } from "./scheduler.js";

/** Pending linearizable reads: each served once applied reaches its read index, or rejected. */
export class ReadRegistry {
  readonly #pending: ProposalRegistry<void>;
  /** Reads the core declared ready, waiting for the state machine to apply up to their index. */
  #waiting: { readonly id: string; readonly index: number }[] = [];

  constructor(scheduler: Scheduler) {
    this.#pending = new ProposalRegistry<void>(scheduler);
  }

  /** Reads not yet settled. */
  get size(): number {
    return this.#pending.size;
  }

  /** Registers a read; its promise settles exactly once (served, rejected or timed out). */
  create(timeoutMs: number | undefined): { id: string; promise: Promise<void> } {
    return this.#pending.create(timeoutMs);
  }

  /** The core declared read `id` safe once applied reaches `index`; `applied` is where it is. */
  ready(id: string, index: Index, applied: Index): void {
    if (index <= applied) this.#pending.resolve(id, undefined);
    else this.#waiting.push({ id, index });
  }

  /** The state machine applied up to `applied`: serve the reads waiting for it. */
  applied(applied: Index): void {
    if (this.#waiting.length === 0) return;
    const still: { readonly id: string; readonly index: number }[] = [];
    for (const read of this.#waiting) {
      if (read.index <= applied) this.#pending.resolve(read.id, undefined);
      else still.push(read);
    }
    this.#waiting = still;
  }

  /** Rejects read `id` with `error` if it is still pending. */
  reject(id: string, error: Error): void {
    this.#pending.reject(id, error);
  }

  /** Rejects every pending read, each with its own error from `makeError`. */
  rejectAll(makeError: () => Error): void {
    this.#waiting = [];
    this.#pending.rejectAll(makeError);
  }
}
