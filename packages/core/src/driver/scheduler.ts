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
  /** Runs `callback` after the current job, before any timer. */
  queueMicrotask(callback: () => void): void;
  /**
   * Runs `callback` once the host has handled every I/O event ready now (Node's `setImmediate`):
   * how the driver batches a turn, so the requests and messages that arrive together share one
   * turn, one write and one AppendEntries per follower. Without it, turns start after the current
   * job (`queueMicrotask`), which under load gives each request a turn of its own.
   */
  afterIo?(callback: () => void): void;
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
  readonly setImmediate?: (callback: () => void) => unknown;
};

// Looked up on every call, not captured once, so fake timers installed after the node was created
// (vitest's `vi.useFakeTimers()`) still take effect. Core's lib has no DOM or Node types, hence the
// cast of globalThis.
const host = globalThis as unknown as HostTimers;

/**
 * The host's own timers (`globalThis.setTimeout`, `clearTimeout`, `queueMicrotask`, and
 * `setImmediate` where the runtime has it), looked up at each call.
 */
export const hostScheduler: Scheduler = {
  setTimeout: (callback, delayMs) => host.setTimeout(callback, delayMs),
  clearTimeout: (handle) => host.clearTimeout(handle),
  queueMicrotask: (callback) => host.queueMicrotask(callback),
  // Browsers have no setImmediate (a MessageChannel hop would cost more than it batches there).
  afterIo: (callback) => {
    if (host.setImmediate !== undefined) host.setImmediate(callback);
    else host.queueMicrotask(callback);
  },
  now: () => host.performance?.now() ?? 0,
};
