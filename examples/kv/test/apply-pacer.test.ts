// A run of applies within one turn of the event loop that reaches its count gives the loop a turn.
import { setImmediate as loopTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { ApplyPacer } from "../src/apply-pacer.js";

/** Whether `value` settles within microtasks alone (no turn of the event loop). */
async function settlesWithoutATurn(value: unknown): Promise<boolean> {
  let settled = false;
  void Promise.resolve(value).then(() => {
    settled = true;
  });
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
  return settled;
}

function applyMany(pacer: ApplyPacer, n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => pacer.pace(i));
}

describe("ApplyPacer", () => {
  it("hands results back at once until a run reaches its count, then after a turn", async () => {
    const pacer = new ApplyPacer({ runEntries: 100 });
    const results = applyMany(pacer, 100);
    expect(results.slice(0, 99)).toEqual(Array.from({ length: 99 }, (_, i) => i));
    const last = results[99];
    expect(last).toBeInstanceOf(Promise);
    expect(await settlesWithoutATurn(last)).toBe(false);
    expect(await last).toBe(99);
    // The rest of the batch is a run of its own.
    expect(applyMany(pacer, 99).some((r) => r instanceof Promise)).toBe(false);
    expect(pacer.pace("next")).toBeInstanceOf(Promise);
  });

  it("starts a new run whenever the loop has turned between batches", async () => {
    const pacer = new ApplyPacer({ runEntries: 100 });
    for (let batch = 0; batch < 5; batch += 1) {
      expect(applyMany(pacer, 80).some((r) => r instanceof Promise)).toBe(false);
      await loopTurn();
    }
  });

  it("counts small batches on until a run is noticed, never yielding in one below the count", async () => {
    const pacer = new ApplyPacer({ runEntries: 100 });
    // 30 batches of 3: no turn of the loop is noticed before the 64th apply.
    for (let batch = 0; batch < 30; batch += 1) {
      expect(applyMany(pacer, 3).some((r) => r instanceof Promise)).toBe(false);
      await loopTurn();
    }
  });
});
