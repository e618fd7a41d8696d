import { deriveOptions } from "../src/derive-options.js";
import type { SimulationOverrides } from "../src/options.js";
import { type RunOptions, runSimulation, type SimulationResult } from "../src/simulator.js";

type Outcome = "correctness" | "liveness" | "crash";

export type Found = { readonly seed: number; readonly result: SimulationResult };

/**
 * A bounded search: runs `seeds` in order with the planted defect (a `core` or runtime `rules`)
 * and returns the first seed whose run violates a safety property (or, with `outcome` "liveness",
 * fails the liveness phase; "crash", throws) while the shipped code passes
 * the same seed, so the violation is the defect's and not something else's. Null when the budget
 * runs out.
 */
export async function findViolation<S>(
  plant: Pick<RunOptions<S>, "core" | "rules" | "fileSystem" | "storageRules" | "shell">,
  seeds: Iterable<number>,
  overrides: SimulationOverrides,
  outcome: Outcome | readonly Outcome[] = "correctness",
): Promise<Found | null> {
  const wanted: readonly Outcome[] = typeof outcome === "string" ? [outcome] : outcome;
  for (const seed of seeds) {
    const options = deriveOptions(seed, overrides);
    const result = await runSimulation(options, plant);
    if (!wanted.includes(result.outcome as Outcome)) continue;
    if ((await runSimulation(options)).outcome === "ok") return { seed, result };
  }
  return null;
}

/** `pinned` first (seeds that found the defect before), then from..to. */
export function* seedsFrom(pinned: readonly number[], from: number, to: number): Generator<number> {
  yield* pinned;
  for (let seed = from; seed <= to; seed++) if (!pinned.includes(seed)) yield seed;
}

/**
 * The line a planted-defect test prints when its search found the defect: worded as the success it
 * is, so a test log never reads as if something had failed.
 */
export function caughtAsExpected(defect: string, found: Found): string {
  return `planted defect ${defect} caught as expected, ${describeFailure(found)}`;
}

export function describeFailure(found: Found): string {
  const r = found.result;
  if (r.outcome === "crash") return `seed ${found.seed}: crash ${String(r.error)}`;
  if (r.violation === null) return `seed ${found.seed}: liveness ${r.livenessFailure}`;
  return `seed ${found.seed}: ${r.violation.kind} ${r.violation.detail}`;
}
