import { NetworkConfigError } from "./errors.js";
import type { Network } from "./network.js";

// Drives a `Network` with real timers, for applications that test a whole cluster in one process
// with their real node driver and real tick timers. Virtual time follows the wall clock
// (performance.now, scaled); one setTimeout is armed for the earliest in-flight message. This is
// the ONLY place in the package that touches a clock or a timer: the network itself and the
// simulator stay deterministic.

/** Options of `startRealTime`. */
export type RealTimeOptions = {
  /** Real milliseconds per virtual millisecond; 1 by default, below 1 runs faster than life. */
  readonly realMsPerVirtualMs?: number;
  /** Receives anything a message handler throws; by default it is rethrown asynchronously. */
  readonly onError?: (error: unknown) => void;
};

/** A running real-time clock; `stop` ends it. */
export type RealTimeHandle = {
  /** Stops delivering (messages stay in flight) and detaches from the network. */
  stop(): void;
};

/**
 * Drives `network` with real timers: virtual time follows the wall clock, so nodes made with
 * `createNode` and real tick timers can run over it in one process. The package's only clock.
 */
export function startRealTime(network: Network, options: RealTimeOptions = {}): RealTimeHandle {
  const scale = options.realMsPerVirtualMs ?? 1;
  // Infinity would pass `> 0` and then arm a timer for an infinite delay (Node fires it at once).
  if (!(scale > 0 && Number.isFinite(scale))) {
    throw new NetworkConfigError("realMsPerVirtualMs", `must be a positive number, got ${scale}`);
  }
  const onError =
    options.onError ??
    ((error: unknown) => {
      queueMicrotask(() => {
        throw error;
      });
    });
  const originMs = performance.now() - network.nowMs * scale;
  const virtualNowMs = () =>
    Math.max(network.nowMs, Math.floor((performance.now() - originMs) / scale));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armedForMs = Number.POSITIVE_INFINITY;
  let pumping = false;
  let stopped = false;

  const arm = (timeMs: number) => {
    if (stopped || pumping || timeMs >= armedForMs) return;
    if (timer !== undefined) clearTimeout(timer);
    armedForMs = timeMs;
    timer = setTimeout(pump, Math.max(0, (timeMs - virtualNowMs()) * scale));
  };

  function pump(): void {
    timer = undefined;
    armedForMs = Number.POSITIVE_INFINITY;
    pumping = true;
    try {
      network.run(virtualNowMs());
    } catch (error) {
      onError(error);
    } finally {
      pumping = false;
    }
    const next = network.nextDeliveryTimeMs();
    if (next !== undefined) arm(next);
  }

  network.attachClock({ nowMs: virtualNowMs, scheduled: arm });
  const pending = network.nextDeliveryTimeMs();
  if (pending !== undefined) arm(pending);
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      network.attachClock(undefined);
    },
  };
}
