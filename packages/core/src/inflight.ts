// The in-flight window of one follower: for every AppendEntries sent to it and not yet
// acknowledged, oldest first, the last log index it carried and its entries' bytes. Immutable
// with shared structure, like the log: adding at the tip of the backing arrays pushes in place,
// freeing advances a start pointer, so neither costs more than the messages it touches.

export class Inflight {
  static readonly empty = new Inflight([], [], 0, 0, 0);

  private constructor(
    private readonly lastIndexes: number[],
    /** Entry bytes of each message, parallel to lastIndexes. */
    private readonly sizes: number[],
    private readonly start: number,
    // Invariant: start <= end <= lastIndexes.length; lastIndexes[start..end) is increasing.
    private readonly end: number,
    /** Invariant: the sum of sizes[start..end). */
    readonly bytes: number,
  ) {}

  get count(): number {
    return this.end - this.start;
  }

  /** The window with one more message, whose entries end at `lastIndex` and hold `bytes`. */
  add(lastIndex: number, bytes: number): Inflight {
    if (this.end === this.lastIndexes.length && this.start < 1024) {
      this.lastIndexes.push(lastIndex);
      this.sizes.push(bytes);
      return new Inflight(
        this.lastIndexes,
        this.sizes,
        this.start,
        this.end + 1,
        this.bytes + bytes,
      );
    }
    // Not at the tip (an older state is being replayed), or a long-freed prefix: copy the live part.
    const lastIndexes = this.lastIndexes.slice(this.start, this.end);
    const sizes = this.sizes.slice(this.start, this.end);
    lastIndexes.push(lastIndex);
    sizes.push(bytes);
    return new Inflight(lastIndexes, sizes, 0, lastIndexes.length, this.bytes + bytes);
  }

  /** The window without the messages whose entries all end at or before `index`. */
  freeTo(index: number): Inflight {
    let start = this.start;
    let bytes = this.bytes;
    while (start < this.end && this.lastIndexes[start]! <= index) {
      bytes -= this.sizes[start]!;
      start++;
    }
    if (start === this.start) return this;
    if (start === this.end) return Inflight.empty;
    return new Inflight(this.lastIndexes, this.sizes, start, this.end, bytes);
  }
}
