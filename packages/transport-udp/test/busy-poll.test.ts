import { describe, expect, it } from "vitest";
import { createBusyPoller } from "../src/busy-poll.js";

/** A clock and an immediate queue the test drives by hand. */
function harness(windowUs: number) {
  const clock = { nowMs: 0 };
  const queue: (() => void)[] = [];
  const poller = createBusyPoller(
    windowUs,
    () => clock.nowMs,
    (callback) => queue.push(callback),
  );
  /** Runs one loop iteration's immediates; returns how many ran. */
  const iterate = (): number => {
    const due = queue.splice(0);
    for (const callback of due) callback();
    return due.length;
  };
  return { clock, queue, poller, iterate };
}

describe("createBusyPoller", () => {
  it("never polls with a window of 0 (the default: off)", () => {
    const { poller, queue } = harness(0);
    poller.touch();
    expect(queue).toHaveLength(0);
    expect(poller.turns).toBe(0);
  });

  it("keeps one chain of polls going until the window after the last traffic", () => {
    const { clock, poller, queue, iterate } = harness(200);
    poller.touch();
    poller.touch(); // same chain, not a second one
    expect(queue).toHaveLength(1);
    clock.nowMs = 0.15;
    expect(iterate()).toBe(1);
    poller.touch(); // traffic at 0.15 ms: poll until 0.35 ms
    clock.nowMs = 0.3;
    expect(iterate()).toBe(1);
    expect(queue).toHaveLength(1);
    clock.nowMs = 0.35;
    expect(iterate()).toBe(1);
    expect(queue).toHaveLength(0); // the window closed: the loop may sleep again
    expect(poller.turns).toBe(3);
    poller.touch(); // new traffic starts a new chain
    expect(queue).toHaveLength(1);
  });

  it("stops for good when stopped, even inside a window", () => {
    const { poller, queue, iterate } = harness(1000);
    poller.touch();
    poller.stop();
    expect(iterate()).toBe(1);
    expect(queue).toHaveLength(0);
    poller.touch();
    expect(queue).toHaveLength(0);
  });
});
