// The encoder walks a message once per pass through a Sink: first a Sizer (which validates every
// field and adds up the exact size), then a Writer into one buffer of that size. One walk for both
// passes means the size and the bytes can never disagree, and each message costs one allocation.

import { EncodeError } from "./errors.js";
import { utf8Encode } from "./utf8.js";

export interface Sink {
  byte(value: number): void;
  uint(value: number, field: string): void;
  bool(value: boolean, field: string): void;
  nodeId(value: string, field: string): void;
  bytes(value: Uint8Array, field: string): void;
  /** Enters a named field or a list item, for error paths; `leave` undoes it. */
  enter(segment: string | number): void;
  leave(): void;
  /** Throws the EncodeError for a value outside its type (an unknown message type or entry kind). */
  invalid(field: string, reason: string): never;
}

/** Bytes of the unsigned LEB128 form of a safe non-negative integer. */
export function uintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  if (value < 2 ** 35) return 5;
  if (value < 2 ** 42) return 6;
  if (value < 2 ** 49) return 7;
  return 8;
}

export class Sizer implements Sink {
  size = 0;
  private readonly path: (string | number)[] = [];

  byte(): void {
    this.size += 1;
  }

  uint(value: number, field: string): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      this.invalid(field, `must be a non-negative safe integer, got ${String(value)}`);
    }
    this.size += uintSize(value);
  }

  bool(value: boolean, field: string): void {
    if (typeof value !== "boolean") this.invalid(field, `must be a boolean, got ${typeof value}`);
    this.size += 1;
  }

  nodeId(value: string, field: string): void {
    if (typeof value !== "string" || value.length === 0) {
      this.invalid(field, "a node id must be a non-empty string");
    }
    const encoded = utf8Encode(value);
    if (encoded === undefined)
      this.invalid(field, "a node id must not hold a lone UTF-16 surrogate");
    this.size += uintSize(encoded.length) + encoded.length;
  }

  bytes(value: Uint8Array, field: string): void {
    if (!(value instanceof Uint8Array)) this.invalid(field, "must be a Uint8Array");
    this.size += uintSize(value.length) + value.length;
  }

  enter(segment: string | number): void {
    this.path.push(segment);
  }

  leave(): void {
    this.path.pop();
  }

  invalid(field: string, reason: string): never {
    throw new EncodeError(joinPath(this.path, field), reason);
  }
}

export class Writer implements Sink {
  pos = 0;
  constructor(readonly out: Uint8Array) {}

  byte(value: number): void {
    this.out[this.pos++] = value;
  }

  uint(value: number): void {
    const out = this.out;
    let pos = this.pos;
    let rest = value;
    while (rest >= 0x80) {
      // `& 0x7f` sees the low 32 bits, which hold the low 7 bits even above 2^32.
      out[pos++] = (rest & 0x7f) | 0x80;
      rest = rest > 0x7fffffff ? Math.floor(rest / 128) : rest >>> 7;
    }
    out[pos++] = rest;
    this.pos = pos;
  }

  bool(value: boolean): void {
    this.out[this.pos++] = value ? 1 : 0;
  }

  nodeId(value: string): void {
    // The Sizer already checked it is encodable (and cached the bytes).
    this.raw(utf8Encode(value)!);
  }

  bytes(value: Uint8Array): void {
    this.raw(value);
  }

  enter(): void {}

  leave(): void {}

  invalid(field: string, reason: string): never {
    // Unreachable after a Sizer pass over the same value; kept so a Writer alone is still safe.
    throw new EncodeError(field, reason);
  }

  private raw(value: Uint8Array): void {
    this.uint(value.length);
    this.out.set(value, this.pos);
    this.pos += value.length;
  }
}

/** `["appendEntries", "entries", 3]` and `"data"` give `appendEntries.entries[3].data`. */
export function joinPath(segments: readonly (string | number)[], field: string): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else path += path === "" ? segment : `.${segment}`;
  }
  if (field === "") return path;
  return path === "" ? field : `${path}.${field}`;
}
