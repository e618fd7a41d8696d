// The driver's only source of time. By default it is the host's timers, which every JS runtime
// has (browsers, Node, Deno, Bun, workers); tests inject a virtual clock or use fake timers.

/** A handle returned by `setTimeout`, opaque to the driver. */
export type TimerHandle = unknown;

/**
 * The driver's clock: timers and microtasks. `hostScheduler` by default; tests inject a virtual
 * one.
 */
export interface Scheduler {
  /** Calls `callback` once, `delayMs` milliseconds from now; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer that has not fired yet; a handle that already fired is ignored. */
  clearTimeout(handle: TimerHandle): void;
  /** Runs `callback` after the current job, before any timer: how the driver batches a turn. */
  queueMicrotask(callback: () => void): void;
  /**
   * Milliseconds on a monotonic clock (only differences are used): times storage writes and
   * applies for `stats()`, and peer silence for the logger. Without it those go unmeasured.
   */
  now?(): number;
}

type HostTimers = {
  readonly performance?: { now(): number };
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  queueMicrotask(callback: () => void): void;
};

// Looked up on every call, not captured once, so fake timers installed after the node was created
// (vitest's `vi.useFakeTimers()`) still take effect. Core's lib has no DOM or Node types, hence the
// cast of globalThis.
const host = globalThis as unknown as HostTimers;

/**
 * The host's own timers (`globalThis.setTimeout`, `clearTimeout`, `queueMicrotask`), looked up at
 * each call.
 */
export const hostScheduler: Scheduler = {
  setTimeout: (callback, delayMs) => host.setTimeout(callback, delayMs),
  clearTimeout: (handle) => host.clearTimeout(handle),
  queueMicrotask: (callback) => host.queueMicrotask(callback),
  now: () => host.performance?.now() ?? 0,
};
