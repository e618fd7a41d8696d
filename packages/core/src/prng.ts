// A tiny seeded PRNG (mulberry32) whose whole state is one 32-bit number, so it lives inside the
// reducer's state and a replayed state yields the same "random" election timeouts.

/** Advances the generator: returns the next state and a value in [0, 2^32). */
export function nextRandom(state: number): { readonly state: number; readonly value: number } {
  const next = (state + 0x6d2b79f5) | 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { state: next, value: (t ^ (t >>> 14)) >>> 0 };
}

/** The initial PRNG state: the configured seed mixed with a hash of the node id (FNV-1a). */
export function seedFor(seed: number, id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // Fold the (up to 53-bit) seed into 32 bits so large seeds still matter.
  const low = seed | 0;
  const high = Math.floor(seed / 0x100000000) | 0;
  return (hash ^ low ^ Math.imul(high, 0x9e3779b1)) | 0;
}
