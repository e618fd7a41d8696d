// Lets a long run of applies give the event loop a turn. The driver applies a batch of committed
// entries in one synchronous loop, awaiting the state machine only when it returns a promise
// (core's apply-commands.ts). A batch is a few entries in steady state, but thousands when a
// follower catches up (the entries after an installed snapshot): at 3-5 µs each, tens of
// milliseconds in which the server answers nothing and its timers wait (bench growth's catch-up,
// issue 11: turns of 54-64 ms of CPU, docs/benchmarks.md). So once a run of applies within one
// turn of the event loop reaches `runEntries`, its last result is handed back as a promise settled
// after the loop has turned; the driver goes on with the batch from there, in order, while
// timers, requests and messages get their turn. A count, not a clock: a batch below it never
// yields, whatever the machine's load.

import { setImmediate as afterTheLoopTurns } from "node:timers/promises";

/**
 * A run of applies yields after this many entries. 1,024 were meant as 3-5 ms of 1 KiB puts, but
 * the restarted follower's longest turns in bench growth's catch-up still held 37-56 ms of CPU on
 * this machine (each put hashes its record, copies it into a slab and descends the B+ tree, and the
 * turn also appends the same entries to the log); with 256, 15-31 ms (session 14).
 */
export const runEntriesDefault = 256;
/**
 * Runs are told apart by a turn of the event loop, noticed by an immediate scheduled once a run
 * has this many entries: fewer are counted on into the next batch, so a steady stream of small
 * batches costs no scheduling at all, and a run still yields only past `runEntries - 64`.
 */
const runNoticedAt = 64;

export class ApplyPacer {
  readonly #runEntries: number;
  /** Entries applied in the current run. */
  #entries = 0;
  readonly #endRun = () => {
    this.#entries = 0;
  };

  constructor(options: { readonly runEntries?: number } = {}) {
    this.#runEntries = Math.max(options.runEntries ?? runEntriesDefault, runNoticedAt + 1);
  }

  /**
   * `output` of an apply just made, or, once the run of applies it ends has reached its count, a
   * promise of it settled after the event loop has turned.
   */
  pace<T>(output: T): T | Promise<T> {
    this.#entries += 1;
    if (this.#entries === runNoticedAt) setImmediate(this.#endRun);
    if (this.#entries < this.#runEntries) return output;
    this.#entries = 0; // the rest of the batch, after the turn, is a run of its own
    return afterTheLoopTurns(output);
  }
}
