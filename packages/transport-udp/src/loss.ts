// Fault injection: drop a random share of outgoing datagrams, as a lossy network would. For tests
// and benchmarks ("how does the cluster behave at 10% loss?") without iptables or root. Each
// datagram is dropped on its own, like a router dropping packets, so a message split into several
// datagrams is lost if any one of them is. The draws come from a seeded PRNG so a lossy run can be
// replayed; off (probability 0) by default, and then no draw is made at all.

/** Decides, datagram by datagram, whether to drop it. */
export type Dropper = () => boolean;

/** A dropper that drops each datagram with `probability` (in [0, 1]), seeded by `seed`. */
export function createDropper(probability: number, seed: number): Dropper {
  if (probability <= 0) return () => false;
  if (probability >= 1) return () => true;
  const random = seededUniform(seed);
  return () => random() < probability;
}

/**
 * Uniform numbers in [0, 1) from a 32-bit seed (mulberry32: one 32-bit word of state, good enough
 * spread for fault injection; not for cryptography).
 */
function seededUniform(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}
