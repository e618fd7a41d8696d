import {
  applyKv,
  emptyKvState,
  type KvInput,
  type KvOutput,
  type KvState,
} from "@flotilla/kv-model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkLinearizability, type HistoryOperation, kvKeyModel } from "../../src/index.js";

// Seeds are fixed so a failure replays; fast-check also prints the seed and path it failed on.
const SEED = 424_242;

const inputArb: fc.Arbitrary<KvInput> = fc.oneof(
  fc.record({
    op: fc.constant("put" as const),
    key: fc.constantFrom("a", "b"),
    value: fc.constantFrom("1", "2", "3"),
  }),
  fc.record({ op: fc.constant("get" as const), key: fc.constantFrom("a", "b") }),
  fc.record({
    op: fc.constant("cas" as const),
    key: fc.constantFrom("a", "b"),
    expected: fc.constantFrom(null, "1", "2", "3"),
    value: fc.constantFrom("1", "2", "3"),
  }),
);

type Step = { input: KvInput; before: number; after: number };

const executionArb = fc.array(
  fc.record({
    input: inputArb,
    before: fc.nat(35),
    after: fc.nat(35),
  }),
  { minLength: 1, maxLength: 60 },
);

/**
 * Runs the steps sequentially (operation i takes effect at time 10 i) and records each with a
 * random real-time interval around that point: a history linearizable by construction.
 */
function record(steps: readonly Step[], indeterminateEvery: number): HistoryOperation[] {
  let state: KvState = emptyKvState;
  return steps.map((step, i): HistoryOperation => {
    const { state: next, output } = applyKv(state, step.input);
    state = next;
    const point = 10 * i + 1000;
    const base = { clientId: `c${i % 4}`, input: step.input, invokedAt: point - step.before };
    return indeterminateEvery > 0 && i % indeterminateEvery === 0
      ? { ...base, outcome: "indeterminate" }
      : { ...base, outcome: "ok", completedAt: point + step.after, output };
  });
}

describe(`linearizability properties (fast-check seed ${SEED})`, () => {
  it("accepts every history recorded from a sequential execution", () => {
    fc.assert(
      fc.property(executionArb, fc.nat(5), (steps, every) => {
        const result = checkLinearizability(record(steps, every));
        expect(result.result).toBe("ok");
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("rejects the same history once one get's output is a value never written", () => {
    fc.assert(
      fc.property(executionArb, fc.nat(), (steps, pick) => {
        const history = record(steps, 0);
        const gets = history.flatMap((op, i) => (op.input.op === "get" ? [i] : []));
        fc.pre(gets.length > 0);
        const victim = gets[pick % gets.length] as number;
        const op = history[victim] as HistoryOperation & { outcome: "ok" };
        history[victim] = { ...op, output: { op: "get", value: "never-written" } };
        const result = checkLinearizability(history);
        expect(result.result).toBe("violation");
        if (result.result === "violation") expect(result.positions).toContain(victim);
      }),
      { seed: SEED + 1, numRuns: 300 },
    );
  });
});

// --- A naive checker to compare with: try every order that respects real time. ----------------

type Op = { input: KvInput; output: KvOutput | undefined; call: number; ret: number };

function naiveLinearizable(ops: readonly Op[]): boolean {
  const used = new Array<boolean>(ops.length).fill(false);
  const search = (state: string | null, placed: number): boolean => {
    if (placed === ops.length) return true;
    for (let i = 0; i < ops.length; i++) {
      if (used[i]) continue;
      const op = ops[i] as Op;
      // i may go next only if no other unplaced operation returned before i was called.
      if (ops.some((o, j) => !used[j] && j !== i && o.ret < op.call)) continue;
      const next = kvKeyModel.step(state, op.input, op.output);
      if (next === undefined) continue;
      used[i] = true;
      if (search(next, placed + 1)) return true;
      used[i] = false;
    }
    return false;
  };
  return search(null, 0);
}

const randomOpArb = fc
  .record({
    input: fc.oneof(
      fc.record({
        op: fc.constant("put" as const),
        key: fc.constant("k"),
        value: fc.constantFrom("1", "2"),
      }),
      fc.record({ op: fc.constant("get" as const), key: fc.constant("k") }),
      fc.record({
        op: fc.constant("cas" as const),
        key: fc.constant("k"),
        expected: fc.constantFrom(null, "1", "2"),
        value: fc.constantFrom("1", "2"),
      }),
    ),
    call: fc.nat(20),
    length: fc.nat(10),
    indeterminate: fc.boolean(),
    read: fc.constantFrom(null, "1", "2"),
    ok: fc.boolean(),
  })
  .map(({ input, call, length, indeterminate, read, ok }): HistoryOperation => {
    const base = { clientId: "c", input, invokedAt: call };
    if (indeterminate) return { ...base, outcome: "indeterminate" };
    const output: KvOutput =
      input.op === "put"
        ? { op: "put" }
        : input.op === "get"
          ? { op: "get", value: read }
          : { op: "cas", ok };
    return { ...base, outcome: "ok", completedAt: call + length, output };
  });

describe(`Wing-Gong agrees with a brute-force search (fast-check seed ${SEED + 2})`, () => {
  it("on random small single-key histories, linearizable or not", () => {
    let violations = 0;
    fc.assert(
      fc.property(fc.array(randomOpArb, { maxLength: 7 }), (history) => {
        const naive = naiveLinearizable(
          history.map((op) => ({
            input: op.input,
            output: op.outcome === "ok" ? op.output : undefined,
            call: op.invokedAt,
            ret: op.outcome === "ok" ? op.completedAt : Number.POSITIVE_INFINITY,
          })),
        );
        const result = checkLinearizability(history).result;
        if (result === "violation") violations++;
        expect(result).toBe(naive ? "ok" : "violation");
      }),
      { seed: SEED + 2, numRuns: 2000 },
    );
    // The generator must exercise both verdicts, or the comparison proves little.
    expect(violations).toBeGreaterThan(200);
  });
});
