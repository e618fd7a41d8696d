import { describe, expect, it } from "vitest";
import { Inflight } from "../src/inflight.js";
import { initialProgress, isPaused, onAck, onSent, toProbe, toReplicate } from "../src/progress.js";

const limits = (inflightMessagesMax: number, inflightBytesMax = 1e9) => ({
  inflightMessagesMax,
  inflightBytesMax,
});

describe("progress", () => {
  it("probe: one message in flight, unpaused by any answer", () => {
    let pr = initialProgress(5, 1, false);
    expect(isPaused(pr, limits(4))).toBe(false);
    pr = onSent(pr, 6, true, 1);
    expect(isPaused(pr, limits(4))).toBe(true);
    expect(pr.next).toBe(5); // a probe does not move next optimistically
    pr = onAck(pr, 0, 1);
    expect(isPaused(pr, limits(4))).toBe(false);
  });

  it("replicate: the window fills to the maximum and frees as acks arrive", () => {
    let pr = toReplicate({ ...initialProgress(5, 1, false), match: 4 }, 2);
    for (let i = 0; i < 3; i++) pr = onSent(pr, 5 + i, true, 1);
    expect(pr.next).toBe(8);
    expect(pr.inflight.count).toBe(3);
    expect(isPaused(pr, limits(3))).toBe(true);
    pr = onAck(pr, 6, 3);
    expect(pr.match).toBe(6);
    expect(pr.inflight.count).toBe(1);
    expect(isPaused(pr, limits(3))).toBe(false);
  });

  it("replicate: the window also fills by bytes", () => {
    let pr = toReplicate({ ...initialProgress(5, 1, false), match: 4 }, 2);
    pr = onSent(pr, 5, true, 600);
    expect(isPaused(pr, limits(10, 1000))).toBe(false);
    pr = onSent(pr, 6, true, 400);
    expect(pr.inflight.bytes).toBe(1000);
    expect(isPaused(pr, limits(10, 1000))).toBe(true);
    pr = onAck(pr, 5, 3);
    expect(pr.inflight.bytes).toBe(400);
    expect(isPaused(pr, limits(10, 1000))).toBe(false);
  });

  it("match never decreases; a stale ack changes only liveness", () => {
    let pr = toReplicate({ ...initialProgress(1, 1, false), match: 0 }, 1);
    pr = onSent(pr, 10, true, 1);
    pr = onAck(pr, 10, 2);
    const again = onAck(pr, 3, 3);
    expect(again.match).toBe(10);
    expect(again.next).toBe(11);
  });

  it("toProbe never moves next to or below match", () => {
    const pr = toReplicate({ ...initialProgress(1, 1, false), match: 7 }, 1);
    expect(toProbe(pr, 2, 5).next).toBe(8);
    expect(toProbe(pr, 20, 5).next).toBe(20);
  });

  it("the in-flight window shares structure but old values never change", () => {
    const a = Inflight.empty.add(1, 10).add(2, 20);
    const b = a.add(3, 30);
    const c = a.add(9, 90); // not at the tip: copies
    expect(b.count).toBe(3);
    expect(c.count).toBe(3);
    expect(a.count).toBe(2);
    expect(b.freeTo(2).count).toBe(1);
    expect(c.freeTo(2).freeTo(8).count).toBe(1);
    expect(a.freeTo(5)).toBe(Inflight.empty);
    expect([a.bytes, b.bytes, c.bytes, b.freeTo(2).bytes, c.freeTo(1).bytes]).toEqual([
      30, 60, 120, 30, 110,
    ]);
  });
});
