// A Scheduler on virtual time for benches: timers fire in (time, creation) order when the bench
// steps the clock, and every promise settles between two timers. Work then takes no virtual time
// at all, so what a bench measures on it is the protocol's own waiting (network delays, ticks,
// waits for acknowledgements), free of the machine's speed and of other processes' load.
import { setImmediate } from "node:timers";
import type { Scheduler } from "@flotilla/core";

type Timer = { readonly atMs: number; readonly seq: number; readonly run: () => void };

export class VirtualClock implements Scheduler {
  #nowMs = 0;
  #timers = new Set<Timer>();
  #seq = 0;

  setTimeout(callback: () => void, delayMs: number): unknown {
    this.#seq += 1;
    const timer: Timer = {
      atMs: this.#nowMs + Math.max(0, delayMs),
      seq: this.#seq,
      run: callback,
    };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as Timer);
  }

  queueMicrotask(callback: () => void): void {
    queueMicrotask(callback);
  }

  now(): number {
    return this.#nowMs;
  }

  /** Settles every promise, then fires the earliest timer; false when no timer is left. */
  async step(): Promise<boolean> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    let next: Timer | undefined;
    for (const timer of this.#timers) {
      if (
        next === undefined ||
        timer.atMs < next.atMs ||
        (timer.atMs === next.atMs && timer.seq < next.seq)
      ) {
        next = timer;
      }
    }
    if (next === undefined) return false;
    this.#timers.delete(next);
    this.#nowMs = next.atMs;
    next.run();
    return true;
  }

  /** Steps the clock until `done` resolves. */
  async runUntil<T>(done: Promise<T>): Promise<T> {
    let finished = false;
    const watched = done.finally(() => {
      finished = true;
    });
    while (!finished) {
      if (!(await this.step())) break;
    }
    return watched;
  }
}
