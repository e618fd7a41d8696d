import type { Event, Scheduler } from "@flotilla/core";
import { TickClock } from "@flotilla/core/runtime";
import type { Prng } from "@flotilla/transport-memory";

// A simulated server's process time, as createNode's host gives it: a tick timer that fires every
// period of the node's own clock, counted by the driver's TickClock (tick-clock.ts), and the
// process pauses a real server meets (a long GC pause, SIGSTOP, a VM descheduled). While paused,
// the process neither ticks nor handles anything: messages, client requests and disk completions
// wait, as in its sockets and the kernel, and its overdue tick timer fires only on waking, where
// TickClock counts the whole time that passed (the lease of a leader paused past it has run out).
// A clock-rate fault makes the clock run at another rate for a while; the node's tick period
// changes at its next tick, where a new TickClock starts counting, so no tick is counted twice.

/** One paused process: what waits for it to wake, and whether its tick timer came due. */
type Pause = { readonly held: (() => void)[]; timerDue: boolean };

export class NodeClock {
  /** Virtual ms per tick at the rate drawn for the node (its skew). */
  readonly drawnPeriodMs: number;
  readonly #scheduler: Scheduler;
  #periodMs: number;
  /** A rate fault's period (or the drawn one back), taking effect at the next tick. */
  #nextPeriodMs: number | null = null;
  /** Counts this life's ticks; null until its first tick (the timer starts at a random phase). */
  #tickClock: TickClock | null = null;
  #pause: Pause | null = null;

  constructor(nowMs: () => number, scheduler: Scheduler, drawnPeriodMs: number) {
    this.#scheduler = { ...scheduler, now: nowMs };
    this.drawnPeriodMs = drawnPeriodMs;
    this.#periodMs = drawnPeriodMs;
  }

  /** Virtual ms per tick now. */
  get periodMs(): number {
    return this.#periodMs;
  }

  get paused(): boolean {
    return this.#pause !== null;
  }

  /** A new life of the process (start, restart) or none (crash): nothing waits, nothing counted. */
  reset(): void {
    this.#tickClock = null;
    this.#pause = null;
  }

  /** The clock runs at `periodMs` virtual ms per tick from the next tick on. */
  setPeriod(periodMs: number): void {
    this.#nextPeriodMs = periodMs;
  }

  /** The tick timer fired: the event to step (every tick interval since the last one). */
  tick(): Event & { type: "tick" } {
    const first = this.#tickClock === null;
    const event = this.#tickClock?.tick() ?? { type: "tick" };
    if (first || this.#nextPeriodMs !== null) {
      this.#periodMs = this.#nextPeriodMs ?? this.#periodMs;
      this.#nextPeriodMs = null;
      this.#tickClock = new TickClock(this.#scheduler, this.#periodMs);
      this.#tickClock.start();
    }
    return event;
  }

  /** createNode's lease read goes first through this: the overdue tick, if the timer is late. */
  overdue(): (Event & { type: "tick" }) | null {
    return this.#tickClock?.overdue() ?? null;
  }

  /** The process stops: from now on `hold` keeps what arrives, until `wake`. */
  pause(): void {
    this.#pause ??= { held: [], timerDue: false };
  }

  /** While paused: keeps `input` for the wake-up and returns true; else false (handle it now). */
  hold(input: () => void): boolean {
    if (this.#pause === null) return false;
    this.#pause.held.push(input);
    return true;
  }

  /** While paused: the tick timer came due, and fires on waking; returns whether paused. */
  holdTimer(): boolean {
    if (this.#pause === null) return false;
    this.#pause.timerDue = true;
    return true;
  }

  /** Inputs waiting for the process to wake. */
  get heldCount(): number {
    return this.#pause?.held.length ?? 0;
  }

  /**
   * The process runs again: what waited is handled in arrival order, and the overdue tick timer
   * fires at a place drawn from `prng` among it (an event loop serves timers and sockets in
   * either order). The replay stops once `alive()` is false (the node crashed meanwhile).
   */
  wake(prng: Prng, fireTimer: () => void, alive: () => boolean): void {
    const pause = this.#pause;
    this.#pause = null;
    if (pause === null) return;
    const { held, timerDue } = pause;
    const timerAt = timerDue ? prng.int(held.length + 1) : -1;
    for (let i = 0; i <= held.length && alive(); i++) {
      if (i === timerAt) fireTimer();
      if (alive()) held[i]?.();
    }
  }
}
