import type { Effect, Event, Message, NodeId } from "@flotilla/core";
import type { MembershipChecker } from "./membership-checker.js";
import type { SafetyChecker } from "./safety-checker.js";
import type { SpinChecker } from "./spin-checker.js";
import type { Trace } from "./trace.js";
import type { TransferChecker } from "./transfer-checker.js";

/** A node as the checkers name it. */
export type SteppedNode = { readonly id: NodeId; readonly index: number };

/**
 * Shows every step of every node's core to the checkers, then to the trace's fingerprint. The
 * checkers only observe: a violation is recorded on the safety checker and stops the run.
 */
export class StepObserver {
  /** Calls of the reducer's `step`. */
  coreSteps = 0;
  /** peerLostLog reports: a leader found a follower without entries it had acknowledged. */
  lostLogReports = 0;
  readonly #checker: SafetyChecker;
  readonly #spin: SpinChecker;
  readonly #transfers: TransferChecker;
  readonly #membership: MembershipChecker;
  readonly #trace: Trace;

  constructor(
    checker: SafetyChecker,
    spin: SpinChecker,
    transfers: TransferChecker,
    membership: MembershipChecker,
    trace: Trace,
  ) {
    this.#checker = checker;
    this.#spin = spin;
    this.#transfers = transfers;
    this.#membership = membership;
    this.#trace = trace;
  }

  /** One step of `node`'s core at `nowMs`: checkers first, then the fingerprint. */
  stepped(
    nowMs: number,
    node: SteppedNode,
    event: Event,
    effects: readonly Effect[],
    messages: readonly Message[],
  ): void {
    this.coreSteps++;
    const trace = this.#trace;
    trace.step(nowMs, node.id, node.index, event);
    this.#checker.observe(node.index, effects);
    const spin = this.#spin.stepped(node.id, event, messages, nowMs);
    if (spin !== null) this.#checker.report("spin", node.index, spin);
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type !== "peerLostLog") continue;
      // The loud report the issue asks for: who lost what, as createNode's peerLostLog event says.
      this.lostLogReports++;
      trace.report(
        nowMs,
        `n${node.id} (leader) found n${effect.peer} without entries it acknowledged: acknowledged up to ${effect.match}, its log ends at ${effect.logEnd}`,
      );
    }
    this.#transfers.observe(node.index, event, messages, effects);
    this.#membership.observe(node.index, event, effects);
    trace.effects(effects);
  }
}
