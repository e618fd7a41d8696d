import type { PersistEffect } from "./effect.js";
import type { Entry, HardState, Snapshot } from "./entry.js";
import type { Index } from "./ids.js";
import type { PersistBatch } from "./interfaces.js";
import type { Message } from "./message.js";

// Persist effects and storage batches are read on every step by the driver's write pipeline, the
// storage and the simulator's checkers, and V8 optimizes those reads for the object shapes (maps)
// it has seen. Built with a field added only when set, or by spreads, they came in up to eight
// shapes, first met one by one as a run went on: each new one deoptimized the code optimized
// before it (issue 15, docs/benchmarks.md). Built here, each kind has one shape: every field
// present (undefined when there is nothing), always in the same order.

/** A persist effect (see PersistEffect for what each field asks), in its one shape. */
export function persistEffect(
  hardState: HardState | undefined,
  snapshot: Snapshot | undefined,
  truncateFrom: Index | undefined,
  entries: readonly Entry[],
  then: readonly Message[],
): PersistEffect {
  return { type: "persist", hardState, snapshot, truncateFrom, entries, then };
}

/** A storage batch (the persist effects of a turn merged), in its one shape. */
export function persistBatch(
  hardState: HardState | undefined,
  snapshot: Snapshot | undefined,
  truncateFrom: Index | undefined,
  entries: readonly Entry[],
): PersistBatch {
  return { hardState, snapshot, truncateFrom, entries };
}
