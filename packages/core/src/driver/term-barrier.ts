// A node acts in a term only once that term is on its disk (Raft paper Figure 2: currentTerm and
// votedFor reach stable storage before the node acts on them). Asynchronous writes (thesis
// §10.2.1, write-pipeline.ts) overlap only the leader's LOG write with its AppendEntries; the term
// must still come first. Votes and acknowledgements wait for their write anyway (a persist
// effect's `then`), and a candidate's RequestVote too, so a candidate of several voters wins only
// once its term is durable. A single voter does not: its own vote elects it in the step that
// starts the election. Without this barrier it went on stepping proposals as leader of a term a
// crash could still lose; the crash took the term with those entries, the node came back in the
// term before, won the same term again and put other entries at the same indexes of that term
// (simulator seed 2652 with --read-share 0.5: two voters, one removed, then a crash that lost the
// unsynced write). So once a node becomes leader of a term not yet on its disk, the runtime steps
// no more events and holds every message until the write holding that term is durable, as
// synchronous writes did. Followers and candidates act in a term only through replies and
// RequestVotes, which wait for their write already: they step on.

import type { Term } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import type { Message } from "../message.js";
import type { RuntimeRules } from "./runtime-rules.js";

/** The term this node last led, the term its disk holds, and what waits for them to meet. */
export class TermBarrier {
  readonly #actsInTerm: RuntimeRules["actsInTerm"];
  #led = 0 as Term;
  #durable = 0 as Term;
  #held: Message[] = [];

  constructor(actsInTerm: RuntimeRules["actsInTerm"]) {
    this.#actsInTerm = actsInTerm;
  }

  /** Starts over from the term storage loaded. */
  reset(term: Term): void {
    this.#led = term;
    this.#durable = term;
    this.#held = [];
  }

  /** Forgets the held messages (the node stops or failed): they promised a term never written. */
  dropHeld(): void {
    this.#held = [];
  }

  /** A step made this node leader of `term` (its `roleChanged` effect). */
  led(term: Term): void {
    if (term > this.#led) this.#led = term;
  }

  /** `batch` is durable: its hard state's term is on disk. */
  written(batch: PersistBatch): void {
    const term = batch.hardState?.term;
    if (term !== undefined && term > this.#durable) this.#durable = term;
  }

  /** Whether the node may step events and send now: the term it leads (if any) is on its disk. */
  get open(): boolean {
    return this.#actsInTerm(this.#led, this.#durable);
  }

  /** Messages a step asked for while the term it leads was not durable: they leave once it is. */
  hold(messages: readonly Message[]): void {
    for (const message of messages) this.#held.push(message);
  }

  /** Once open: the messages held so far, in the order they were stepped. */
  release(): Message[] {
    if (!this.open || this.#held.length === 0) return [];
    const held = this.#held;
    this.#held = [];
    return held;
  }
}
