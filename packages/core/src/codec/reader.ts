// Bounds-checked reading of the primitives specified in codec.ts. Every read checks the bytes it
// needs are there before touching them and fails with a DecodeError naming the field; nothing here
// can throw anything else, allocate more than the input's size, or loop more than once per input
// byte.

import type { NodeId } from "../ids.js";
import { DecodeError } from "./errors.js";
import { joinPath } from "./sink.js";
import { utf8Decode } from "./utf8.js";

/** LEB128 groups needed for 2^53-1: 8 × 7 = 56 bits. */
const uintBytesMax = 8;

export class Reader {
  pos: number;
  private readonly path: (string | number)[] = [];
  private owned: Uint8Array | undefined;

  /**
   * `adopt`: the caller hands `input` over and never changes it, so byte fields view it directly;
   * otherwise the first byte field copies the input once and every byte field views that copy.
   */
  constructor(
    readonly input: Uint8Array,
    start = 0,
    adopt = false,
  ) {
    this.pos = start;
    if (adopt) this.owned = input;
  }

  get remaining(): number {
    return this.input.length - this.pos;
  }

  byte(field: string): number {
    if (this.pos >= this.input.length) this.fail(field, this.pos, "input ends here");
    return this.input[this.pos++]!;
  }

  uint(field: string): number {
    const input = this.input;
    const start = this.pos;
    let pos = start;
    let value = 0;
    let scale = 1;
    for (let i = 1; ; i++) {
      if (pos >= input.length) this.fail(field, pos, "varint cut short: input ends here");
      const b = input[pos++]!;
      // Exact below 2^53; above it the sum may round, but only to values that still exceed the max.
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (b === 0 && i > 1) this.fail(field, start, "non-canonical varint (overlong encoding)");
        if (value > Number.MAX_SAFE_INTEGER) {
          this.fail(field, start, "varint exceeds 2^53-1 (Number.MAX_SAFE_INTEGER)");
        }
        this.pos = pos;
        return value;
      }
      if (i === uintBytesMax) this.fail(field, start, `varint longer than ${uintBytesMax} bytes`);
      scale *= 128;
    }
  }

  bool(field: string): boolean {
    const start = this.pos;
    const b = this.byte(field);
    if (b === 0) return false;
    if (b === 1) return true;
    return this.fail(field, start, `boolean byte must be 0 or 1, got ${b}`);
  }

  nodeId(field: string): NodeId {
    const start = this.pos;
    const length = this.length(field);
    if (length === 0) this.fail(field, start, "empty node id");
    const text = utf8Decode(this.input, this.pos, this.pos + length);
    if (text === undefined) this.fail(field, this.pos, "node id is not valid UTF-8");
    this.pos += length;
    return text as NodeId;
  }

  /**
   * A length-prefixed byte string. It is a view into one private copy of the input, made on the
   * first payload of a decode: the caller may reuse its buffer afterwards, and every payload of
   * a message shares that one copy instead of costing an allocation each.
   */
  bytes(field: string): Uint8Array {
    const length = this.length(field);
    this.owned ??= this.input.slice();
    const view = this.owned.subarray(this.pos, this.pos + length);
    this.pos += length;
    return view;
  }

  /** A list's item count; each item takes at least `itemBytesMin`, so absurd counts fail here. */
  count(field: string, itemBytesMin: number): number {
    const start = this.pos;
    const count = this.uint(field);
    if (count * itemBytesMin > this.remaining) {
      this.fail(
        field,
        start,
        `count ${count} needs at least ${count * itemBytesMin} bytes but only ${this.remaining} remain`,
      );
    }
    return count;
  }

  /** Every byte must belong to the value: trailing bytes mean a different (or corrupt) encoding. */
  end(field: string): void {
    if (this.pos !== this.input.length) {
      this.fail(field, this.pos, `${this.input.length - this.pos} trailing bytes after the end`);
    }
  }

  enter(segment: string | number): void {
    this.path.push(segment);
  }

  leave(): void {
    this.path.pop();
  }

  fail(field: string, offset: number, reason: string): never {
    throw new DecodeError(joinPath(this.path, field), offset, reason);
  }

  private length(field: string): number {
    const start = this.pos;
    const length = this.uint(field);
    if (length > this.remaining) {
      this.fail(
        field,
        start,
        `length ${length} past end of input (${this.remaining} bytes remain)`,
      );
    }
    return length;
  }
}
