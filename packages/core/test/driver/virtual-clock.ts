// A Scheduler on virtual time, for driver tests: timers fire only when the test advances the
// clock, in (time, creation) order, and all promise work settles between two timers. Tests then
// assert on behaviour at chosen virtual instants and never depend on real time.

import { setImmediate } from "node:timers";
import type { Scheduler } from "../../src/index.js";

type Timer = { readonly atMs: number; readonly seq: number; readonly run: () => void };

export class VirtualClock implements Scheduler {
  nowMs = 0;
  #timers = new Set<Timer>();
  #seq = 0;

  setTimeout(callback: () => void, delayMs: number): unknown {
    this.#seq += 1;
    const timer: Timer = { atMs: this.nowMs + delayMs, seq: this.#seq, run: callback };
    this.#timers.add(timer);
    return timer;
  }

  /** Timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as Timer);
  }

  queueMicrotask(callback: () => void): void {
    queueMicrotask(callback);
  }

  now(): number {
    return this.nowMs;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling promises after each. */
  async advance(ms: number): Promise<void> {
    const untilMs = this.nowMs + ms;
    for (;;) {
      await settle();
      const next = this.#earliest();
      if (next === undefined || next.atMs > untilMs) break;
      this.#timers.delete(next);
      this.nowMs = next.atMs;
      next.run();
    }
    this.nowMs = untilMs;
    await settle();
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers) {
      if (
        best === undefined ||
        timer.atMs < best.atMs ||
        (timer.atMs === best.atMs && timer.seq < best.seq)
      ) {
        best = timer;
      }
    }
    return best;
  }
}

/** Resolves once every microtask queued so far (and those they queue) has run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
