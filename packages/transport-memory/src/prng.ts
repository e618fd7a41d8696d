// A small, fast, seeded PRNG for the simulator: xoshiro128** (Blackman & Vigna, 2018) seeded
// through splitmix32. No Math.random anywhere in the simulation: one integer seed drives a whole
// run, and every component gets its own sub-stream through `fork(label)` (TigerBeetle's VOPR does
// the same), so adding a draw in one component never perturbs the others.

const GOLDEN_GAMMA = 0x9e3779b9;

/** splitmix32: a strong 32-bit mixer, used to expand seeds into xoshiro state words. */
function splitmix32(value: number): number {
  let z = (value + GOLDEN_GAMMA) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** FNV-1a over UTF-16 code units: hashes a fork label into 32 bits. */
function hashLabel(label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

function expand(a: number, b: number): [number, number, number, number] {
  const w0 = splitmix32(a ^ b);
  const w1 = splitmix32(w0 + 1);
  const w2 = splitmix32(w1 + 2);
  const w3 = splitmix32(w2 + 3);
  // xoshiro's state must not be all zero; splitmix32 practically never yields that, but be sure.
  return w0 | w1 | w2 | w3 ? [w0, w1, w2, w3] : [1, 2, 3, 4];
}

function rotl(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}

/**
 * A deterministic pseudo-random stream. Not cryptographic. The seed is any safe integer, so a
 * printed seed is always a plain decimal number that replays the run.
 */
export class Prng {
  /** The root words this stream (and every fork of it) derives from; never changed by draws. */
  #root: readonly [number, number, number, number];
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new TypeError(`a PRNG seed must be a safe integer, got ${seed}`);
    }
    const low = seed >>> 0;
    const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
    this.#root = expand(splitmix32(low) ^ splitmix32(high ^ 0x5bd1e995), low);
    [this.#s0, this.#s1, this.#s2, this.#s3] = this.#root;
  }

  /**
   * An independent stream named by `label`. It depends only on this stream's seed and the label
   * (not on how many numbers were drawn), so `new Prng(s).fork("network")` is stable however
   * the parent is used. Forks of forks work the same way: `fork("node").fork("3")`.
   */
  fork(label: string): Prng {
    const [r0, r1, r2, r3] = this.#root;
    const labelHash = hashLabel(label);
    const child = new Prng(0);
    child.#root = expand(
      splitmix32(r0 ^ labelHash) ^ splitmix32(r1 ^ r2),
      r3 ^ rotl(labelHash, 13),
    );
    [child.#s0, child.#s1, child.#s2, child.#s3] = child.#root;
    return child;
  }

  /** The next 32 uniformly random bits, as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** An integer in [0, bound). `bound` must be a positive integer at most 2^32. */
  int(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0 || bound > 0x1_0000_0000) {
      throw new RangeError(`Prng.int: bound must be an integer in [1, 2^32], got ${bound}`);
    }
    // Rejection sampling: drop the top sliver of draws that would bias `x % bound` towards small
    // values. Exact in doubles (every operand stays below 2^32), unlike a multiply-high.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % bound);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % bound;
    }
  }

  /** An integer in [min, max], both inclusive. */
  intBetween(min: number, max: number): number {
    if (max < min) throw new RangeError(`Prng.intBetween: max ${max} < min ${min}`);
    return min + this.int(max - min + 1);
  }

  /** True with probability `probability` (0 never, 1 always). */
  chance(probability: number): boolean {
    return probability > 0 && (probability >= 1 || this.next() < probability);
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Prng.pick: empty array");
    return items[this.int(items.length)] as T;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = items.slice();
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = copy[i] as T;
      copy[i] = copy[j] as T;
      copy[j] = tmp;
    }
    return copy;
  }
}
