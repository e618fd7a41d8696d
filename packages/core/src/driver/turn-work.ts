// The kinds of effect a driver turn handles, and what a turn reports: the notices, outcomes and
// snapshots the shell tells the application about, in the order the core produced them.

import type { Effect, PersistEffect } from "../effect.js";
import type { Membership, Snapshot } from "../entry.js";
import type { Index, Term } from "../ids.js";
import { noItems } from "../internal/lists.js";
import type { StepOutput } from "./reducer.js";

export type ApplyEffect = Extract<Effect, { type: "apply" }>;
export type RestoreEffect = Extract<Effect, { type: "restore" }>;
/** Snapshot chunks to read (leader) or store (follower). */
export type SnapshotIoEffect = Extract<
  Effect,
  { type: "readSnapshotChunk" } | { type: "writeSnapshotChunk" }
>;
/** Effects that only inform: told once the writes before them are durable (held-work.ts). */
export type Notice = Exclude<
  Effect,
  PersistEffect | ApplyEffect | RestoreEffect | SnapshotIoEffect
>;

/** What applying produced, in order, for settling proposals at the end of the turn. */
export type Outcome<Result> =
  | {
      readonly kind: "applied";
      readonly index: Index;
      readonly term: Term;
      readonly isCommand: boolean;
      readonly result: Result | undefined;
      /** The configuration a membership entry holds (undefined for other entries). */
      readonly membership: Membership | undefined;
    }
  | { readonly kind: "restored"; readonly index: Index; readonly term: Term };

/** A snapshot taken here or installed from the leader during a turn. */
export type SnapshotNote = {
  readonly index: Index;
  readonly term: Term;
  readonly origin: "taken" | "installed";
};

/** What most turns report of a kind: nothing (shared, so that such a turn builds no array). */
const none: readonly never[] = noItems;

/**
 * What one turn did that the shell reports to the application: notices, outcomes, snapshots.
 * Most turns have none of them, so each list is built on its first item (issue #15).
 */
export class TurnWork<Result> {
  /** The notices whose writes are durable, in order: set once, at the end of the turn. */
  notices: readonly Notice[] = none;
  #outcomes: Outcome<Result>[] | null = null;
  #snapshots: SnapshotNote[] | null = null;

  /** What applying produced, in order. */
  get outcomes(): readonly Outcome<Result>[] {
    return this.#outcomes ?? none;
  }

  /** The snapshots taken or installed. */
  get snapshots(): readonly SnapshotNote[] {
    return this.#snapshots ?? none;
  }

  /** What applying an entry (or restoring a snapshot) produced. */
  addOutcome(outcome: Outcome<Result>): void {
    if (this.#outcomes === null) this.#outcomes = [outcome];
    else this.#outcomes.push(outcome);
  }

  /** A snapshot taken here or installed from the leader. */
  addSnapshot(snapshot: SnapshotNote): void {
    if (this.#snapshots === null) this.#snapshots = [snapshot];
    else this.#snapshots.push(snapshot);
  }

  /** A snapshot from the leader was installed in the state machine. */
  restored(snapshot: Snapshot): void {
    this.addOutcome({ kind: "restored", index: snapshot.index, term: snapshot.term });
    this.addSnapshot({ index: snapshot.index, term: snapshot.term, origin: "installed" });
  }
}

/** What a finished turn leaves for the shell to tell the application. */
export type TurnReport<Result> = {
  readonly work: TurnWork<Result>;
  readonly appliedIndex: Index;
};

/** The snapshot a `snapshot` event's step put in force (persisted), or null if it changed nothing. */
export function snapshotInForce(output: StepOutput<unknown>): Snapshot | null {
  for (const effect of output.effects) {
    if (effect.type === "persist" && effect.snapshot !== undefined) return effect.snapshot;
  }
  return null;
}
