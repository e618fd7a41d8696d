import { checkLinearizability } from "./linearizability/check.js";
import type { HistoryOperation } from "./linearizability/history.js";
import type { SafetyChecker } from "./safety-checker.js";

/**
 * Checks the client history for linearizability (Wing & Gong per key, P-compositionality) and
 * reports a violation to `checker`. Returns true when the search ran out of budget: the history
 * was then neither proved nor disproved, which the caller reports rather than hides.
 */
export function checkHistory(
  checker: SafetyChecker,
  history: readonly HistoryOperation[],
): boolean {
  const result = checkLinearizability(history, { budgetStepsPerKey: 2_000_000 });
  switch (result.result) {
    case "ok":
      return false;
    case "unknown":
      return true;
    case "violation":
      checker.report("linearizability", null, result.explanation);
      return false;
    default: {
      const never: never = result;
      throw new TypeError(`unknown check result ${JSON.stringify(never)}`);
    }
  }
}
