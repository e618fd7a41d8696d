import { describe, expect, it } from "vitest";
import { StatsRecorder } from "../../src/driver/stats.js";
import type { Index, NodeId, Term } from "../../src/ids.js";
import type { InstallSnapshot } from "../../src/message.js";

// Snapshot bytes resent are what a transfer wasted: an operator (and `bench growth`) sees how much
// of a catch-up was sending again what had been sent, which the payload bytes alone hide.

function chunk(
  to: string,
  offset: number,
  length: number,
  snapshotIndex = 100,
  snapshotTerm = 2,
): InstallSnapshot {
  return {
    type: "installSnapshot",
    from: "a" as NodeId,
    to: to as NodeId,
    term: 3 as Term,
    snapshotIndex: snapshotIndex as Index,
    snapshotTerm: snapshotTerm as Term,
    membership: { voters: ["a", "b", "c"] as NodeId[], learners: [] },
    size: 1000,
    checksum: 0,
    offset,
    data: new Uint8Array(length),
    done: offset + length === 1000,
    seq: 1,
  };
}

describe("StatsRecorder: snapshot bytes resent", () => {
  it("counts only the bytes a chunk repeats of what went to the same follower", () => {
    const stats = new StatsRecorder();
    stats.sent([chunk("b", 0, 100), chunk("b", 100, 100), chunk("c", 0, 100)]);
    expect(stats.snapshot().snapshotBytesResent).toBe(0);
    stats.sent([chunk("b", 100, 100)]); // a gap resent
    expect(stats.snapshot().snapshotBytesResent).toBe(100);
    stats.sent([chunk("b", 150, 100)]); // half old, half new
    expect(stats.snapshot().snapshotBytesResent).toBe(150);
    stats.sent([chunk("b", 250, 100), chunk("c", 100, 100)]); // new bytes only
    expect(stats.snapshot().snapshotBytesResent).toBe(150);
    expect(stats.snapshot().payloadBytesSent.installSnapshot).toBe(700);
  });

  it("starts afresh with another snapshot", () => {
    const stats = new StatsRecorder();
    stats.sent([chunk("b", 0, 100, 100, 2)]);
    stats.sent([chunk("b", 0, 100, 200, 2), chunk("b", 0, 100, 200, 3)]);
    expect(stats.snapshot().snapshotBytesResent).toBe(0);
    stats.sent([chunk("b", 0, 50, 200, 3)]);
    expect(stats.snapshot().snapshotBytesResent).toBe(50);
  });
});
