import { describe, expect, it } from "vitest";
import { type Clock, DelayLine } from "./delay-line.js";
import { VirtualClock } from "./virtual-clock.js";

const realClock: Clock = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  queueMicrotask: (callback) => queueMicrotask(callback),
  now: () => performance.now(),
};

describe("DelayLine", () => {
  it("delivers every message exactly its delay later on virtual time, in the order sent", async () => {
    const clock = new VirtualClock();
    const line = new DelayLine(5, clock, "timer");
    const delivered: [number, number][] = [];
    const sendAt = [0, 0, 1, 3, 3, 9];
    const all = sendAt.map(
      (atMs, k) =>
        new Promise<void>((resolve) => {
          clock.setTimeout(() => {
            line.push(() => {
              delivered.push([k, clock.now()]);
              resolve();
            });
          }, atMs);
        }),
    );
    await clock.runUntil(Promise.all(all));
    expect(delivered).toEqual(sendAt.map((atMs, k) => [k, atMs + 5]));
    expect(line.takeLateness()).toEqual(sendAt.map(() => 0));
    expect(line.takeLateness()).toEqual([]);
  });

  it("keeps one timer when a delivery sends the next message (a ping-pong arms one per hop)", async () => {
    const clock = new VirtualClock();
    let armed = 0;
    const counting: Clock = {
      setTimeout: (callback, delayMs) => {
        armed += 1;
        return clock.setTimeout(callback, delayMs);
      },
      clearTimeout: (handle) => clock.clearTimeout(handle),
      queueMicrotask: (callback) => clock.queueMicrotask(callback),
      now: () => clock.now(),
    };
    const line = new DelayLine(5, counting, "timer");
    // Another message always in flight, so a stray timer would find work and keep re-arming.
    let background = 0;
    const keepBusy = () => {
      if (++background < 400) line.push(keepBusy);
    };
    line.push(keepBusy);
    clock.setTimeout(() => line.push(keepBusy), 2);
    const hops = 100;
    const pingPong = new Promise<void>((resolve) => {
      let left = hops;
      const hop = () => (--left === 0 ? resolve() : line.push(hop));
      line.push(hop);
    });
    await clock.runUntil(pingPong);
    // One timer per due time: every 5 ms (the ping-pong and a background chain) and 2 ms later.
    expect(armed).toBeLessThanOrEqual(2 * hops + 2);
    expect(clock.now()).toBe(5 * hops);
  });

  it.each(["sleep", "timer"] as const)(
    "on real time (%s) never delivers a message before it is due, and keeps the order",
    async (waiting) => {
      const line = new DelayLine(2, realClock, waiting);
      const early: number[] = [];
      const order: number[] = [];
      const all = Array.from(
        { length: 40 },
        (_, k) =>
          new Promise<void>((resolve) => {
            setTimeout(() => {
              const sent = performance.now();
              line.push(() => {
                if (performance.now() - sent < 2) early.push(k);
                order.push(k);
                resolve();
              });
            }, k % 7);
          }),
      );
      await Promise.all(all);
      expect(early).toEqual([]);
      expect(order).toHaveLength(40);
      const lateness = line.takeLateness();
      expect(lateness).toHaveLength(40);
      expect(lateness.every((ms) => ms >= 0)).toBe(true);
    },
  );
});
