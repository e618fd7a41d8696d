import type { KvInput, KvOutput } from "@flotilla/kv-model";
import type { HistoryOperation } from "../../src/index.js";

// Terse builders for hand-made histories: `put("c1", 0, 10, "x", "1")` is client c1 putting
// x=1, invoked at 0 and acknowledged at 10; `null` as the completion time means indeterminate.

function op(
  clientId: string,
  invokedAt: number,
  completedAt: number | null,
  input: KvInput,
  output: KvOutput,
): HistoryOperation {
  return completedAt === null
    ? { clientId, input, invokedAt, outcome: "indeterminate" }
    : { clientId, input, invokedAt, outcome: "ok", completedAt, output };
}

export function put(c: string, at: number, done: number | null, key: string, value: string) {
  return op(c, at, done, { op: "put", key, value }, { op: "put" });
}

export function get(c: string, at: number, done: number | null, key: string, value: string | null) {
  return op(c, at, done, { op: "get", key }, { op: "get", value });
}

export function cas(
  c: string,
  at: number,
  done: number | null,
  key: string,
  expected: string | null,
  value: string,
  ok: boolean,
) {
  return op(c, at, done, { op: "cas", key, expected, value }, { op: "cas", ok });
}
