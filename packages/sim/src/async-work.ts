import type { Scheduler } from "@flotilla/core";
import type { AsyncWork } from "./file-disk-storage.js";
import type { ScheduleAt } from "./sim-storage.js";

// The simulator is single-threaded and event-driven, but FileStorage and the driver's
// ProposalRegistry and Notifier are async: their promise chains run as microtasks. Each chain is
// counted while it runs, and the loop drains them (a microtask hop at a time) after every event,
// so everything an event set off has happened, in an order fixed by the program, before the next.

/**
 * Awaited for one microtask hop: a promise already resolved, so that the hop allocates no new one
 * (`await null` wraps its value in a fresh promise; a run with FileStorage takes about a hop per
 * event). One tick either way, so every microtask runs in the order it did.
 */
export const hop: Promise<void> = Promise.resolve();

/** Counts the async chains in flight and keeps the first unexpected failure among them. */
export class AsyncWorkTracker {
  #inFlight = 0;
  #failure: { readonly error: unknown } | null = null;
  readonly work: AsyncWork = {
    started: () => {
      this.#inFlight++;
    },
    ended: () => {
      this.#inFlight--;
    },
    failed: (error) => {
      this.#failure ??= { error };
    },
  };

  /** Whether the loop must settle before the next event: work in flight, or a failure to raise. */
  get pending(): boolean {
    return this.#inFlight > 0 || this.#failure !== null;
  }

  /**
   * Lets the async work run until every chain waits in virtual time again (or ended), then
   * throws the first failure. A microtask hop at a time: each `await` lets the microtasks queued
   * before it run first. (The event loop settles after each event with the same two calls
   * inline, saving this promise per event.)
   */
  async settle(): Promise<void> {
    for (let hops = 0; this.running(hops); hops++) await hop;
    this.raiseFailure();
  }

  /**
   * Whether some chain still runs (does not wait in virtual time) after `hops` hops of settling;
   * throws past a million: work that never waits in virtual time would spin forever.
   */
  running(hops: number): boolean {
    if (this.#inFlight === 0) return false;
    if (hops > 1_000_000) throw new RangeError("storage work that never waits in virtual time");
    return true;
  }

  /** Throws the first failure among the chains, if any (once they all wait or ended). */
  raiseFailure(): void {
    if (this.#failure !== null) throw this.#failure.error;
  }
}

/**
 * The driver's clock for the nodes' ProposalRegistry and Notifier: timers are events in virtual
 * time (`scheduleAt`), and a microtask is tracked like the storage's async work, so the loop
 * drains it (and every promise reaction queued before it) before the next event. A timer's
 * callback may settle proposals: a tracked microtask after it drains their reactions too.
 */
export function virtualScheduler(
  nowMs: () => number,
  scheduleAt: (atMs: number, callback: () => void) => void,
  work: AsyncWork,
): Scheduler {
  const scheduler: Scheduler = {
    setTimeout: (callback, delayMs) => {
      const timer = { cancelled: false };
      scheduleAt(nowMs() + Math.max(0, Math.floor(delayMs)), () => {
        if (timer.cancelled) return;
        callback();
        scheduler.queueMicrotask(() => {});
      });
      return timer;
    },
    clearTimeout: (handle) => {
      (handle as { cancelled: boolean }).cancelled = true;
    },
    queueMicrotask: (callback) => {
      work.started();
      void Promise.resolve().then(() => {
        try {
          callback();
        } catch (error) {
          work.failed(error);
        } finally {
          work.ended();
        }
      });
    },
  };
  return scheduler;
}

/**
 * Waits until `atMs` of virtual time inside tracked work: the chain counts as waiting meanwhile
 * (not in flight), so the loop moves on to the events before it.
 */
export function waitUntil(work: AsyncWork, atMs: number, scheduleAt: ScheduleAt): Promise<void> {
  work.ended();
  return new Promise((resolve) => {
    scheduleAt(atMs, () => {
      work.started();
      resolve();
    });
  });
}
