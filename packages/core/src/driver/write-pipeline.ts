// Asynchronous writes (Raft thesis §10.2.1; etcd's raft does the same): the node keeps stepping
// events while its storage write is in flight, and the persist effects those steps ask for wait
// here, unwritten, until that write is durable; then they all go out as the next write (group
// commit). One write is in flight at a time, so writes complete in the order the core asked for
// them, and a persist effect is durable once the write that holds it is: not any earlier one.
// The runtime releases an effect's `then` messages (votes, acknowledgements) and tells the core
// `persisted` only then, so the leader counts itself towards a commit only once its own copy is
// on disk, while its AppendEntries (sent at once) let the followers write theirs meanwhile.
//
// Two counters order what waits on the disk without naming writes: `steppedCount` counts the
// persist effects the core asked for so far, `durableCount` those made durable. A notice or a
// restore recorded when `steppedCount` was n may go out once `durableCount` reaches n.

import type { PersistEffect } from "../effect.js";
import type { Index } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import { durableAfterWrite, stableWhileWriting } from "./early-apply.js";

/** A write handed to storage: its merged batch and the persist effects it holds. */
export type WriteInFlight = {
  readonly batch: PersistBatch;
  readonly effects: readonly PersistEffect[];
};

/** The persist effects not yet durable: unwritten ones, and the one write in flight. */
export class WritePipeline {
  #unwritten: PersistEffect[] = [];
  #inFlight: WriteInFlight | null = null;
  #completed = false;
  /** Persist effects the core asked for so far. */
  steppedCount = 0;
  /** Persist effects durable so far (a prefix of those stepped, in order). */
  durableCount = 0;
  /** The last log index on this node's disk (what the writes so far made durable). */
  durableIndex = 0 as Index;

  /** Starts over from what storage loaded (or forgets everything after a failure). */
  reset(durableIndex: Index): void {
    this.#unwritten = [];
    this.#inFlight = null;
    this.#completed = false;
    this.steppedCount = 0;
    this.durableCount = 0;
    this.durableIndex = durableIndex;
  }

  /** Persist effects a step asked for: they wait for the next write. */
  add(effect: PersistEffect): void {
    this.#unwritten.push(effect);
    this.steppedCount += 1;
  }

  /** The persist effects stepped since the write in flight started (or the last one). */
  get unwritten(): readonly PersistEffect[] {
    return this.#unwritten;
  }

  /** Whether a write is in flight (and not yet reported durable to a turn). */
  get writing(): boolean {
    return this.#inFlight !== null;
  }

  /** Whether the write in flight is durable and a turn has yet to take it. */
  get completed(): boolean {
    return this.#completed;
  }

  /** Whether a next write can start now: effects wait and no write is in flight. */
  get canStart(): boolean {
    return this.#inFlight === null && this.#unwritten.length > 0;
  }

  /** The shell: the write in flight is durable. */
  complete(): void {
    if (this.#inFlight === null) throw new RangeError("no write is in flight");
    this.#completed = true;
  }

  /** Takes the completed write: from now on its effects count as durable. */
  takeCompleted(): WriteInFlight {
    const done = this.#inFlight;
    if (done === null || !this.#completed) throw new RangeError("no write has completed");
    this.#inFlight = null;
    this.#completed = false;
    this.durableCount += done.effects.length;
    this.durableIndex = durableAfterWrite(this.durableIndex, done.batch);
    return done;
  }

  /**
   * Takes the unwritten effects to write them now (nothing may be in flight): all of them, or only
   * those stepped before the pipeline had counted `beforeCount` (what waits for them comes next).
   */
  takeUnwritten(beforeCount = Number.POSITIVE_INFINITY): PersistEffect[] {
    if (this.#inFlight !== null) throw new RangeError("a write is in flight");
    const count = Math.min(this.#unwritten.length, beforeCount - this.durableCount);
    return this.#unwritten.splice(0, Math.max(0, count));
  }

  /** `effects` (just taken) changed nothing on disk: durable at once, all earlier writes being so. */
  nothingToWrite(effects: readonly PersistEffect[]): void {
    this.durableCount += effects.length;
  }

  /** `effects` (just taken), merged into `batch`, are being written. */
  begin(batch: PersistBatch, effects: readonly PersistEffect[]): void {
    this.#inFlight = { batch, effects };
  }

  /**
   * The last log index whose entry is on this node's disk and stays there while the write in
   * flight and the unwritten effects are carried out (a truncation cuts below what it replaces).
   */
  stableIndex(): Index {
    let stable = this.durableIndex;
    if (this.#inFlight !== null) stable = stableWhileWriting(stable, this.#inFlight.batch);
    return this.#belowUnwrittenCuts(stable);
  }

  /**
   * The last log index whose entry is on this node's disk or in the write in flight, and that no
   * unwritten truncation cuts: what may be applied once committed (early-apply.ts).
   */
  writtenOrWritingIndex(): Index {
    const inFlight = this.#inFlight;
    const index =
      inFlight === null ? this.durableIndex : durableAfterWrite(this.durableIndex, inFlight.batch);
    return this.#belowUnwrittenCuts(index);
  }

  #belowUnwrittenCuts(index: Index): Index {
    let stable = index;
    const unwritten = this.#unwritten;
    for (let i = 0; i < unwritten.length; i++) {
      const truncateFrom = unwritten[i]!.truncateFrom;
      if (truncateFrom !== undefined && truncateFrom - 1 < stable) {
        stable = (truncateFrom - 1) as Index;
      }
    }
    return stable;
  }
}
