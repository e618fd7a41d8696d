import { describe, expect, it } from "vitest";
import { type Interval, overlapMs, slowestWaves } from "./latency-tail.js";

/** `count` commits of `latencyMs`, the first ending at `endMs`, each 0.01 ms after the last. */
function wave(endMs: number, latencyMs: number, count: number): Interval[] {
  return Array.from({ length: count }, (_, k) => {
    const end = endMs + k * 0.01;
    return [end - latencyMs, end] as const;
  });
}

function endsAndLatencies(commits: readonly Interval[]): [number[], number[]] {
  return [commits.map(([, end]) => end), commits.map(([start, end]) => end - start)];
}

describe("slowestWaves", () => {
  it("groups the slowest 1% into the waves they ended in", () => {
    // 9,900 ordinary commits, then two slow waves of 64 and a slow straggler far from both.
    const ordinary = Array.from({ length: 9_900 }, (_, k): Interval => [k, k + 10]);
    const commits = [
      ...ordinary,
      ...wave(20_000, 14, 64),
      ...wave(30_000, 13, 35),
      ...wave(40_000, 12, 1),
    ];
    expect(slowestWaves(...endsAndLatencies(commits), 10)).toEqual([
      [20_000 - 14, 20_000 + 63 * 0.01],
      [30_000 - 13, 30_000 + 34 * 0.01],
      [40_000 - 12, 40_000],
    ]);
  });

  it("joins commits that ended within the gap of the previous one, and no others", () => {
    const commits = [...wave(100, 20, 1), ...wave(109, 20, 1), ...wave(125, 20, 1)];
    expect(slowestWaves(...endsAndLatencies(commits), 10)).toEqual([
      [80, 109],
      [105, 125],
    ]);
  });

  it("has no waves without commits", () => {
    expect(slowestWaves([], [], 10)).toEqual([]);
  });
});

describe("overlapMs", () => {
  it("sums the parts of each pause inside each window", () => {
    const windows: Interval[] = [
      [0, 10],
      [20, 30],
    ];
    const pauses: Interval[] = [
      [-1, 1], // 1 ms inside the first
      [5, 6], // 1 ms
      [9, 21], // 1 ms in the first, 1 in the second
      [40, 50], // outside both
    ];
    expect(overlapMs(windows, pauses)).toBe(4);
  });
});
