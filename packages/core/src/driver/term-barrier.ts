// A node acts in a term only once that term is on its disk (Raft paper Figure 2: currentTerm and
// votedFor reach stable storage before the node acts on them). Asynchronous writes (thesis
// §10.2.1, write-pipeline.ts) overlap only the leader's LOG write with its AppendEntries; the term
// must still come first. A single voter's own vote elects it in the step that starts the
// election. Without this barrier it went on stepping proposals as leader of a term a crash could
// still lose; the crash took the term with those entries, the node came back in the term before,
// won the same term again and put other entries at the same indexes of that term (simulator seed
// 2652 with --read-share 0.5: two voters, one removed, then a crash that lost the unsynced
// write). A candidate of several voters sends its RequestVotes before its term is durable when
// the log they claim is (runtime-rules.ts, `requestsVoteBeforeWrite`), so it must not count the
// grants before then either: a crash would lose its term and self-vote, and it could vote for
// another candidate of the same term after it had won it (the simulator's electionSafety check).
// So once a node becomes candidate or leader of a term not yet on its disk, the runtime steps no
// more events and holds every message but those RequestVotes until the write holding that term
// is durable, as synchronous writes did. Followers act in a term only through replies, which
// wait for their write already (a persist effect's `then`): they step on.

import type { Term } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import type { Message } from "../message.js";
import type { RuntimeRules } from "./runtime-rules.js";

/**
 * The last term this node stood or led in, the term its disk holds, and what waits for them to
 * meet.
 */
export class TermBarrier {
  readonly #actsInTerm: RuntimeRules["actsInTerm"];
  #acting = 0 as Term;
  #durable = 0 as Term;
  #held: Message[] = [];

  constructor(actsInTerm: RuntimeRules["actsInTerm"]) {
    this.#actsInTerm = actsInTerm;
  }

  /** Starts over from the term storage loaded. */
  reset(term: Term): void {
    this.#acting = term;
    this.#durable = term;
    this.#held = [];
  }

  /** Forgets the held messages (the node stops or failed): they promised a term never written. */
  dropHeld(): void {
    this.#held = [];
  }

  /** A step made this node candidate or leader of `term` (its `roleChanged` effect). */
  actsIn(term: Term): void {
    if (term > this.#acting) this.#acting = term;
  }

  /** `batch` is durable: its hard state's term is on disk. */
  written(batch: PersistBatch): void {
    const term = batch.hardState?.term;
    if (term !== undefined && term > this.#durable) this.#durable = term;
  }

  /** Whether the node may step events and send now: the term it stands or leads in (if any) is on its disk. */
  get open(): boolean {
    return this.#actsInTerm(this.#acting, this.#durable);
  }

  /** Messages a step asked for while the term it acts in was not durable: they leave once it is. */
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
