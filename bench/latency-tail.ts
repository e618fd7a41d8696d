// Where a latency phase's p99 comes from. At 64 in flight the lanes move in one or two waves a
// round trip (each wave's acknowledgements commit its proposals in one leader turn, and their lanes
// propose again together), so whatever holds the thread (a collection, the host, a long turn)
// delays a whole wave at once. The slowest 1% of a 3 s phase is then a handful of waves, and the
// p99 is about the latency of its third-worst round trip: a few events decide it, which is why it
// moves from run to run. This groups the slowest 1% into those waves and measures how much of the
// garbage collectors' pauses fell inside them (session 12, issue 10).

/** A span of time, [start, end], in ms on a clock shared by everything compared with it. */
export type Interval = readonly [startMs: number, endMs: number];

/**
 * The commits at or above the p99 latency (the same rank `percentile` reads), grouped into waves:
 * sorted by when they ended, a commit that ended within `gapMs` of the previous one joins its wave.
 * Each wave is the span from its earliest proposal to its last commit. Commit k ended at `ends[k]`
 * after `latencies[k]` ms (two arrays of numbers: no object per commit in the measured heap).
 */
export function slowestWaves(
  ends: readonly number[],
  latencies: readonly number[],
  gapMs: number,
): Interval[] {
  if (latencies.length === 0) return [];
  const sorted = latencies.slice().sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]!;
  const slowest: Interval[] = [];
  for (let k = 0; k < latencies.length; k++) {
    if (latencies[k]! >= p99) slowest.push([ends[k]! - latencies[k]!, ends[k]!]);
  }
  slowest.sort((a, b) => a[1] - b[1]);
  const waves: [number, number][] = [];
  for (const [start, end] of slowest) {
    const last = waves.at(-1);
    if (last !== undefined && end - last[1] <= gapMs) {
      last[0] = Math.min(last[0], start);
      last[1] = end;
    } else waves.push([start, end]);
  }
  return waves;
}

/** How long `pauses` and `windows` overlap, summed over every pair, in ms. */
export function overlapMs(windows: readonly Interval[], pauses: readonly Interval[]): number {
  let total = 0;
  for (const [from, to] of windows) {
    for (const [start, end] of pauses) {
      const overlap = Math.min(to, end) - Math.max(from, start);
      if (overlap > 0) total += overlap;
    }
  }
  return total;
}
