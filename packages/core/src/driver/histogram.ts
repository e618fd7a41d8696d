// A fixed-bucket histogram, the shape Prometheus expects (cumulative counts per upper bound), so
// an exporter copies it without re-bucketing. No dependency: core must stay free of them.

/** A histogram's state at one moment: `counts[i]` observations were <= `bounds[i]`. */
export type HistogramSnapshot = {
  /** Upper bounds, ascending; the implicit last bucket is +Infinity and equals `count`. */
  readonly bounds: readonly number[];
  /** Cumulative: observations less than or equal to the bound at the same position. */
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
};

export class Histogram {
  readonly #bounds: readonly number[];
  readonly #perBucket: number[];
  #count = 0;
  #sum = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.#perBucket = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.#count += 1;
    this.#sum += value;
    const bucket = this.#bounds.findIndex((bound) => value <= bound);
    if (bucket >= 0) this.#perBucket[bucket] = (this.#perBucket[bucket] as number) + 1;
  }

  snapshot(): HistogramSnapshot {
    let running = 0;
    const counts = this.#perBucket.map((n) => (running += n));
    return Object.freeze({ bounds: this.#bounds, counts, count: this.#count, sum: this.#sum });
  }
}

/** Milliseconds, from a fast fsync on an SSD to one that outlasts several election timeouts. */
export const latencyBoundsMs: readonly number[] = Object.freeze([
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
]);

/** Bytes, 1 KiB to 1 GiB in steps of 4: snapshot sizes. */
export const sizeBoundsBytes: readonly number[] = Object.freeze(
  Array.from({ length: 11 }, (_, i) => 1024 * 4 ** i),
);
