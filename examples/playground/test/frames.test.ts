import { describe, expect, it } from "vitest";
import { FrameColumns, lineAt, nodeFrame, transferables } from "../src/replay/frames.js";

// The replay's packed frames give back what the recorder stored, past the columns' first growth,
// with lines of any script, and survive a transfer (the worker's postMessage) intact.

describe("packed replay frames", () => {
  it("give back every row, tail and line after packing and a transfer", () => {
    const columns = new FrameColumns();
    const lines = ["  0ms n1 tick", "  5ms n2 ← n1 appendEntries «ünïcødé» 🚣", "fault crash n3"];
    const lineOf = (i: number) => `${lines[i % 3]} #${i}`;
    const tails = [columns.addTail(1, []), columns.addTail(4, [1, 1, 2])];
    const rows = 3000; // past the first growth (1,024 rows)
    for (let i = 0; i < rows; i++) {
      columns.push({
        timeMs: i * 1.5,
        node: i % 5,
        crashed: -1,
        role: i % 4,
        term: i,
        vote: i % 3 === 0 ? -1 : 2,
        commit: i * 2,
        applied: i,
        tail: tails[i % 2]!,
        line: columns.addLine(lineOf(i)), // 3,000 lines: past the bytes' first growth too
      });
    }
    const packed = columns.pack();
    const moved = structuredClone(packed, { transfer: transferables(packed) });
    expect(packed.term.length).toBe(0); // transferred, not copied
    expect(moved.count).toBe(rows);
    for (const i of [0, 1, 1023, 1024, 2999]) {
      expect(moved.timeMs[i]).toBe(i * 1.5);
      expect(lineAt(moved, i)).toBe(lineOf(i));
      expect(nodeFrame(moved, i)).toEqual({
        role: ["follower", "preCandidate", "candidate", "leader"][i % 4],
        term: i,
        vote: i % 3 === 0 ? null : 2,
        commit: i * 2,
        applied: i,
        tailStart: i % 2 === 0 ? 1 : 4,
        tail: i % 2 === 0 ? [] : [1, 1, 2],
      });
    }
  });
});
