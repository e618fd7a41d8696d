import { describe, expect, it } from "vitest";
import { createDropper } from "../src/loss.js";

function dropsOf(probability: number, seed: number, draws: number): boolean[] {
  const shouldDrop = createDropper(probability, seed);
  return Array.from({ length: draws }, () => shouldDrop());
}

describe("createDropper", () => {
  it("never drops at probability 0 and always at 1", () => {
    expect(dropsOf(0, 1, 1000).some((d) => d)).toBe(false);
    expect(dropsOf(1, 1, 1000).every((d) => d)).toBe(true);
  });

  it.each([0.05, 0.1, 0.3, 0.5])("drops about %s of the datagrams", (probability) => {
    for (const seed of [1, 2, 3, 0xffffffff]) {
      const share = dropsOf(probability, seed, 20_000).filter((d) => d).length / 20_000;
      expect(Math.abs(share - probability), `seed ${seed}`).toBeLessThan(0.02);
    }
  });

  it("replays the same decisions from the same seed, and others from another", () => {
    expect(dropsOf(0.3, 42, 500)).toEqual(dropsOf(0.3, 42, 500));
    expect(dropsOf(0.3, 42, 500)).not.toEqual(dropsOf(0.3, 43, 500));
  });
});
