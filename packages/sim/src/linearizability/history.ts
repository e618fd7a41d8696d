import type { KvInput, KvOutput } from "@flotilla/kv-model";
import { HistoryError } from "../errors.js";

/**
 * One client operation as recorded by a test or the simulator. Times are whatever clock the
 * recorder uses (virtual ms, ticks), the same for every operation of a history.
 * - `ok`: the client saw the result `output` at `completedAt`.
 * - `indeterminate`: the client gave up (timeout, lost connection, unknown outcome). It may or
 *   may not have taken effect, at any time after `invokedAt`; its completion time is +infinity.
 */
export type HistoryOperation = {
  readonly clientId: string;
  readonly input: KvInput;
  readonly invokedAt: number;
} & (
  | { readonly outcome: "ok"; readonly completedAt: number; readonly output: KvOutput }
  | { readonly outcome: "indeterminate" }
);

/** Throws `HistoryError` on a malformed operation; `position` names it in the message. */
export function validateOperation(op: HistoryOperation, position: number): void {
  if (!Number.isFinite(op.invokedAt)) {
    throw new HistoryError(`operation ${position}: invokedAt must be a finite number`);
  }
  if (op.outcome === "ok") {
    if (!(op.completedAt >= op.invokedAt) || !Number.isFinite(op.completedAt)) {
      throw new HistoryError(`operation ${position}: completedAt must be finite and >= invokedAt`);
    }
    if (op.output.op !== op.input.op) {
      throw new HistoryError(
        `operation ${position}: a ${op.input.op} cannot have a ${op.output.op} output`,
      );
    }
  }
}

function show(value: string | null): string {
  return value === null ? "∅" : JSON.stringify(value);
}

/** A one-line rendering: `c1 [10, 25] put(x, "1") -> ok`. */
export function describeOperation(op: HistoryOperation): string {
  const input = op.input;
  let call: string;
  switch (input.op) {
    case "put":
      call = `put(${input.key}, ${show(input.value)})`;
      break;
    case "get":
      call = `get(${input.key})`;
      break;
    case "cas":
      call = `cas(${input.key}, ${show(input.expected)} -> ${show(input.value)})`;
      break;
    default: {
      const never: never = input;
      throw new HistoryError(`unknown operation ${JSON.stringify(never)}`);
    }
  }
  if (op.outcome === "indeterminate") return `${op.clientId} [${op.invokedAt}, ∞) ${call} -> ?`;
  const output = op.output;
  const result =
    output.op === "put" ? "ok" : output.op === "get" ? show(output.value) : String(output.ok);
  return `${op.clientId} [${op.invokedAt}, ${op.completedAt}] ${call} -> ${result}`;
}
