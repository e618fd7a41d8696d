import { NetworkConfigError } from "./errors.js";
import type { Prng } from "./prng.js";

/**
 * How long a message spends on a link, in virtual milliseconds (whole numbers).
 * - `fixed`: always `ms`.
 * - `uniform`: uniformly in [minMs, maxMs].
 * - `longTail`: uniformly in [minMs, maxMs], except that with probability `tailProbability` it is
 *   uniformly in (maxMs, tailMaxMs] instead: the rare slow packet (a GC pause, a retransmit) that
 *   stresses timeouts far more than a wide uniform spread does.
 */
export type LatencyDistribution =
  | { readonly kind: "fixed"; readonly ms: number }
  | { readonly kind: "uniform"; readonly minMs: number; readonly maxMs: number }
  | {
      readonly kind: "longTail";
      readonly minMs: number;
      readonly maxMs: number;
      readonly tailProbability: number;
      readonly tailMaxMs: number;
    };

function checkMs(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new NetworkConfigError(field, `must be a non-negative integer of ms, got ${value}`);
  }
}

export function checkProbability(field: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    throw new NetworkConfigError(field, `must be a probability in [0, 1], got ${value}`);
  }
}

/** Throws `NetworkConfigError` unless the distribution is well-formed. */
export function validateLatency(latency: LatencyDistribution, field = "latency"): void {
  switch (latency.kind) {
    case "fixed":
      checkMs(`${field}.ms`, latency.ms);
      return;
    case "uniform":
    case "longTail":
      checkMs(`${field}.minMs`, latency.minMs);
      checkMs(`${field}.maxMs`, latency.maxMs);
      if (latency.maxMs < latency.minMs) {
        throw new NetworkConfigError(`${field}.maxMs`, "must be at least minMs");
      }
      if (latency.kind === "longTail") {
        checkProbability(`${field}.tailProbability`, latency.tailProbability);
        checkMs(`${field}.tailMaxMs`, latency.tailMaxMs);
        if (latency.tailMaxMs < latency.maxMs) {
          throw new NetworkConfigError(`${field}.tailMaxMs`, "must be at least maxMs");
        }
      }
      return;
    default: {
      const never: never = latency;
      throw new NetworkConfigError(field, `unknown latency kind ${JSON.stringify(never)}`);
    }
  }
}

/** Draws one latency. The number of draws depends only on the distribution, for determinism. */
export function sampleLatencyMs(latency: LatencyDistribution, prng: Prng): number {
  switch (latency.kind) {
    case "fixed":
      return latency.ms;
    case "uniform":
      return latency.minMs + prng.int(latency.maxMs - latency.minMs + 1);
    case "longTail":
      if (latency.tailMaxMs > latency.maxMs && prng.chance(latency.tailProbability)) {
        return latency.maxMs + 1 + prng.int(latency.tailMaxMs - latency.maxMs);
      }
      return latency.minMs + prng.int(latency.maxMs - latency.minMs + 1);
    default: {
      const never: never = latency;
      throw new NetworkConfigError("latency", `unknown latency kind ${JSON.stringify(never)}`);
    }
  }
}
