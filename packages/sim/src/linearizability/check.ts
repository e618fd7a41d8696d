import type { KvInput, KvOutput } from "@flotilla/kv-model";
import { describeOperation, type HistoryOperation, validateOperation } from "./history.js";
import { kvKeyModel } from "./kv-model.js";
import { type SearchOperation, searchLinearization } from "./wing-gong.js";

// P-compositionality (Herlihy & Wing 1990): a history is linearizable iff its restriction to
// every object is, and each key of the store is an object. So the checker splits the history
// per key and searches each key alone: the exponential part runs on small histories.

/** Search budgets of `checkLinearizability`. */
export type CheckOptions = {
  /** Search steps allowed per key before giving up with "unknown"; default 1,000,000. */
  readonly budgetStepsPerKey?: number;
  /** Steps allowed to shrink a violation to a minimal set of operations; default 1,000,000. */
  readonly minimiseBudgetSteps?: number;
};

/**
 * The checker's verdict: linearizable, a (minimised) violation on one key, or unknown when a budget
 * ran out.
 */
export type CheckResult =
  | { readonly result: "ok"; readonly keys: number; readonly steps: number }
  | {
      readonly result: "violation";
      readonly key: string;
      /**
       * A subset of the key's operations that already proves the history wrong (see `violation`
       * below for how it is shrunk); `minimal` is false if the shrinking ran out of budget.
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

/** Removing a read-only operation from a non-linearizable history keeps it non-linearizable. */
function readOnly(op: HistoryOperation): boolean {
  return op.input.op === "get" || (op.outcome === "ok" && op.output.op === "cas" && !op.output.ok);
}

/** Reads the state: a get, or any cas (success, failure or unknown all depend on the value). */
function observes(op: HistoryOperation): boolean {
  return op.input.op !== "put";
}

function returnAt(op: HistoryOperation): number {
  return op.outcome === "ok" ? op.completedAt : Number.POSITIVE_INFINITY;
}

/**
 * Shrinks a violating key history to the operations a human needs to see, faithfully: the
 * smaller set must still prove the WHOLE history wrong, not merely be wrong itself (dropping a
 * write can make an innocent history look broken: a failed cas whose failure that write
 * explained). So only two kinds of operation are dropped, one at a time, newest first, while
 * what is left stays non-linearizable:
 * - read-only ones (gets, failed cas): adding a read back can never make a history linearizable;
 * - writes invoked after every remaining reader returned: they can always be linearized last,
 *   where nobody sees them.
 * The result is usually the write and the stale read that missed it, plus the writes in between.
 */
function violation(
  history: readonly HistoryOperation[],
  key: string,
  positions: readonly number[],
  budgetSteps: number,
): CheckResult {
  let kept = positions.slice();
  let remaining = budgetSteps;
  let complete = true;
  for (let i = kept.length - 1; i >= 0; i--) {
    if (remaining <= 0) {
      complete = false;
      break;
    }
    const op = history[kept[i] as number] as HistoryOperation;
    const lastReaderReturn = Math.max(
      Number.NEGATIVE_INFINITY,
      ...kept
        .filter((p, j) => j !== i && observes(history[p] as HistoryOperation))
        .map((p) => returnAt(history[p] as HistoryOperation)),
    );
    if (!readOnly(op) && !(op.invokedAt > lastReaderReturn)) continue;
    const candidate = kept.filter((_, j) => j !== i);
    const found = searchPositions(history, candidate, remaining);
    remaining -= found.steps;
    if (found.kind === "violation") kept = candidate;
    else if (found.kind === "unknown") complete = false;
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
    minimal: complete,
    explanation: `key ${JSON.stringify(key)} is not linearizable; these operations cannot be ordered:\n${lines.join("\n")}`,
  };
}
