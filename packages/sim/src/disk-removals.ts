import type { RemovalPacing } from "@flotilla/storage-file";
import { waitUntil } from "./async-work.js";
import type { AsyncWork } from "./file-disk-storage.js";
import type { ScheduleAt } from "./sim-storage.js";

/**
 * The disk's layout: small segments (4 KiB or 1 KiB, drawn: `segmentBytesMax`), so a run rolls
 * and deletes them too; and what a chunk read of a snapshot costs in virtual time.
 */
export type DiskShape = {
  readonly segmentBytesMax: number;
  readonly readLatency: () => number;
};

/** Thrown into a removal whose process crashed or stopped while it waited (it never surfaces). */
class ProcessGoneError extends Error {}

/**
 * How the simulated disk paces FileStorage's removals of files no longer in force
 * (gradual-removal.ts; 8 MiB cuts shipped): files over a quarter of a segment are cut a quarter
 * at a time, so every covered segment and every snapshot of a padded run takes that path; each
 * removal counted as work in flight while it runs; each cut followed by a disk latency in virtual
 * time and a chance that the node crashes there (`cut`, the swarm's); once the process is gone (a
 * crash, a stop) its removal stops there, as the process would, leaving what is left to the next
 * open. And a chunk read of a snapshot waits a disk latency once it holds the file, so that a
 * newer snapshot may be put in force, and the old file's removal be due, while reads still use
 * it (a leader sends beside its writes).
 */
export class DiskRemovals {
  readonly #work: AsyncWork;
  readonly #nowMs: () => number;
  readonly #scheduleAt: ScheduleAt;
  readonly #latency: () => number;
  readonly #shape: DiskShape;
  /** The process life whose removals count. */
  #life = 0;
  /** Removals of this life under way (between their first and last operation). */
  #running = 0;
  /** Called after each cut of this life's removals. */
  cut: () => void = () => {};

  constructor(
    work: AsyncWork,
    nowMs: () => number,
    scheduleAt: ScheduleAt,
    latency: () => number,
    shape: DiskShape,
  ) {
    this.#work = work;
    this.#nowMs = nowMs;
    this.#scheduleAt = scheduleAt;
    this.#latency = latency;
    this.#shape = shape;
  }

  /** Whether a removal of this life is under way. */
  get removing(): boolean {
    return this.#running > 0;
  }

  /** A new process life (a crash, a stop, amnesia): the old one's removals no longer count. */
  newLife(life: number): void {
    this.#life = life;
    this.#running = 0;
  }

  /** The pacing of the storage opened in `life`. */
  pacing(life: number): RemovalPacing {
    const work = this.#work;
    const wait = (ms: number) => waitUntil(work, this.#nowMs() + ms, this.#scheduleAt);
    return {
      stepBytes: Math.max(1, Math.floor(this.#shape.segmentBytesMax / 4)),
      run: async (removal) => {
        if (life !== this.#life) return;
        work.started();
        this.#running++;
        try {
          await removal();
        } finally {
          if (life === this.#life) this.#running--;
          work.ended();
        }
      },
      afterCut: async () => {
        if (life === this.#life) this.cut();
        await wait(this.#latency());
        if (life !== this.#life) throw new ProcessGoneError();
      },
      beforeChunkRead: () => wait(this.#shape.readLatency()),
    };
  }
}
