// The runtime's record of the state machine: what it applied, exactly once and in order, and when
// the snapshot policy wants a snapshot. It never calls the state machine: the shell around the
// runtime does (createNode awaits the application's, the simulator runs its own), and reports back.

import type { Entry, Snapshot } from "../entry.js";
import { InvalidEventError } from "../errors.js";
import type { Index, Term } from "../ids.js";
import type { TurnWork } from "./turn-work.js";

/** When to snapshot: after this many applied entries, or bytes of applied commands (either). */
export type SnapshotPolicy = {
  readonly everyEntries: number | undefined;
  readonly everyBytes: number | undefined;
};

/**
 * What the state machine has applied (index, term, snapshot index) and when the snapshot policy
 * calls for a new snapshot; checks that applies arrive in log order.
 */
export class ApplyTracker<Result> {
  readonly #policy: SnapshotPolicy;
  appliedIndex = 0 as Index;
  appliedTerm = 0 as Term;
  snapshotIndex = 0 as Index;
  /** Bytes of commands applied since the last snapshot (taken, installed or loaded). */
  #bytesSinceSnapshot = 0;
  /** A snapshot was captured and its bytes are being stored: no other is taken meanwhile. */
  #storing = false;

  constructor(policy: SnapshotPolicy) {
    this.#policy = policy;
  }

  /**
   * Checks that `entries` continue the applied log: each entry exactly once, in order. Anything
   * else would make replicas diverge, so it is refused before the state machine sees any of it.
   */
  checkOrder(entries: readonly Entry[]): void {
    let expected = this.appliedIndex + 1;
    for (const entry of entries) {
      if (entry.index !== expected) {
        throw new InvalidEventError(
          `apply out of order: entry ${entry.index} after applied index ${expected - 1}`,
        );
      }
      expected++;
    }
  }

  /** The state machine applied `entries`; `results[i]` is its result for a command entry. */
  applied(
    entries: readonly Entry[],
    results: readonly (Result | undefined)[],
    work: TurnWork<Result>,
  ): void {
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry;
      const isCommand = entry.kind === "command";
      this.appliedIndex = entry.index;
      this.appliedTerm = entry.term;
      if (isCommand) this.#bytesSinceSnapshot += entry.data.byteLength;
      work.outcomes.push({
        kind: "applied",
        index: entry.index,
        term: entry.term,
        isCommand,
        result: results[i],
        membership: entry.kind === "membership" ? entry.membership : undefined,
      });
    }
  }

  /** The state machine holds `snapshot` now (loaded at start or installed from the leader). */
  restored(snapshot: Snapshot): void {
    this.appliedIndex = snapshot.index;
    this.appliedTerm = snapshot.term;
    this.snapshotIndex = snapshot.index;
    this.#bytesSinceSnapshot = 0;
  }

  /**
   * Snapshot policy: true once `everyEntries` entries or `everyBytes` bytes of commands were
   * applied since the last snapshot (and something was applied since).
   */
  snapshotDue(): boolean {
    const { everyEntries, everyBytes } = this.#policy;
    const byEntries =
      everyEntries !== undefined && this.appliedIndex - this.snapshotIndex >= everyEntries;
    const byBytes = everyBytes !== undefined && this.#bytesSinceSnapshot >= everyBytes;
    return (byEntries || byBytes) && this.appliedIndex > this.snapshotIndex && !this.#storing;
  }

  /** The state machine captured itself as of `appliedIndex`; its bytes are being stored. */
  snapshotTaken(): void {
    this.snapshotIndex = this.appliedIndex;
    this.#bytesSinceSnapshot = 0;
    this.#storing = true;
  }

  /**
   * The captured snapshot's bytes are durable and the core was told (`snapshot` event); `inForce`
   * is the snapshot it put in force, or null if it had a newer one already.
   */
  snapshotStored(inForce: Snapshot | null, work: TurnWork<Result>): void {
    this.#storing = false;
    if (inForce !== null) {
      work.snapshots.push({ index: inForce.index, term: inForce.term, origin: "taken" });
    }
  }
}
