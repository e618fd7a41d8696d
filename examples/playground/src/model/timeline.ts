import type { World } from "./types.js";

// Every moment of a run, oldest first. Worlds are immutable and share structure, so keeping them
// all costs little; past `capacity` the oldest half is thinned to every other moment, so a long
// run stays scrubbable end to end at a coarser grain where it is oldest.

export class Timeline {
  #worlds: World[];
  #cursor = 0;
  readonly #capacity: number;

  constructor(first: World, capacity = 40_000) {
    this.#worlds = [first];
    this.#capacity = capacity;
  }

  get current(): World {
    return this.#worlds[this.#cursor]!;
  }

  get cursor(): number {
    return this.#cursor;
  }

  get length(): number {
    return this.#worlds.length;
  }

  get atEnd(): boolean {
    return this.#cursor === this.#worlds.length - 1;
  }

  at(position: number): World {
    return this.#worlds[Math.max(0, Math.min(position, this.#worlds.length - 1))]!;
  }

  /** Shows a past (or the latest) moment; nothing is lost until something new happens there. */
  seek(position: number): World {
    this.#cursor = Math.max(0, Math.min(position, this.#worlds.length - 1));
    return this.current;
  }

  /**
   * Records what happened after the current moment. Seen from a past moment this starts a new
   * branch: the old future is dropped (it stays reproducible: same world, same choices).
   */
  push(world: World): void {
    if (world === this.current) return;
    this.#worlds.length = this.#cursor + 1;
    this.#worlds.push(world);
    if (this.#worlds.length > this.#capacity) this.#thin();
    this.#cursor = this.#worlds.length - 1;
  }

  #thin(): void {
    const half = Math.floor(this.#worlds.length / 2);
    const older = this.#worlds.slice(0, half).filter((_, i) => i % 2 === 0);
    this.#worlds = [...older, ...this.#worlds.slice(half)];
  }
}
