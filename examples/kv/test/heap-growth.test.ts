import { describe, expect, it } from "vitest";
import { heapGrowthFlag, serverHeapGrowingPercent } from "../src/heap-growth.js";

describe("the kv server's heap growth", () => {
  it("asks V8 for its own growth when the operator chose none", () => {
    expect(heapGrowthFlag(["--conditions=@flotilla/source"], undefined)).toBe(
      `--heap-growing-percent=${serverHeapGrowingPercent}`,
    );
    expect(heapGrowthFlag([], "--max-old-space-size=4096")).toBe(
      `--heap-growing-percent=${serverHeapGrowingPercent}`,
    );
  });

  it("leaves an operator's choice on the command line or in NODE_OPTIONS as it is", () => {
    expect(heapGrowthFlag(["--heap-growing-percent=50"], undefined)).toBeNull();
    expect(heapGrowthFlag(["--heap_growing_percent=50"], undefined)).toBeNull();
    expect(heapGrowthFlag(["--heap-growing-percent", "50"], undefined)).toBeNull();
    expect(heapGrowthFlag([], "--trace-gc --heap-growing-percent=0")).toBeNull();
  });

  it("does not take a flag that merely starts the same way for the operator's", () => {
    expect(heapGrowthFlag(["--heap-growing-percentage=5"], "")).toBe(
      `--heap-growing-percent=${serverHeapGrowingPercent}`,
    );
  });
});
