// Busy polling: after traffic, keep the event loop polling the socket for a short window instead
// of letting it block in epoll_wait. A Raft peer that just sent a message usually hears back
// within one round trip; if its process sleeps meanwhile, the answer must first wake it, and on
// virtual machines whose idle vCPUs halt at once (no guest halt-polling) a wake-up costs tens of
// microseconds, more than the round trip itself (docs/benchmarks.md, udp). Polling by a chain of
// setImmediate callbacks makes each loop iteration check the socket without blocking, so an
// answer that arrives within the window is read at once, as in the kernel's own halt-polling.
//
// The price is CPU: up to the window per burst of traffic, spent spinning. It pays only while
// there are at least as many cores as polling processes; with more pollers than cores they take
// each other's CPU and latency gets much worse. Hence off by default (window 0).

export type BusyPoller = {
  /** Traffic happened: poll until `windowUs` from now. */
  touch(): void;
  /** Stops polling for good (the transport is closing). */
  stop(): void;
  /** Loop iterations spent polling so far. */
  readonly turns: number;
};

/** A poller for one transport; `now` is milliseconds on a monotonic clock. */
export function createBusyPoller(
  windowUs: number,
  now: () => number,
  schedule: (callback: () => void) => void = setImmediate,
): BusyPoller {
  const windowMs = windowUs / 1000;
  let untilMs = 0;
  let polling = false;
  let stopped = false;
  let turns = 0;
  const poll = (): void => {
    turns += 1;
    if (!stopped && now() < untilMs) schedule(poll);
    else polling = false;
  };
  return {
    touch() {
      if (windowUs === 0 || stopped) return;
      untilMs = now() + windowMs;
      if (polling) return;
      polling = true;
      schedule(poll);
    },
    stop() {
      stopped = true;
    },
    get turns() {
      return turns;
    },
  };
}
