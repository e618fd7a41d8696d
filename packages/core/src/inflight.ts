// The in-flight window of one follower: the last log index of every AppendEntries sent to it
// and not yet acknowledged, oldest first. Immutable with shared structure, like the log: adding
// at the tip of the backing array pushes in place, freeing advances a start pointer, so neither
// costs more than the entries it touches.

export class Inflight {
  static readonly empty = new Inflight([], 0, 0);

  private constructor(
    private readonly backing: number[],
    private readonly start: number,
    // Invariant: start <= end <= backing.length; backing[start..end) is increasing.
    private readonly end: number,
  ) {}

  get count(): number {
    return this.end - this.start;
  }

  /** The window with one more message, whose entries end at `lastIndex`. */
  add(lastIndex: number): Inflight {
    if (this.end === this.backing.length && this.start < 1024) {
      this.backing.push(lastIndex);
      return new Inflight(this.backing, this.start, this.end + 1);
    }
    // Not at the tip (an older state is being replayed), or a long-freed prefix: copy the live part.
    const backing = this.backing.slice(this.start, this.end);
    backing.push(lastIndex);
    return new Inflight(backing, 0, backing.length);
  }

  /** The window without the messages whose entries all end at or before `index`. */
  freeTo(index: number): Inflight {
    let start = this.start;
    while (start < this.end && this.backing[start]! <= index) start++;
    if (start === this.start) return this;
    return start === this.end ? Inflight.empty : new Inflight(this.backing, start, this.end);
  }
}
