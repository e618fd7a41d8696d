// A pure PRNG for the playground's world: its whole state is one number, and a draw returns the
// value and the next state. Kept inside the (immutable) world, so any past moment can be resumed
// and replays the same losses and latencies. Mulberry32: tiny, fast, good enough for a network.

export type Draw = { readonly value: number; readonly random: number };

/** A uniform value in [0, 1) and the PRNG state that follows it. */
export function draw(random: number): Draw {
  const next = (random + 0x6d2b79f5) | 0;
  let t = Math.imul(next ^ (next >>> 15), next | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, random: next };
}

/** An integer in [min, max] and the next state. */
export function drawBetween(random: number, min: number, max: number): Draw {
  const d = draw(random);
  return { value: min + Math.floor(d.value * (max - min + 1)), random: d.random };
}
