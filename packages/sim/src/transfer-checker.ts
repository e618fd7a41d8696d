import type { Effect, Event, Message } from "@flotilla/core";
import type { SafetyChecker } from "./safety-checker.js";

// The leadership-transfer rules (Raft thesis §3.10), checked by observation like the safety
// properties. Neither rule protects data (the vote's up-to-date check keeps a premature candidate
// from winning, and entries a leader appends while handing over are merely uncommitted), so a
// broken rule would never show up as a safety violation: a transfer would just fail, or take
// leadership from a node holding entries the new leader lacks. Hence a checker of its own:
// - TimeoutNow goes only to a target that acknowledged the sender's whole log in the sender's
//   term (the checker records each leader's acknowledged match per follower from the
//   AppendEntries and InstallSnapshot answers it receives; an ack of an earlier term is one the
//   leader ignores too);
// - a leader accepts no proposal between the start of a transfer and its end (aborted, or the
//   leader stepped down).

type LeaderView = {
  /** The term this node leads, or 0. */
  term: number;
  /** Highest index each follower acknowledged to this leader in `term`. */
  readonly acked: Map<string, number>;
  /** A transfer under way (started and not ended). */
  transferring: boolean;
};

export class TransferChecker {
  readonly #safety: SafetyChecker;
  readonly #views: LeaderView[];

  constructor(safety: SafetyChecker) {
    this.#safety = safety;
    this.#views = safety.ids.map(() => ({ term: 0, acked: new Map(), transferring: false }));
  }

  /** One step of `node`: the event it took and everything it emitted (after the safety checks). */
  observe(
    node: number,
    event: Event,
    messages: readonly Message[],
    effects: readonly Effect[],
  ): void {
    const view = this.#view(node);
    // Indexed loops here and in the other checkers' per-step paths: a for-of builds an iterator
    // (and a result per item) until V8 optimizes the function, which a fresh playground worker
    // runs without for most of its first replay (issue #15).
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type !== "roleChanged") continue;
      const leads = effect.role === "leader";
      if (!leads || effect.term !== view.term) {
        view.acked.clear();
        view.transferring = false;
      }
      view.term = leads ? effect.term : 0;
    }
    if (view.term === 0) return;
    if (event.type === "receive") this.#answered(view, event.message);
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type === "leadershipTransferStarted") view.transferring = true;
      else if (effect.type === "leadershipTransferAborted") view.transferring = false;
      else if (effect.type === "proposalAccepted" && view.transferring) {
        this.#safety.report(
          "leadershipTransfer",
          node,
          `accepted proposal ${effect.id} at ${effect.index}/${effect.term} while handing leadership over`,
        );
      }
    }
    const lastIndex = this.#safety.mirror(node).lastIndex;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      if (message.type !== "timeoutNow") continue;
      const acked = view.acked.get(message.to) ?? 0;
      if (acked < lastIndex) {
        this.#safety.report(
          "leadershipTransfer",
          node,
          `sent TimeoutNow to ${message.to}, which acknowledged its log only up to ${acked} of ${lastIndex}`,
        );
      }
    }
  }

  #answered(view: LeaderView, message: Message): void {
    if (message.term !== view.term) return;
    let match: number | null = null;
    if (message.type === "appendEntriesResponse" && message.success) match = message.matchIndex;
    if (message.type === "installSnapshotResponse" && message.done) match = message.snapshotIndex;
    if (match !== null && match > (view.acked.get(message.from) ?? 0)) {
      view.acked.set(message.from, match);
    }
  }

  #view(node: number): LeaderView {
    const view = this.#views[node];
    if (view === undefined) throw new RangeError(`no node ${node}`);
    return view;
  }
}
