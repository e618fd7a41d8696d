// What --stall-causes makes of the servers' records: each stall's GC share, counted per window.
import { describe, expect, it } from "vitest";
import {
  attributeStalls,
  describeCauses,
  describeStall,
  stallCauses,
} from "./growth-stall-causes.js";

const servers = [
  {
    id: "a",
    stalls: [
      { startMs: 1000, ms: 60, ranMs: 50, waitedMs: 10 }, // a mark-compact of 40 ms: mostly GC
      { startMs: 2000, ms: 45, ranMs: 15, waitedMs: 30 }, // a 10 ms scavenge, mostly waiting
      { startMs: 3000, ms: 30, ranMs: 30, waitedMs: 0 }, // too short to list
      { startMs: 4000, ms: 100, ranMs: 5, waitedMs: 5 }, // asleep through a 90 ms scavenge
    ],
    gcs: [
      { startMs: 1010, ms: 40, kind: "markCompact" as const },
      { startMs: 2030, ms: 10, kind: "scavenge" as const },
      { startMs: 2900, ms: 120, kind: "scavenge" as const },
      { startMs: 4005, ms: 90, kind: "scavenge" as const },
    ],
  },
  {
    id: "b",
    // A scavenge straddling its start: 30 of its 50 ms; no scheduler statistics.
    stalls: [{ startMs: 1990, ms: 50, ranMs: -1, waitedMs: -1 }],
    gcs: [{ startMs: 1970, ms: 50, kind: "scavenge" as const }],
  },
];

describe("stall causes", () => {
  it("gives each listed stall the GC pauses that overlap it", () => {
    const stalls = attributeStalls(servers, 0, 10_000);
    expect(stalls.map(({ id, ms, gcMs, gcKind }) => [id, ms, gcMs, gcKind])).toEqual([
      ["a", 60, 40, "markCompact"],
      ["b", 50, 30, "scavenge"],
      ["a", 45, 10, "scavenge"],
      ["a", 100, 90, "scavenge"],
    ]);
    expect(stalls.map(describeStall)).toEqual([
      "a 60 (GC 40 markCompact, CPU 50, wait 10, blocked 0)",
      "b 50 (GC 30 scavenge)",
      "a 45 (GC 10 scavenge, CPU 15, wait 30, blocked 0)",
      "a 100 (GC 90 scavenge, CPU 5, wait 5, blocked 90)",
    ]);
  });

  it("counts a window's stalls by when they ended", () => {
    expect(attributeStalls(servers, 0, 2041)).toHaveLength(2);
    expect(attributeStalls(servers, 1061, 2045)).toHaveLength(1);
  });

  it("counts the stalls mostly GC, by kind, and mostly waiting, and names the longest", () => {
    const causes = stallCauses(attributeStalls(servers, 0, 10_000));
    expect(causes).toMatchObject({
      stalls: 4,
      mostlyGc: 3,
      mostlyGcByKind: { markCompact: 1, scavenge: 2 },
      mostlyWaiting: 1,
      mostlyBlocked: 1,
      longest: { id: "a", ms: 100 },
      mostOnCpu: { id: "a", ms: 60, ranMs: 50 },
    });
    expect(describeCauses(causes)).toBe(
      "4 stalls >= 40 ms, 3 mostly GC (markCompact 1, scavenge 2), 1 mostly waiting for a CPU, " +
        "1 mostly blocked; longest a 100 ms: GC 90 (scavenge), on a CPU 5, waiting 5; " +
        "most on a CPU a 50 ms (of 60)",
    );
  });
});
