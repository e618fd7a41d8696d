// The core's CRC-32 (a JS table CRC, sliced by eight) and node:zlib's, which FileStorage uses for
// the snapshot files, must agree: the core compares a received snapshot's running CRC with the
// leader's, which its storage computed with zlib. Random bytes, random split points (the core's
// CRC runs across chunks), and lengths around the eight-byte step.
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32 } from "@flotilla/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("core's crc32", () => {
  it("agrees with node:zlib's, whole and continued across any split", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, at) => {
        const split = bytes.length === 0 ? 0 : at % (bytes.length + 1);
        const whole = zlibCrc32(bytes);
        expect(crc32(bytes)).toBe(whole);
        expect(crc32(bytes.subarray(split), crc32(bytes.subarray(0, split)))).toBe(whole);
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it("agrees on every length around the eight-byte step, at every alignment", () => {
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let start = 0; start < 8; start++) {
      for (let length = 0; length <= 33; length++) {
        const slice = bytes.subarray(start, start + length);
        expect(crc32(slice), `start ${start} length ${length}`).toBe(zlibCrc32(slice));
      }
    }
  });
});
