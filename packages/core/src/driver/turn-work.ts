// What one driver turn has to do, sorted from the effects of its steps. The order inside each
// list is the order the core produced them in, which is the order the driver must honour.

import type { Effect, PersistEffect } from "../effect.js";
import type { Index, Term } from "../ids.js";
import type { Message } from "../message.js";

export type ApplyEffect = Extract<Effect, { type: "apply" }>;
export type RestoreEffect = Extract<Effect, { type: "restore" }>;
/** Effects that only inform: handled after the turn's write and applies. */
export type Notice = Exclude<Effect, PersistEffect | ApplyEffect | RestoreEffect>;

/** What applying produced, in order, for settling proposals at the end of the turn. */
export type Outcome<Result> =
  | {
      readonly kind: "applied";
      readonly index: Index;
      readonly term: Term;
      readonly isCommand: boolean;
      readonly result: Result | undefined;
    }
  | { readonly kind: "restored"; readonly index: Index };

export type SnapshotNote = {
  readonly index: Index;
  readonly term: Term;
  readonly origin: "taken" | "installed";
};

export class TurnWork<Result> {
  readonly persists: PersistEffect[] = [];
  /** Replies produced after the turn's first persist effect: sent once the write is durable. */
  readonly heldForWrite: Message[] = [];
  applies: (ApplyEffect | RestoreEffect)[] = [];
  readonly notices: Notice[] = [];
  readonly outcomes: Outcome<Result>[] = [];
  readonly snapshots: SnapshotNote[] = [];

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
        case "proposalAccepted":
        case "proposalRejected":
        case "roleChanged":
        case "membershipChanged":
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

  /** Takes the apply and restore effects queued so far, leaving the queue empty. */
  takeApplies(): (ApplyEffect | RestoreEffect)[] {
    const applies = this.applies;
    this.applies = [];
    return applies;
  }
}
