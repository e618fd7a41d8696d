import type { LatencyDistribution, LinkOptions } from "@flotilla/transport-memory";
import type { SimulationOptions } from "./options.js";

/**
 * The network's link options in each phase. The safety phase gets every fault the options
 * allow; the liveness phase a healed network: the same latency band, but no loss, duplication,
 * reordering or tail latency, so "within the budget" measures Raft, not bad luck.
 */
export function phaseLinkOptions(options: SimulationOptions, safetyPhase: boolean): LinkOptions {
  const band: LatencyDistribution = {
    kind: "uniform",
    minMs: options.latencyMinMs,
    maxMs: options.latencyMaxMs,
  };
  if (!safetyPhase) {
    return {
      latency: band,
      lossProbability: 0,
      duplicateProbability: 0,
      reorderProbability: 0,
      reorderDelayMaxMs: 1,
    };
  }
  const latency: LatencyDistribution =
    options.latencyTailProbability > 0 && options.latencyTailMaxMs > options.latencyMaxMs
      ? {
          kind: "longTail",
          minMs: options.latencyMinMs,
          maxMs: options.latencyMaxMs,
          tailProbability: options.latencyTailProbability,
          tailMaxMs: options.latencyTailMaxMs,
        }
      : band;
  return {
    latency,
    lossProbability: options.lossProbability,
    duplicateProbability: options.duplicateProbability,
    reorderProbability: options.reorderProbability,
    reorderDelayMaxMs: Math.max(1, options.latencyMaxMs),
  };
}
