import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FileSystem, ReadableFile } from "../src/fs.js";
import type { CrashMode, SimFileSystem } from "../src/testing.js";

/** A fresh directory under the OS temp dir, and a function that removes it. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "flotilla-storage-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** mulberry32: a small seeded PRNG, so every randomized test replays from its printed seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed from the environment (FLOTILLA_SEED) or fixed, printed so a failure can be replayed. */
export function testSeed(name: string, fallback: number): number {
  const fromEnv = process.env.FLOTILLA_SEED;
  const seed = fromEnv === undefined ? fallback : Number(fromEnv);
  console.log(`${name}: seed ${seed} (replay with FLOTILLA_SEED=${seed})`);
  return seed;
}

/** Where a segment's data ends: after its last non-zero byte (what follows is zero fill). */
export function dataEnd(bytes: Uint8Array): number {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end -= 1;
  return end;
}

/** The ways a crash test loses unsynced data: none, all, and four seeded random ones from `seed`. */
export function crashModes(seed: number): [string, CrashMode][] {
  const modes: [string, CrashMode][] = [
    ["lose unsynced", "loseUnsynced"],
    ["keep unsynced", "keepUnsynced"],
  ];
  for (let trial = 0; trial < 4; trial++) {
    modes.push([`random seed ${seed + trial}`, { random: prng(seed + trial) }]);
  }
  return modes;
}

/**
 * `sim` as a FileSystem, every call passed through except `openReadable`, which the test wraps
 * (to hold, count or fail the reads of a file).
 */
export function withOpenReadable(
  sim: SimFileSystem,
  openReadable: (path: string) => Promise<ReadableFile | null>,
): FileSystem {
  return {
    mkdir: (path) => sim.mkdir(path),
    readdir: (path) => sim.readdir(path),
    readFile: (path) => sim.readFile(path),
    openWritable: (path, mode) => sim.openWritable(path, mode),
    createExclusive: (path, data) => sim.createExclusive(path, data),
    rename: (from, to) => sim.rename(from, to),
    unlink: (path) => sim.unlink(path),
    syncDir: (path) => sim.syncDir(path),
    openReadable,
  };
}
