import type { Entry } from "./entry.js";
import type { Index, Term } from "./ids.js";

// The replicated log as an immutable value whose updates cost O(change), not O(length).
//
// Every RaftLog is a view (offset, length) onto a backing array that may be shared with other
// views. Appending at the tip of the backing array pushes in place: older views keep their own
// shorter length, so they never see the new entries. Appending to a view that is not the tip (it
// was truncated, or an older state is being replayed) first copies the view into a fresh backing
// array. That copy is the only O(n) operation and it only happens on truncation or replay.
//
// A parallel array of running byte totals lets the reducer ask "how many bytes after index i"
// in O(1) (the uncommitted-bytes limit) without summing entries.

/** Bytes an entry counts for in batching and the uncommitted-bytes limit. */
export function entryBytes(entry: Entry): number {
  switch (entry.kind) {
    case "command":
      return entry.data.byteLength;
    case "noop":
      return 0;
    case "membership": {
      const m = entry.membership;
      let bytes = 0;
      for (const id of m.voters) bytes += id.length;
      for (const id of m.learners) bytes += id.length;
      for (const id of m.outgoing ?? []) bytes += id.length;
      return bytes;
    }
    default:
      return unreachable(entry);
  }
}

// A compacted prefix is dropped from the backing array once it is this large and larger than
// what remains, so compaction is amortised O(1) per entry.
const compactCopyThreshold = 4096;

export class RaftLog {
  private constructor(
    private readonly backing: Entry[],
    // Invariant: cumulative[i] = sum of entryBytes(backing[0..i]) for i < backing.length (a typed
    // array with spare capacity: the garbage collector never scans it, growth is a memcpy).
    private readonly cumulative: Float64Array,
    private readonly offset: number,
    /** Number of entries in this view. Invariant: offset + length <= backing.length. */
    readonly length: number,
    /** The index just before the first entry (a snapshot's index, or 0). */
    readonly baseIndex: number,
    /** The term of the entry at baseIndex (0 when baseIndex is 0). */
    readonly baseTerm: number,
  ) {}

  /** A log holding copies of `entries` (contiguous from baseIndex + 1). */
  static from(entries: readonly Entry[], baseIndex: number, baseTerm: number): RaftLog {
    const backing: Entry[] = entries.slice();
    const cumulative = new Float64Array(Math.max(16, backing.length * 2));
    let total = 0;
    for (let i = 0; i < backing.length; i++) {
      total += entryBytes(backing[i]!);
      cumulative[i] = total;
    }
    return new RaftLog(backing, cumulative, 0, backing.length, baseIndex, baseTerm);
  }

  get firstIndex(): number {
    return this.baseIndex + 1;
  }

  get lastIndex(): number {
    return this.baseIndex + this.length;
  }

  get lastTerm(): number {
    return this.length === 0 ? this.baseTerm : this.backing[this.offset + this.length - 1]!.term;
  }

  /** The term of the entry at `index`, or undefined when it is compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseTerm;
    if (index < this.baseIndex || index > this.lastIndex) return undefined;
    return this.backing[this.offset + index - this.baseIndex - 1]!.term;
  }

  /** The entry at `index`, if the log holds it. */
  entry(index: number): Entry | undefined {
    if (index <= this.baseIndex || index > this.lastIndex) return undefined;
    return this.backing[this.offset + index - this.baseIndex - 1];
  }

  /** Entries from..to inclusive, clamped to what the log holds. O(to - from). */
  slice(from: number, to: number): Entry[] {
    const start = Math.max(from, this.firstIndex);
    const end = Math.min(to, this.lastIndex);
    if (end < start) return [];
    const base = this.offset - this.baseIndex - 1;
    return this.backing.slice(base + start, base + end + 1);
  }

  /**
   * Entries from `from` on, as many as fit in `bytesMax` but always at least one (an entry larger
   * than the budget still has to travel). Cost is proportional to the batch, not the log.
   */
  batch(from: number, bytesMax: number): Entry[] {
    if (from > this.lastIndex || from <= this.baseIndex) return [];
    const startPos = this.offset + from - this.baseIndex - 1;
    const before = startPos === 0 ? 0 : this.cumulative[startPos - 1]!;
    const endPos = this.offset + this.length; // exclusive
    // Binary search for the last position whose running total stays within budget.
    let lo = startPos;
    let hi = endPos - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.cumulative[mid]! - before <= bytesMax) lo = mid;
      else hi = mid - 1;
    }
    return this.backing.slice(startPos, lo + 1);
  }

  /** Bytes held in entries after `index` (up to the end). O(1). */
  bytesAfter(index: number): number {
    const clamped = Math.max(index, this.baseIndex);
    if (clamped >= this.lastIndex) return 0;
    return this.cumulativeAt(this.lastIndex) - this.cumulativeAt(clamped);
  }

  /** A log with `entries` appended; they must continue at lastIndex + 1 (the caller checks). */
  append(entries: readonly Entry[]): RaftLog {
    if (entries.length === 0) return this;
    const atTip = this.offset + this.length === this.backing.length;
    const backing = atTip
      ? this.backing
      : this.backing.slice(this.offset, this.offset + this.length);
    const offset = atTip ? this.offset : 0;
    const used = backing.length;
    let cumulative = atTip ? this.cumulative : rebase(this.cumulative, this.offset, this.length);
    if (used + entries.length > cumulative.length) {
      const grown = new Float64Array(Math.max(16, (used + entries.length) * 2));
      grown.set(cumulative.subarray(0, used));
      cumulative = grown;
    }
    let total = used === 0 ? 0 : cumulative[used - 1]!;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      total += entryBytes(entry);
      backing.push(entry);
      cumulative[used + i] = total;
    }
    return new RaftLog(
      backing,
      cumulative,
      offset,
      this.length + entries.length,
      this.baseIndex,
      this.baseTerm,
    );
  }

  /** A log without the entries from `index` on. O(1): the next append copies. */
  truncateFrom(index: number): RaftLog {
    if (index > this.lastIndex) return this;
    const length = Math.max(0, index - this.baseIndex - 1);
    return new RaftLog(
      this.backing,
      this.cumulative,
      this.offset,
      length,
      this.baseIndex,
      this.baseTerm,
    );
  }

  /** A log whose entries up to `index` are gone (index becomes the base). Amortised O(1). */
  compactTo(index: number): RaftLog {
    if (index <= this.baseIndex) return this;
    const baseTerm = this.term(Math.min(index, this.lastIndex)) ?? this.baseTerm;
    const dropped = Math.min(index, this.lastIndex) - this.baseIndex;
    const offset = this.offset + dropped;
    const length = this.length - dropped;
    if (offset > compactCopyThreshold && offset > length) {
      const backing = this.backing.slice(offset, offset + length);
      const cumulative = rebase(this.cumulative, offset, length);
      return new RaftLog(backing, cumulative, 0, length, index, baseTerm);
    }
    return new RaftLog(this.backing, this.cumulative, offset, length, index, baseTerm);
  }

  /** The first index holding `term`, searching no lower than the log's first index. O(log n). */
  firstIndexOfTerm(term: number, atOrBelow: number): number {
    // Terms never decrease along the log, so binary search for the first entry with term >= term.
    let lo = this.firstIndex;
    let hi = Math.min(atOrBelow, this.lastIndex);
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.term(mid)! < term) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The last index holding `term`, or undefined if the log holds no entry of it. O(log n). */
  lastIndexOfTerm(term: number): number | undefined {
    let lo = this.baseIndex;
    let hi = this.lastIndex;
    // Find the last index whose term <= term.
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.term(mid)! <= term) lo = mid;
      else hi = mid - 1;
    }
    return this.term(lo) === term ? lo : undefined;
  }

  private cumulativeAt(index: number): number {
    const pos = this.offset + index - this.baseIndex - 1;
    return pos < 0 ? 0 : this.cumulative[pos]!;
  }
}

function rebase(cumulative: Float64Array, offset: number, length: number): Float64Array {
  const before = offset === 0 ? 0 : cumulative[offset - 1]!;
  const out = new Float64Array(Math.max(16, length * 2));
  for (let i = 0; i < length; i++) out[i] = cumulative[offset + i]! - before;
  return out;
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

/** Branded views of log positions, for the public surface. */
export function asIndex(value: number): Index {
  return value as Index;
}
export function asTerm(value: number): Term {
  return value as Term;
}
