import { describe, expect, it } from "vitest";
import { Prng } from "../src/index.js";

function draws(prng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => prng.nextUint32());
}

describe("Prng", () => {
  it("replays the same stream from the same seed", () => {
    expect(draws(new Prng(42), 100)).toEqual(draws(new Prng(42), 100));
    expect(draws(new Prng(2 ** 40 + 7), 10)).toEqual(draws(new Prng(2 ** 40 + 7), 10));
  });

  it("gives different streams for different seeds, including seeds that differ above 32 bits", () => {
    expect(draws(new Prng(1), 10)).not.toEqual(draws(new Prng(2), 10));
    expect(draws(new Prng(5), 10)).not.toEqual(draws(new Prng(5 + 2 ** 32), 10));
  });

  it("forks independently of how much the parent has drawn", () => {
    const fresh = new Prng(7);
    const used = new Prng(7);
    draws(used, 1000);
    expect(draws(used.fork("network"), 20)).toEqual(draws(fresh.fork("network"), 20));
    expect(draws(fresh.fork("network"), 20)).not.toEqual(draws(fresh.fork("disk"), 20));
    expect(draws(fresh.fork("a").fork("b"), 5)).toEqual(draws(new Prng(7).fork("a").fork("b"), 5));
    expect(draws(fresh.fork("a"), 20)).not.toEqual(draws(fresh, 20));
  });

  it("draws integers in range, roughly uniformly (seed 99)", () => {
    const prng = new Prng(99);
    const counts = new Array<number>(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = prng.int(10);
      if (!(x >= 0 && x < 10 && Number.isInteger(x))) outOfRange++;
      else counts[x] = (counts[x] as number) + 1;
    }
    expect(outOfRange).toBe(0);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    // Large bounds stay exact and in range (a float multiply-high would lose bits above 2^53).
    const big = Array.from({ length: 1000 }, () => prng.int(3_000_000_000));
    expect(big.every((x) => Number.isInteger(x) && x >= 0 && x < 3_000_000_000)).toBe(true);
    expect(big.filter((x) => x >= 1_500_000_000).length).toBeGreaterThan(400);
    const between = Array.from({ length: 1000 }, () => prng.intBetween(3, 5));
    expect(new Set(between)).toEqual(new Set([3, 4, 5]));
  });

  it("keeps floats in [0, 1) and honours chance at the extremes", () => {
    const prng = new Prng(3);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = prng.next();
      expect(x >= 0 && x < 1).toBe(true);
      if (prng.chance(0.25)) hits++;
      expect(prng.chance(0)).toBe(false);
      expect(prng.chance(1)).toBe(true);
    }
    expect(Math.abs(hits - 2500)).toBeLessThan(200);
  });

  it("shuffles to a permutation and rejects bad arguments", () => {
    const prng = new Prng(11);
    expect(prng.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => new Prng(1.5)).toThrow(TypeError);
    expect(() => prng.int(0)).toThrow(RangeError);
    expect(() => prng.pick([])).toThrow(RangeError);
  });
});
