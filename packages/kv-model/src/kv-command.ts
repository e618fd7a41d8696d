import { KvCommandError } from "./errors.js";
import type { KvInput } from "./kv-types.js";

// The byte format of a key-value command, as proposed to Raft and stored in the log:
//
//   byte 0        opcode: 1 put, 2 get, 3 cas expecting a value, 4 cas expecting absence
//   then          strings, each as an unsigned LEB128 length followed by that many UTF-8 bytes:
//                   put: key, value     get: key
//                   cas (3): key, expected, value       cas (4): key, value
//
// No version byte: new commands take new opcodes. A get goes through the log too, so reads in
// the simulator are linearizable by construction and the checker tests the log, not a lease.
// Decoding is strict (bounds, lengths, UTF-8, no trailing bytes) and throws KvCommandError.

const PUT = 1;
const GET = 2;
const CAS = 3;
const CAS_ABSENT = 4;
const LENGTH_MAX = 0xffff_ffff;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes one operation as a log command (compact binary; the inverse of `decodeKvCommand`). */
export function encodeKvCommand(command: KvInput): Uint8Array {
  let opcode: number;
  let strings: readonly string[];
  switch (command.op) {
    case "put":
      opcode = PUT;
      strings = [command.key, command.value];
      break;
    case "get":
      opcode = GET;
      strings = [command.key];
      break;
    case "cas":
      opcode = command.expected === null ? CAS_ABSENT : CAS;
      strings =
        command.expected === null
          ? [command.key, command.value]
          : [command.key, command.expected, command.value];
      break;
    default: {
      const never: never = command;
      throw new KvCommandError(`unknown command ${JSON.stringify(never)}`);
    }
  }
  // Short ASCII strings are their own UTF-8 (written by `writeAsciiInto`), others are encoded.
  // One allocation of the exact size: a byte at a time through a number[] took ~250 ms for a
  // 1 MiB value, blocking a server's event loop long enough to lose its leadership.
  const parts = strings.map((text) => (isShortAscii(text) ? text : encoder.encode(text)));
  let size = 1;
  for (const part of parts) size += varintBytes(part.length) + part.length;
  const bytes = new Uint8Array(size);
  bytes[0] = opcode;
  let offset = 1;
  for (const part of parts) {
    offset = writeVarint(part.length, bytes, offset);
    if (typeof part === "string") writeAsciiInto(part, bytes, offset);
    else bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/**
 * Strings up to this length that are all ASCII are copied a character at a time, without
 * `TextEncoder`/`TextDecoder`: keys and values are mostly short, and a call into the encoder with
 * a view of the target costs more than the loop (several times more in Chromium, where the
 * simulator runs in the playground's worker: docs/benchmarks.md). Longer strings go through the
 * encoder, whose native loop wins on length.
 */
const shortStringMax = 64;

function isShortAscii(text: string): boolean {
  if (text.length > shortStringMax) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Writes an ASCII `text` as its bytes at `offset` (the caller checked `isShortAscii`). */
function writeAsciiInto(text: string, target: Uint8Array, offset: number): void {
  for (let i = 0; i < text.length; i++) target[offset + i] = text.charCodeAt(i);
}

/**
 * Writes the command `put key value` into `target` at `offset`, as `encodeKvCommand` would encode
 * it, without intermediate arrays (snapshots write hundreds of thousands of these). Returns the
 * bytes written, or 0 if `target` has no room for the largest the command could be (3 UTF-8
 * bytes per UTF-16 unit): the caller then gives it a fresh buffer of `putBytesMax(key, value)`.
 */
export function writeKvPutInto(
  key: string,
  value: string,
  target: Uint8Array,
  offset: number,
): number {
  if (offset + putBytesMax(key, value) > target.length) return 0;
  target[offset] = PUT;
  let at = writeStringInto(key, target, offset + 1);
  at = writeStringInto(value, target, at);
  return at - offset;
}

/** The most bytes `put key value` can take, whatever its characters. */
export function putBytesMax(key: string, value: string): number {
  return 1 + 5 + key.length * 3 + 5 + value.length * 3;
}

/** Writes `text` as its varint length and UTF-8 bytes at `offset`; returns the offset after. */
function writeStringInto(text: string, target: Uint8Array, offset: number): number {
  // The length's varint comes first, but the UTF-8 length is known only once encoded: when the
  // shortest and longest possible lengths take the same varint, encode in place after it.
  if (isShortAscii(text)) {
    target[offset] = text.length; // under 128: a one-byte varint
    writeAsciiInto(text, target, offset + 1);
    return offset + 1 + text.length;
  }
  const prefix = varintBytes(text.length);
  if (prefix !== varintBytes(text.length * 3)) {
    const bytes = encoder.encode(text);
    const at = writeVarint(bytes.length, target, offset);
    target.set(bytes, at);
    return at + bytes.length;
  }
  const { written } = encoder.encodeInto(text, target.subarray(offset + prefix));
  writeVarint(written, target, offset);
  return offset + prefix + written;
}

function writeVarint(n: number, target: Uint8Array, offset: number): number {
  let at = offset;
  for (let rest = n; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) {
      target[at++] = rest;
      return at;
    }
    target[at++] = (rest & 0x7f) | 0x80;
  }
}

/** The bytes of `n` as an unsigned LEB128 varint. */
function varintBytes(n: number): number {
  let count = 1;
  for (let rest = Math.floor(n / 128); rest > 0; rest = Math.floor(rest / 128)) count += 1;
  return count;
}

class Reader {
  #offset = 1;
  /** False once a length was read from a longer varint than it needs (valid, not canonical). */
  shortestLengths = true;
  constructor(readonly bytes: Uint8Array) {}

  string(field: string): string {
    const length = this.#length(field);
    const start = this.#offset;
    this.#offset += length;
    const ascii = length <= shortStringMax ? asciiAt(this.bytes, start, length) : null;
    if (ascii !== null) return ascii;
    const slice = this.bytes.subarray(start, start + length);
    try {
      return decoder.decode(slice);
    } catch {
      throw new KvCommandError(`${field} is not valid UTF-8`);
    }
  }

  /** Skips a string checked by `isUtf8` without decoding it; returns where its bytes start. */
  skipString(field: string, isUtf8: (bytes: Uint8Array) => boolean): number {
    const length = this.#length(field);
    const start = this.#offset;
    this.#offset += length;
    if (!isUtf8(this.bytes.subarray(start, start + length))) {
      throw new KvCommandError(`${field} is not valid UTF-8`);
    }
    return start;
  }

  /** Reads a string's varint length and checks that its bytes are within the command. */
  #length(field: string): number {
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.bytes[this.#offset++];
      if (byte === undefined) throw new KvCommandError(`truncated length of ${field}`);
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        if (byte === 0 && shift > 0) this.shortestLengths = false;
        break;
      }
      if (shift >= 28) throw new KvCommandError(`length of ${field} is too long a varint`);
    }
    if (length > LENGTH_MAX || this.#offset + length > this.bytes.length) {
      throw new KvCommandError(`${field} claims ${length} bytes, past the end of the command`);
    }
    return length;
  }

  end(): void {
    if (this.#offset !== this.bytes.length) {
      throw new KvCommandError(`${this.bytes.length - this.#offset} trailing bytes`);
    }
  }
}

/** The `length` bytes at `start` as a string if they are all ASCII (valid UTF-8 as they are). */
function asciiAt(bytes: Uint8Array, start: number, length: number): string | null {
  let text = "";
  for (let i = start; i < start + length; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return null;
    text += String.fromCharCode(byte);
  }
  return text;
}

/**
 * Decodes a log command strictly (bounds, lengths, UTF-8, no trailing bytes); throws
 * `KvCommandError` for bad bytes.
 */
export function decodeKvCommand(bytes: Uint8Array): KvInput {
  const reader = new Reader(bytes);
  const opcode = bytes[0];
  let command: KvInput;
  switch (opcode) {
    case PUT:
      command = { op: "put", key: reader.string("key"), value: reader.string("value") };
      break;
    case GET:
      command = { op: "get", key: reader.string("key") };
      break;
    case CAS: {
      const key = reader.string("key");
      const expected = reader.string("expected");
      command = { op: "cas", key, expected, value: reader.string("value") };
      break;
    }
    case CAS_ABSENT:
      command = {
        op: "cas",
        key: reader.string("key"),
        expected: null,
        value: reader.string("value"),
      };
      break;
    default:
      throw new KvCommandError(opcode === undefined ? "empty command" : `unknown opcode ${opcode}`);
  }
  reader.end();
  return command;
}

/** A `put` command read without decoding its value: its key, and where its value's bytes start. */
export type KvPutParts = {
  readonly key: string;
  /** The value is the command's bytes from here to its end. */
  readonly valueStart: number;
  /**
   * Whether the bytes are exactly what `encodeKvCommand` gives for this put (each length in its
   * shortest varint): the one encoding of a key and value, which a store can hash or keep as is.
   */
  readonly canonical: boolean;
};

/**
 * Reads a `put` command as strictly as `decodeKvCommand` (bounds, lengths, UTF-8, no trailing
 * bytes) but leaves its value as bytes, for a store that keeps values outside the JS heap; null
 * for any other opcode. `isUtf8` checks the value (default: a fatal `TextDecoder`; a runtime
 * with a native check, like Node's `buffer.isUtf8`, passes that one). Throws `KvCommandError`.
 */
export function decodeKvPut(
  bytes: Uint8Array,
  isUtf8: (bytes: Uint8Array) => boolean = decodesAsUtf8,
): KvPutParts | null {
  if (bytes[0] !== PUT) return null;
  const reader = new Reader(bytes);
  const key = reader.string("key");
  const valueStart = reader.skipString("value", isUtf8);
  reader.end();
  return { key, valueStart, canonical: reader.shortestLengths };
}

/**
 * Where the value of a well-formed `put` command starts (one this process wrote or checked with
 * `decodeKvPut`): its bytes run from there to the command's end. No checks.
 */
export function kvPutValueStart(put: Uint8Array): number {
  let at = 1;
  let keyLength = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = put[at++] as number;
    keyLength += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  at += keyLength;
  let byte: number;
  do {
    byte = put[at++] as number;
  } while (byte >= 0x80);
  return at;
}

function decodesAsUtf8(bytes: Uint8Array): boolean {
  try {
    decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
