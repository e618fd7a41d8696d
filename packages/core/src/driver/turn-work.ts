// What one driver turn has to do, sorted from the effects of its steps. The order inside each
// list is the order the core produced them in, which is the order the driver must honour.

import type { Effect, PersistEffect } from "../effect.js";
import type { Membership, Snapshot } from "../entry.js";
import type { Index, Term } from "../ids.js";

export type ApplyEffect = Extract<Effect, { type: "apply" }>;
export type RestoreEffect = Extract<Effect, { type: "restore" }>;
/** Snapshot chunks to read (leader) or store (follower). */
export type SnapshotIoEffect = Extract<
  Effect,
  { type: "readSnapshotChunk" } | { type: "writeSnapshotChunk" }
>;
/** Effects that only inform: handled after the turn's write and applies. */
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

/**
 * The effects of one turn sorted by what the runtime does with them, in the order the core produced
 * them.
 */
export class TurnWork<Result> {
  readonly persists: PersistEffect[] = [];
  /** Snapshot chunk reads and writes not yet started. */
  snapshotIo: SnapshotIoEffect[] = [];
  applies: (ApplyEffect | RestoreEffect)[] = [];
  readonly notices: Notice[] = [];
  readonly outcomes: Outcome<Result>[] = [];
  readonly snapshots: SnapshotNote[] = [];

  /** Files each effect under persists, applies or notices, keeping their order. */
  add(effects: readonly Effect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case "persist":
          this.persists.push(effect);
          break;
        case "apply":
        case "restore":
          this.applies.push(effect);
          break;
        case "readSnapshotChunk":
        case "writeSnapshotChunk":
          this.snapshotIo.push(effect);
          break;
        case "proposalAccepted":
        case "proposalRejected":
        case "roleChanged":
        case "membershipChanged":
        case "membershipChangeAccepted":
        case "membershipChangeRejected":
        case "peerLostLog":
        case "snapshotWanted":
        case "readReady":
        case "readRejected":
        case "leadershipTransferStarted":
        case "leadershipTransferRefused":
        case "leadershipTransferAborted":
        case "dropped":
          this.notices.push(effect);
          break;
        default: {
          const never: never = effect;
          throw new TypeError(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
  }

  /** A snapshot from the leader was installed in the state machine. */
  restored(snapshot: Snapshot): void {
    this.outcomes.push({ kind: "restored", index: snapshot.index, term: snapshot.term });
    this.snapshots.push({ index: snapshot.index, term: snapshot.term, origin: "installed" });
  }

  /** Takes the snapshot chunk reads and writes queued so far, leaving the queue empty. */
  takeSnapshotIo(): SnapshotIoEffect[] {
    const io = this.snapshotIo;
    this.snapshotIo = [];
    return io;
  }

  /** Takes the apply and restore effects queued so far, leaving the queue empty. */
  takeApplies(): (ApplyEffect | RestoreEffect)[] {
    const applies = this.applies;
    this.applies = [];
    return applies;
  }
}

/** What a finished turn leaves for the shell to tell the application. */
export type TurnReport<Result> = {
  readonly work: TurnWork<Result>;
  readonly appliedIndex: Index;
};
