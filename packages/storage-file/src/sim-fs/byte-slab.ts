// Small byte arrays cut from shared slabs. The simulated file system copies every write (the
// caller may reuse its buffer once the write settles) and grows its files' buffers; a new
// backing store for each is cheap in Node but several times dearer in Chromium, where the
// playground runs the simulator (docs/benchmarks.md): a view of a slab costs an object, not a
// buffer. Slabs are never reused, so what is cut from one starts as zeros, as a new array does;
// a slab lives as long as any array cut from it.

const slabBytes = 64 * 1024;
/** Larger arrays get buffers of their own, so that a slab holds many arrays, not one. */
const ownStoreBytes = slabBytes / 8;

let slab = new Uint8Array(0);
let used = 0;

/** A zeroed array of `length` bytes (a view of a slab when small). */
export function allocateBytes(length: number): Uint8Array {
  if (length > ownStoreBytes) return new Uint8Array(length);
  if (used + length > slab.length) {
    slab = new Uint8Array(slabBytes);
    used = 0;
  }
  const bytes = slab.subarray(used, used + length);
  used += length;
  return bytes;
}

/** A copy of `data` that no later change of `data` reaches. */
export function copyBytes(data: Uint8Array): Uint8Array {
  const copy = allocateBytes(data.length);
  copy.set(data);
  return copy;
}
