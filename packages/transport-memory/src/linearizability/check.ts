import { describeOperation, type HistoryOperation, validateOperation } from "./history.js";
import { type KvInput, type KvOutput, kvKeyModel } from "./kv-model.js";
import { type SearchOperation, searchLinearization } from "./wing-gong.js";

// P-compositionality (Herlihy & Wing 1990): a history is linearizable iff its restriction to
// every object is, and each key of the store is an object. So the checker splits the history
// per key and searches each key alone: the exponential part runs on small histories.

export type CheckOptions = {
  /** Search steps allowed per key before giving up with "unknown"; default 1,000,000. */
  readonly budgetStepsPerKey?: number;
  /** Steps allowed to shrink a violation to a minimal set of operations; default 1,000,000. */
  readonly minimiseBudgetSteps?: number;
};

export type CheckResult =
  | { readonly result: "ok"; readonly keys: number; readonly steps: number }
  | {
      readonly result: "violation";
      readonly key: string;
      /**
       * A subset of the key's operations that is already not linearizable, shrunk greedily so
       * that removing any one of them makes it linearizable (when `minimal` is true).
       */
      readonly operations: readonly HistoryOperation[];
      /** Positions of `operations` in the history given to the checker. */
      readonly positions: readonly number[];
      readonly minimal: boolean;
      /** Human-readable: the operations, one per line, in invocation order. */
      readonly explanation: string;
    }
  | { readonly result: "unknown"; readonly keys: readonly string[]; readonly steps: number };

function toSearch(op: HistoryOperation): SearchOperation<KvInput, KvOutput> {
  return op.outcome === "ok"
    ? { input: op.input, output: op.output, callAt: op.invokedAt, returnAt: op.completedAt }
    : { input: op.input, output: undefined, callAt: op.invokedAt, returnAt: Infinity };
}

function searchPositions(
  history: readonly HistoryOperation[],
  positions: readonly number[],
  budgetSteps: number,
) {
  return searchLinearization(
    kvKeyModel,
    positions.map((p) => toSearch(history[p] as HistoryOperation)),
    budgetSteps,
  );
}

/** Checks a key-value history (put/get/cas) for linearizability, key by key. */
export function checkLinearizability(
  history: readonly HistoryOperation[],
  options: CheckOptions = {},
): CheckResult {
  const budget = options.budgetStepsPerKey ?? 1_000_000;
  const byKey = new Map<string, number[]>();
  history.forEach((op, position) => {
    validateOperation(op, position);
    // An indeterminate get changes nothing and may return anything: it constrains nothing.
    if (op.outcome === "indeterminate" && op.input.op === "get") return;
    const positions = byKey.get(op.input.key);
    if (positions === undefined) byKey.set(op.input.key, [position]);
    else positions.push(position);
  });
  let steps = 0;
  const unknown: string[] = [];
  for (const [key, positions] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const found = searchPositions(history, positions, budget);
    steps += found.steps;
    if (found.kind === "unknown") unknown.push(key);
    if (found.kind === "violation") {
      return violation(history, key, positions, options.minimiseBudgetSteps ?? 1_000_000);
    }
  }
  return unknown.length > 0
    ? { result: "unknown", keys: unknown, steps }
    : { result: "ok", keys: byKey.size, steps };
}

/**
 * Shrinks a violating key history by dropping one operation at a time (newest first) whenever
 * what is left is still not linearizable: the result is 1-minimal, usually the two or three
 * operations a human needs to see (a write and the stale read that missed it).
 */
function violation(
  history: readonly HistoryOperation[],
  key: string,
  positions: readonly number[],
  budgetSteps: number,
): CheckResult {
  let kept = positions.slice();
  let remaining = budgetSteps;
  let minimal = true;
  for (let i = kept.length - 1; i >= 0; i--) {
    if (remaining <= 0) {
      minimal = false;
      break;
    }
    const candidate = kept.filter((_, j) => j !== i);
    const found = searchPositions(history, candidate, remaining);
    remaining -= found.steps;
    if (found.kind === "violation") kept = candidate;
    else if (found.kind === "unknown") minimal = false;
  }
  kept.sort(
    (a, b) =>
      (history[a] as HistoryOperation).invokedAt - (history[b] as HistoryOperation).invokedAt ||
      a - b,
  );
  const operations = kept.map((p) => history[p] as HistoryOperation);
  const lines = operations.map((op, i) => `  #${kept[i]} ${describeOperation(op)}`);
  return {
    result: "violation",
    key,
    operations,
    positions: kept,
    minimal,
    explanation: `key ${JSON.stringify(key)} is not linearizable; these operations cannot be ordered:\n${lines.join("\n")}`,
  };
}
