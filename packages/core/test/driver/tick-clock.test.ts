import { describe, expect, it } from "vitest";
import { TickClock } from "../../src/driver/tick-clock.js";
import { VirtualClock } from "./virtual-clock.js";

// The driver's ticks carry the real time they stand for, so a lease counted in ticks never
// outlasts real time: late timers add up, and a paused process catches up before a lease read.

const tickMs = 10;

function elapsedOf(event: { readonly elapsed?: number }): number {
  return event.elapsed ?? 1;
}

describe("TickClock", () => {
  it("counts late timers in whole intervals, carrying the remainder", () => {
    const clock = new VirtualClock();
    const ticks = new TickClock(clock, tickMs);
    ticks.start();
    const counted: number[] = [];
    for (let i = 0; i < 6; i++) {
      clock.nowMs += 14; // every timer fires 4 ms late
      counted.push(elapsedOf(ticks.tick()));
    }
    expect(counted).toEqual([1, 1, 2, 1, 2, 1]);
    expect(counted.reduce((a, b) => a + b)).toBe(Math.floor((6 * 14) / tickMs));
  });

  it("counts an early timer as one interval, never less", () => {
    const clock = new VirtualClock();
    const ticks = new TickClock(clock, tickMs);
    ticks.start();
    clock.nowMs += 3;
    expect(elapsedOf(ticks.tick())).toBe(1);
  });

  it("offers a catch-up tick only when more than one interval is overdue", () => {
    const clock = new VirtualClock();
    const ticks = new TickClock(clock, tickMs);
    ticks.start();
    clock.nowMs += 15;
    expect(ticks.overdue()).toBeNull();
    clock.nowMs += 5_000; // the process was paused
    expect(ticks.overdue()).toEqual({ type: "tick", elapsed: 501 }); // 5,015 ms: 501 whole ticks
    expect(ticks.overdue()).toBeNull(); // caught up
  });
});
