// How much real time a tick stands for. The core counts a leader's lease in ticks (read-index.ts
// rule 5), but timers fire late under load and not at all while the process is paused (SIGSTOP, a
// long GC pause, a suspended VM). Counted one per firing, such ticks stretch the lease past the
// real time it is safe for: a leader paused past its lease would wake still trusting it and serve
// a lease read while another leader commits. So every tick carries the whole intervals of real
// time since the last one, and a lease read that finds the timer overdue ticks first.

import type { Event } from "../event.js";
import type { Scheduler } from "./scheduler.js";

/**
 * The driver's tick counter on real time: each tick event carries the whole tick intervals since
 * the last one (`elapsed`), and `overdue` gives the catch-up tick a lease read must go behind.
 */
export class TickClock {
  readonly #now: (() => number) | undefined;
  readonly #tickMs: number;
  /** Real time counted so far, in whole ticks; may run ahead of the clock, never behind. */
  #countedToMs: number | undefined;

  constructor(scheduler: Scheduler, tickMs: number) {
    this.#now = scheduler.now?.bind(scheduler);
    this.#tickMs = tickMs;
  }

  /** The node starts its timers: real time counts from here. */
  start(): void {
    this.#countedToMs = this.#now?.();
  }

  /** The tick for a timer firing: at least one interval, more if the timer fired late. */
  tick(): Event & { type: "tick" } {
    const elapsed = Math.max(1, this.#wholeTicksBehind());
    return this.#advance(elapsed);
  }

  /**
   * A catch-up tick when more than one interval passed since the last tick (the timer is
   * overdue: the process was paused), else null. A paused process may read its sockets before
   * its overdue timers fire, so a lease read asks for this first.
   *
   * One interval behind is left to the timer due now; that is within the lease's margin. The
   * leader serves a lease read while at most leaseTicks − 1 ticks were counted since its round
   * (read-index.ts), and its count lags real time by under two intervals at the read, so the lease
   * ends within leaseTicks + 1 = electionTimeoutTicks − 1 − leaseClockDriftTicks intervals of
   * the round; a voter that heard the round refuses votes for at least electionTimeoutTicks − 1
   * intervals after it (its first tick may come at once), less what the drift bound covers.
   */
  overdue(): (Event & { type: "tick" }) | null {
    const behind = this.#wholeTicksBehind();
    return behind >= 2 ? this.#advance(behind) : null;
  }

  #wholeTicksBehind(): number {
    const now = this.#now?.();
    if (now === undefined || this.#countedToMs === undefined) return 1;
    return Math.floor((now - this.#countedToMs) / this.#tickMs);
  }

  #advance(elapsed: number): Event & { type: "tick" } {
    if (this.#countedToMs !== undefined) this.#countedToMs += elapsed * this.#tickMs;
    return elapsed === 1 ? { type: "tick" } : { type: "tick", elapsed };
  }
}
