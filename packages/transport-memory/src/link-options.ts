import { NetworkConfigError } from "./errors.js";
import { checkProbability, type LatencyDistribution, validateLatency } from "./latency.js";

/**
 * The behaviour of one directed link. Every probability applies to each message independently.
 * Variable latency already reorders messages; `reorderProbability` adds explicit overtaking even
 * under fixed latency: the chosen message is held back by an extra 1..reorderDelayMaxMs.
 */
export type LinkOptions = {
  readonly latency: LatencyDistribution;
  /** A message is lost (never delivered) with this probability. */
  readonly lossProbability: number;
  /** A delivered message is delivered twice with this probability (each copy has its own latency). */
  readonly duplicateProbability: number;
  readonly reorderProbability: number;
  readonly reorderDelayMaxMs: number;
};

/**
 * The link options a `Network` uses where `NetworkOptions.link` and `configureLink` say nothing:
 * 1-5 ms uniform latency, no loss, no duplication, no reordering.
 */
export const linkDefaults: LinkOptions = {
  latency: { kind: "uniform", minMs: 1, maxMs: 5 },
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayMaxMs: 20,
};

/** Merges `overrides` over `base` and validates the result; throws `NetworkConfigError`. */
export function resolveLinkOptions(
  base: LinkOptions,
  overrides: Partial<LinkOptions> | undefined,
): LinkOptions {
  const options: LinkOptions = { ...base, ...overrides };
  validateLatency(options.latency);
  checkProbability("lossProbability", options.lossProbability);
  checkProbability("duplicateProbability", options.duplicateProbability);
  checkProbability("reorderProbability", options.reorderProbability);
  if (!Number.isSafeInteger(options.reorderDelayMaxMs) || options.reorderDelayMaxMs < 1) {
    throw new NetworkConfigError(
      "reorderDelayMaxMs",
      `must be a positive integer of ms, got ${options.reorderDelayMaxMs}`,
    );
  }
  return Object.freeze(options);
}
