// The driver's side of the state machine: applies committed entries exactly once and in order,
// installs snapshots, and takes them when the snapshot policy says so. It only records outcomes;
// proposals are settled at the end of the turn, once everything in it is done.

import type { Entry, Snapshot } from "../entry.js";
import { InvalidEventError } from "../errors.js";
import type { Index, Term } from "../ids.js";
import type { StateMachine } from "../interfaces.js";
import { StateMachineFailedError } from "./errors.js";
import type { TurnWork } from "./turn-work.js";

/** When to snapshot: after this many applied entries, or bytes of applied commands (either). */
export type SnapshotPolicy = {
  readonly everyEntries: number | undefined;
  readonly everyBytes: number | undefined;
};

export class Applier<Result> {
  readonly #stateMachine: StateMachine<Result>;
  readonly #policy: SnapshotPolicy;
  appliedIndex = 0 as Index;
  appliedTerm = 0 as Term;
  snapshotIndex = 0 as Index;
  /** Bytes of commands applied since the last snapshot (taken, installed or loaded). */
  #bytesSinceSnapshot = 0;

  constructor(stateMachine: StateMachine<Result>, policy: SnapshotPolicy) {
    this.#stateMachine = stateMachine;
    this.#policy = policy;
  }

  /** Loads the persisted snapshot at start: the state machine begins where it left off. */
  async load(snapshot: Snapshot): Promise<void> {
    await this.#restoreData(snapshot);
  }

  async apply(entries: readonly Entry[], work: TurnWork<Result>): Promise<void> {
    for (const entry of entries) {
      // Each entry exactly once, in order: anything else would make replicas diverge.
      if (entry.index !== this.appliedIndex + 1) {
        throw new InvalidEventError(
          `apply out of order: entry ${entry.index} after applied index ${this.appliedIndex}`,
        );
      }
      let result: Result | undefined;
      // Noop and membership entries are the core's business; they count as applied all the same.
      if (entry.kind === "command") {
        try {
          const returned = this.#stateMachine.apply(entry.data, entry.index);
          result = isPromiseLike(returned) ? await returned : returned;
        } catch (error) {
          throw new StateMachineFailedError("apply", error);
        }
      }
      this.appliedIndex = entry.index;
      this.appliedTerm = entry.term;
      if (entry.kind === "command") this.#bytesSinceSnapshot += entry.data.byteLength;
      const isCommand = entry.kind === "command";
      work.outcomes.push({
        kind: "applied",
        index: entry.index,
        term: entry.term,
        isCommand,
        result,
      });
    }
  }

  /** Installs a snapshot received from the leader. */
  async restore(snapshot: Snapshot, work: TurnWork<Result>): Promise<void> {
    await this.#restoreData(snapshot);
    work.outcomes.push({ kind: "restored", index: snapshot.index });
    work.snapshots.push({ index: snapshot.index, term: snapshot.term, origin: "installed" });
  }

  /**
   * Snapshot policy: once `everyEntries` entries or `everyBytes` bytes of commands were applied
   * since the last snapshot, serialise the state machine (exactly as of `appliedIndex`) for the
   * core to compact the log. The data handed to the core is what the state machine returned.
   */
  async snapshotIfDue(work: TurnWork<Result>): Promise<{ index: Index; data: Uint8Array } | null> {
    const { everyEntries, everyBytes } = this.#policy;
    const byEntries =
      everyEntries !== undefined && this.appliedIndex - this.snapshotIndex >= everyEntries;
    const byBytes = everyBytes !== undefined && this.#bytesSinceSnapshot >= everyBytes;
    if (!byEntries && !byBytes) return null;
    if (this.appliedIndex <= this.snapshotIndex) return null;
    let data: Uint8Array;
    try {
      data = await this.#stateMachine.snapshot();
    } catch (error) {
      throw new StateMachineFailedError("snapshot", error);
    }
    this.snapshotIndex = this.appliedIndex;
    this.#bytesSinceSnapshot = 0;
    work.snapshots.push({ index: this.appliedIndex, term: this.appliedTerm, origin: "taken" });
    return { index: this.appliedIndex, data };
  }

  async #restoreData(snapshot: Snapshot): Promise<void> {
    try {
      await this.#stateMachine.restore(snapshot.data);
    } catch (error) {
      throw new StateMachineFailedError("restore", error);
    }
    this.appliedIndex = snapshot.index;
    this.appliedTerm = snapshot.term;
    this.snapshotIndex = snapshot.index;
    this.#bytesSinceSnapshot = 0;
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
