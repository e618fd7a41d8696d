import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeKvCommand,
  decodeKvPut,
  encodeKvCommand,
  KvCommandError,
  type KvInput,
  kvPutValueStart,
} from "../src/index.js";
import { putBytesMax, writeKvPutInto } from "../src/kv-command.js";

const SEED = 31_337;
const text = fc.string({ unit: "grapheme", maxLength: 300 });
const commandArb: fc.Arbitrary<KvInput> = fc.oneof(
  fc.record({ op: fc.constant("put" as const), key: text, value: text }),
  fc.record({ op: fc.constant("get" as const), key: text }),
  fc.record({
    op: fc.constant("cas" as const),
    key: text,
    expected: fc.option(text, { nil: null }),
    value: text,
  }),
);

describe("KV command bytes", () => {
  it(`round-trips every command (fast-check seed ${SEED})`, () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        expect(decodeKvCommand(encodeKvCommand(command))).toEqual(command);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it(`writes a put in place exactly as encodeKvCommand encodes it (fast-check seed ${SEED})`, () => {
    // Lengths around the varint boundaries (127/128 UTF-8 bytes), in 1-, 2-, 3- and 4-byte chars.
    const long = fc.string({
      unit: fc.constantFrom("a", "é", "€", "😀"),
      minLength: 30,
      maxLength: 140,
    });
    fc.assert(
      fc.property(fc.oneof(text, long), fc.oneof(text, long), fc.nat(8), (key, value, at) => {
        const expected = encodeKvCommand({ op: "put", key, value });
        const target = new Uint8Array(at + putBytesMax(key, value));
        const written = writeKvPutInto(key, value, target, at);
        expect(target.subarray(at, at + written)).toEqual(expected);
        expect(writeKvPutInto(key, value, new Uint8Array(target.length - 1), at)).toBe(0);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it(`matches TextEncoder's bytes whichever path a string takes (fast-check seed ${SEED})`, () => {
    // Short all-ASCII strings are copied a character at a time, the rest go through the encoder:
    // both paths, and strings that cross from one to the other (length 64, a late non-ASCII
    // character, a lone surrogate), against a reference built here with TextEncoder alone.
    const utf8 = new TextEncoder();
    const reference = (opcode: number, ...strings: string[]) => {
      const out = [opcode];
      for (const part of strings.map((s) => utf8.encode(s))) {
        for (let n = part.length; ; n = Math.floor(n / 128)) {
          if (n < 128) {
            out.push(n);
            break;
          }
          out.push((n & 0x7f) | 0x80);
        }
        out.push(...part);
      }
      return out;
    };
    const mixed = fc.string({
      unit: fc.oneof(
        { weight: 20, arbitrary: fc.constantFrom("a", "Z", "0", "\u0000", "\u007f") },
        { weight: 1, arbitrary: fc.constantFrom("\u0080", "é", "€", "😀", "\ud800") },
      ),
      maxLength: 80,
    });
    fc.assert(
      fc.property(mixed, mixed, (key, value) => {
        const put = encodeKvCommand({ op: "put", key, value });
        expect([...put]).toEqual(reference(1, key, value));
        const target = new Uint8Array(putBytesMax(key, value));
        expect([...target.subarray(0, writeKvPutInto(key, value, target, 0))]).toEqual([...put]);
        const decoded = decodeKvCommand(put);
        // A lone surrogate reads back as U+FFFD, as it does through TextEncoder and TextDecoder.
        const wellFormed = (text: string) => new TextDecoder().decode(utf8.encode(text));
        expect(decoded).toEqual({ op: "put", key: wellFormed(key), value: wellFormed(value) });
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("has the documented compact layout", () => {
    expect([...encodeKvCommand({ op: "put", key: "k", value: "vv" })]).toEqual([
      1, 1, 107, 2, 118, 118,
    ]);
    expect([...encodeKvCommand({ op: "get", key: "k" })]).toEqual([2, 1, 107]);
    expect([...encodeKvCommand({ op: "cas", key: "k", expected: "a", value: "b" })]).toEqual([
      3, 1, 107, 1, 97, 1, 98,
    ]);
    expect([...encodeKvCommand({ op: "cas", key: "k", expected: null, value: "b" })]).toEqual([
      4, 1, 107, 1, 98,
    ]);
    // Lengths of 128 and more take a second LEB128 byte.
    expect([...encodeKvCommand({ op: "get", key: "x".repeat(200) }).subarray(0, 3)]).toEqual([
      2, 0xc8, 0x01,
    ]);
  });

  it("encodes a 1 MiB value with a three-byte length, exactly sized", () => {
    const value = "v".repeat(1024 * 1024);
    const bytes = encodeKvCommand({ op: "put", key: "big", value });
    expect(bytes.length).toBe(1 + 1 + 3 + 3 + value.length);
    expect([...bytes.subarray(0, 8)]).toEqual([1, 3, 98, 105, 103, 0x80, 0x80, 0x40]);
    expect(decodeKvCommand(bytes)).toEqual({ op: "put", key: "big", value });
  });

  it.each([
    ["empty", []],
    ["an unknown opcode", [9, 0]],
    ["a truncated length", [1, 0x80]],
    ["a length past the end", [2, 5, 107]],
    ["trailing bytes", [2, 1, 107, 0]],
    ["invalid UTF-8", [2, 1, 0xff]],
    ["invalid UTF-8 after ASCII", [2, 3, 107, 107, 0xc0]],
    ["a missing value", [1, 1, 107]],
    ["an overlong varint", [2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
    ["a put with invalid UTF-8 in its value", [1, 1, 107, 1, 0xff]],
    ["a put with trailing bytes", [1, 1, 107, 1, 118, 0]],
  ])("rejects %s with KvCommandError", (_name, bytes) => {
    expect(() => decodeKvCommand(Uint8Array.from(bytes))).toThrow(KvCommandError);
    // decodeKvPut rejects every bad put alike (and does not read other opcodes).
    if (bytes[0] === 1) expect(() => decodeKvPut(Uint8Array.from(bytes))).toThrow(KvCommandError);
  });

  it("decodeKvPut tells a put whose lengths take longer varints than they need", () => {
    // "k" -> "v", the value's length 1 written as two bytes (0x81 0x00): valid, not canonical.
    const put = decodeKvPut(Uint8Array.from([1, 1, 107, 0x81, 0x00, 118]));
    expect(put).toEqual({ key: "k", valueStart: 5, canonical: false });
    expect(decodeKvPut(Uint8Array.from([1, 1, 107, 1, 118]))?.canonical).toBe(true);
  });

  it(`decodeKvPut reads a put as decodeKvCommand does, leaving its value as bytes (fast-check seed ${SEED})`, () => {
    const mutated = fc
      .tuple(commandArb, fc.nat(), fc.integer({ min: 0, max: 255 }))
      .map(([command, at, byte]) => {
        const bytes = encodeKvCommand(command);
        if (bytes.length > 1) bytes[1 + (at % (bytes.length - 1))] = byte;
        return bytes;
      });
    fc.assert(
      fc.property(fc.oneof(commandArb.map(encodeKvCommand), mutated), (bytes) => {
        let expected: KvInput | "throws";
        try {
          expected = decodeKvCommand(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(KvCommandError);
          expected = "throws";
        }
        if (expected === "throws") {
          if (bytes[0] === 1) expect(() => decodeKvPut(bytes)).toThrow(KvCommandError);
          return;
        }
        const put = decodeKvPut(bytes);
        if (expected.op !== "put") {
          expect(put).toBeNull();
          return;
        }
        expect(put?.key).toBe(expected.key);
        expect(put?.valueStart).toBe(kvPutValueStart(bytes));
        const canonical = encodeKvCommand(expected);
        expect(put?.canonical).toBe(
          canonical.length === bytes.length && canonical.every((byte, i) => byte === bytes[i]),
        );
        expect(new TextDecoder().decode(bytes.subarray(put?.valueStart))).toBe(expected.value);
        // A checker of the caller's own is what decides the value's UTF-8.
        expect(() => decodeKvPut(bytes, () => false)).toThrow(KvCommandError);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
