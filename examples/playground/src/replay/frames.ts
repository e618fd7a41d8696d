// A recorded run as columns of numbers: one row per frame, typed arrays that the worker hands to
// the page without copying (transferred, not structured-cloned), and the trace lines as UTF-8
// bytes with offsets. A run of 200,000 steps was 200,000 small objects (each with its own copy
// of the log tail) that the recorder allocated per step and the page then received by
// structured clone; as columns it is a few buffers, and a log tail is stored once per change.

/** A node's part, as recorded: a role code indexes this list. */
export const roles = ["follower", "preCandidate", "candidate", "leader"] as const;

/** One recorded run, ready to post: every column has `count` rows. */
export type PackedFrames = {
  readonly count: number;
  readonly timeMs: Float64Array;
  /** The stepping node's number (0-based), or -1 for a note (a fault, a client's operation). */
  readonly node: Int8Array;
  /** A note's crashed node (0-based), or -1. */
  readonly crashed: Int8Array;
  readonly role: Uint8Array;
  readonly term: Int32Array;
  /** Voted for (0-based), or -1. */
  readonly vote: Int8Array;
  readonly commit: Int32Array;
  readonly applied: Int32Array;
  /** The frame's log tail: tail k is `tailData[tailOffsets[k] .. tailOffsets[k + 1])`, its first number the index of the next. */
  readonly tail: Int32Array;
  readonly tailOffsets: Int32Array;
  readonly tailData: Int32Array;
  /** The frame's trace line: line k is the UTF-8 of `lineBytes[lineOffsets[k] .. lineOffsets[k + 1])`. */
  readonly line: Int32Array;
  readonly lineOffsets: Int32Array;
  readonly lineBytes: Uint8Array;
};

/** One node as of one frame, decoded for drawing. */
export type NodeFrame = {
  readonly role: string;
  readonly term: number;
  /** 0-based node number, or null. */
  readonly vote: number | null;
  readonly commit: number;
  readonly applied: number;
  /** The index of `tail[0]`; the tail holds the terms of the log's last entries. */
  readonly tailStart: number;
  readonly tail: readonly number[];
};

/** The buffers of a packed run, for `postMessage`'s transfer list. */
export function transferables(frames: PackedFrames): ArrayBuffer[] {
  return columnsOf(frames).map((column) => column.buffer as ArrayBuffer);
}

function columnsOf(frames: PackedFrames): readonly ArrayBufferView[] {
  return [
    frames.timeMs,
    frames.node,
    frames.crashed,
    frames.role,
    frames.term,
    frames.vote,
    frames.commit,
    frames.applied,
    frames.tail,
    frames.tailOffsets,
    frames.tailData,
    frames.line,
    frames.lineOffsets,
    frames.lineBytes,
  ];
}

export function nodeFrame(frames: PackedFrames, position: number): NodeFrame {
  const k = frames.tail[position]!;
  const from = frames.tailOffsets[k]!;
  const to = frames.tailOffsets[k + 1]!;
  const vote = frames.vote[position]!;
  return {
    role: roles[frames.role[position]!] ?? "follower",
    term: frames.term[position]!,
    vote: vote < 0 ? null : vote,
    commit: frames.commit[position]!,
    applied: frames.applied[position]!,
    tailStart: frames.tailData[from]!,
    tail: Array.from(frames.tailData.subarray(from + 1, to)),
  };
}

export function lineAt(frames: PackedFrames, position: number): string {
  const k = frames.line[position];
  if (k === undefined) return "";
  return utf8Decoder.decode(
    frames.lineBytes.subarray(frames.lineOffsets[k], frames.lineOffsets[k + 1]),
  );
}

/** Growable columns: the recorder appends rows, `pack` trims them to size. */
export class FrameColumns {
  count = 0;
  #capacity: number;
  #timeMs: Float64Array;
  #node: Int8Array;
  #crashed: Int8Array;
  #role: Uint8Array;
  #term: Int32Array;
  #vote: Int8Array;
  #commit: Int32Array;
  #applied: Int32Array;
  #tail: Int32Array;
  #line: Int32Array;
  readonly #tailData = new IntList();
  readonly #tailOffsets = new IntList();
  // Lines as bytes, not strings: a run's 100,000s of trace lines would otherwise stay on the
  // worker's heap as as many strings for the garbage collector to walk until the run ends.
  readonly #lineOffsets = new IntList();
  #lineBytes: Uint8Array;
  #lineBytesUsed = 0;

  /**
   * `capacity`: the rows to make room for at once, when the caller knows about how many it will
   * add (each doubling copies every column).
   */
  constructor(capacity = 1024) {
    this.#capacity = Math.max(1, capacity);
    this.#timeMs = new Float64Array(this.#capacity);
    this.#node = new Int8Array(this.#capacity);
    this.#crashed = new Int8Array(this.#capacity);
    this.#role = new Uint8Array(this.#capacity);
    this.#term = new Int32Array(this.#capacity);
    this.#vote = new Int8Array(this.#capacity);
    this.#commit = new Int32Array(this.#capacity);
    this.#applied = new Int32Array(this.#capacity);
    this.#tail = new Int32Array(this.#capacity);
    this.#line = new Int32Array(this.#capacity);
    // About 60 bytes a line: room for the expected rows at once, as each doubling copies them all
    // (growing the lines was a twentieth of a recorded run in Chromium).
    this.#lineBytes = new Uint8Array(Math.max(64 * 1024, this.#capacity * 64));
  }

  /** Stores a log tail (its first index, then its terms) and returns its number. */
  addTail(start: number, terms: readonly number[]): number {
    this.#tailOffsets.push(this.#tailData.length);
    this.#tailData.push(start);
    for (const term of terms) this.#tailData.push(term);
    return this.#tailOffsets.length - 1;
  }

  /** Stores a trace line and returns its number. */
  addLine(line: string): number {
    this.#lineOffsets.push(this.#lineBytesUsed);
    if (this.#lineBytes.length - this.#lineBytesUsed < line.length * 3) {
      this.#lineBytes = grown(this.#lineBytes, 2 * this.#lineBytes.length + line.length * 3);
    }
    // Trace lines are ASCII but for a few operators' values: copied a character at a time, as
    // their UTF-8. `encodeInto` on a view of the buffer cost a tenth of a recorded run's time in
    // Chromium (an allocation and a call out of JavaScript per line; docs/benchmarks.md).
    const bytes = this.#lineBytes;
    let at = this.#lineBytesUsed;
    for (let i = 0; i < line.length; i++) {
      const code = line.charCodeAt(i);
      if (code >= 0x80) {
        at =
          this.#lineBytesUsed +
          utf8Encoder.encodeInto(line, bytes.subarray(this.#lineBytesUsed)).written;
        break;
      }
      bytes[at++] = code;
    }
    this.#lineBytesUsed = at;
    return this.#lineOffsets.length - 1;
  }

  get lineCount(): number {
    return this.#lineOffsets.length;
  }

  /** Appends a frame; `node` is -1 for a note, which leaves the node columns at 0. */
  push(row: {
    readonly timeMs: number;
    readonly node: number;
    readonly crashed: number;
    readonly role: number;
    readonly term: number;
    readonly vote: number;
    readonly commit: number;
    readonly applied: number;
    readonly tail: number;
    readonly line: number;
  }): void {
    if (this.count === this.#capacity) this.#grow();
    const i = this.count++;
    this.#timeMs[i] = row.timeMs;
    this.#node[i] = row.node;
    this.#crashed[i] = row.crashed;
    this.#role[i] = row.role;
    this.#term[i] = row.term;
    this.#vote[i] = row.vote;
    this.#commit[i] = row.commit;
    this.#applied[i] = row.applied;
    this.#tail[i] = row.tail;
    this.#line[i] = row.line;
  }

  /**
   * The frames, for the page: views of the columns' own buffers, not copies (copying them was a
   * twentieth of a recorded run in Chromium), so nothing may be added after. Their buffers go to
   * the page as they are (`transferables`), with the room the columns had left.
   */
  pack(): PackedFrames {
    const n = this.count;
    const lineOffsets = new Int32Array(this.#lineOffsets.length + 1);
    lineOffsets.set(this.#lineOffsets.values());
    lineOffsets[this.#lineOffsets.length] = this.#lineBytesUsed;
    const tailOffsets = new Int32Array(this.#tailOffsets.length + 1);
    tailOffsets.set(this.#tailOffsets.values());
    tailOffsets[this.#tailOffsets.length] = this.#tailData.length;
    return {
      count: n,
      timeMs: this.#timeMs.subarray(0, n),
      node: this.#node.subarray(0, n),
      crashed: this.#crashed.subarray(0, n),
      role: this.#role.subarray(0, n),
      term: this.#term.subarray(0, n),
      vote: this.#vote.subarray(0, n),
      commit: this.#commit.subarray(0, n),
      applied: this.#applied.subarray(0, n),
      tail: this.#tail.subarray(0, n),
      tailOffsets,
      tailData: this.#tailData.values(),
      line: this.#line.subarray(0, n),
      lineOffsets,
      lineBytes: this.#lineBytes.subarray(0, this.#lineBytesUsed),
    };
  }

  #grow(): void {
    this.#capacity *= 2;
    this.#timeMs = grown(this.#timeMs, this.#capacity);
    this.#node = grown(this.#node, this.#capacity);
    this.#crashed = grown(this.#crashed, this.#capacity);
    this.#role = grown(this.#role, this.#capacity);
    this.#term = grown(this.#term, this.#capacity);
    this.#vote = grown(this.#vote, this.#capacity);
    this.#commit = grown(this.#commit, this.#capacity);
    this.#applied = grown(this.#applied, this.#capacity);
    this.#tail = grown(this.#tail, this.#capacity);
    this.#line = grown(this.#line, this.#capacity);
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

type Column = Float64Array | Int32Array | Int8Array | Uint8Array;

function grown<T extends Column>(column: T, capacity: number): T {
  const next = new (column.constructor as new (length: number) => T)(capacity);
  next.set(column as never);
  return next;
}

/** An append-only list of 32-bit integers. */
class IntList {
  length = 0;
  #data = new Int32Array(1024);

  push(value: number): void {
    if (this.length === this.#data.length) this.#data = grown(this.#data, this.length * 2);
    this.#data[this.length++] = value;
  }

  values(): Int32Array {
    return this.#data.slice(0, this.length);
  }
}
