import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ScheduleHeap } from "../src/heap.js";

const seed = 20_261_126;

describe("ScheduleHeap", () => {
  it(`pops in (timeMs, seq) order whatever the push order (fast-check seed ${seed})`, () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(50), fc.boolean()), { maxLength: 200 }), (script) => {
        const heap = new ScheduleHeap<{ timeMs: number; seq: number }>();
        const popped: { timeMs: number; seq: number }[] = [];
        const pushed: { timeMs: number; seq: number }[] = [];
        script.forEach(([timeMs, popNow], seq) => {
          const item = { timeMs, seq };
          heap.push(item);
          pushed.push(item);
          if (popNow) popped.push(heap.pop() as { timeMs: number; seq: number });
        });
        for (let item = heap.pop(); item !== undefined; item = heap.pop()) popped.push(item);
        expect(popped).toHaveLength(pushed.length);
        // Every pop returned the minimum of what was in the heap at that moment.
        const live: { timeMs: number; seq: number }[] = [];
        let next = 0;
        script.forEach(([, popNow], i) => {
          live.push(pushed[i] as { timeMs: number; seq: number });
          if (popNow) {
            live.sort((a, b) => a.timeMs - b.timeMs || a.seq - b.seq);
            expect(popped[next++]).toBe(live.shift());
          }
        });
        live.sort((a, b) => a.timeMs - b.timeMs || a.seq - b.seq);
        expect(popped.slice(next)).toEqual(live);
      }),
      { seed, numRuns: 300 },
    );
  });

  it("is empty after clear", () => {
    const heap = new ScheduleHeap<{ timeMs: number; seq: number }>();
    heap.push({ timeMs: 1, seq: 0 });
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });
});
