import type { Event, NodeId, Scheduler } from "@flotilla/core";
import { TickClock } from "@flotilla/core/runtime";
import type { Prng } from "@flotilla/transport-memory";
import type { NodeHost } from "./node-host.js";

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

/** What a node's clock needs of the node. */
export interface ClockNode {
  readonly id: NodeId;
  readonly index: number;
  /** The node's life: a timer of an older one is dropped. */
  incarnation(): number;
  /** Hands the tick to the node's runtime. */
  deliver(event: Event): void;
}

export class NodeClock {
  /** Virtual ms per tick at the rate drawn for the node (its skew). */
  readonly drawnPeriodMs: number;
  readonly #host: NodeHost;
  readonly #node: ClockNode;
  /** Where a paused process's overdue timer falls among what waited for it. */
  readonly #wakePrng: Prng;
  readonly #scheduler: Scheduler;
  #periodMs: number;
  /** A rate fault's period (or the drawn one back), taking effect at the next tick. */
  #nextPeriodMs: number | null = null;
  /** Counts this life's ticks; null until its first tick (the timer starts at a random phase). */
  #tickClock: TickClock | null = null;
  #pause: Pause | null = null;

  /** Draws the node's clock rate from `prng` within the run's skew bound. */
  constructor(host: NodeHost, node: ClockNode, prng: Prng, wakePrng: Prng) {
    const skew = host.options.clockSkew;
    const rate = 1 - skew + 2 * skew * prng.next();
    const drawnPeriodMs = Math.max(1, Math.round(host.options.tickMs * rate));
    this.#host = host;
    this.#node = node;
    this.#wakePrng = wakePrng;
    this.#scheduler = { ...host.scheduler, now: () => host.nowMs };
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

  /** The tick timer fired; a paused process's fires when it wakes. */
  timerFired(): void {
    if (this.#pause !== null) {
      this.#pause.timerDue = true;
      return;
    }
    this.#fireTimer();
  }

  /** Steps the tick and sets the timer for the next one. */
  #fireTimer(): void {
    const node = this.#node;
    node.deliver(this.#tick());
    this.#host.scheduleTick(node.index, this.#host.nowMs + this.#periodMs, node.incarnation());
  }

  /** The tick to step (every tick interval since the last one). */
  #tick(): Event & { type: "tick" } {
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

  /**
   * The process stops for `durationMs` (a GC pause, SIGSTOP, a descheduled VM): it neither ticks
   * nor handles anything meanwhile; `hold` keeps what arrives until it wakes.
   */
  pauseFor(durationMs: number): void {
    const host = this.#host;
    const node = this.#node;
    host.trace.fault(host.nowMs, `pause n${node.id} for ${durationMs} ms`);
    this.#pause ??= { held: [], timerDue: false };
    const incarnation = node.incarnation();
    host.scheduler.setTimeout(() => {
      if (incarnation === node.incarnation()) this.#wake();
    }, durationMs);
  }

  /** While paused: keeps `input` for the wake-up and returns true; else false (handle it now). */
  hold(input: () => void): boolean {
    if (this.#pause === null) return false;
    this.#pause.held.push(input);
    return true;
  }

  /**
   * The process runs again: what waited is handled in arrival order, and the overdue tick timer
   * fires at a place drawn from the wake PRNG among it (an event loop serves timers and sockets
   * in either order). The replay stops if the node crashes meanwhile.
   */
  #wake(): void {
    const host = this.#host;
    const node = this.#node;
    const pause = this.#pause;
    host.trace.fault(host.nowMs, `n${node.id} wakes (${pause?.held.length ?? 0} inputs waited)`);
    const incarnation = node.incarnation();
    const alive = () => incarnation === node.incarnation();
    this.#pause = null;
    if (pause === null) return;
    const { held, timerDue } = pause;
    const timerAt = timerDue ? this.#wakePrng.int(held.length + 1) : -1;
    for (let i = 0; i <= held.length && alive(); i++) {
      if (i === timerAt) this.#fireTimer();
      if (alive()) held[i]?.();
    }
  }
}
