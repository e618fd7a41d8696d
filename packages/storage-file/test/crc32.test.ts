// The core's CRC-32 (a JS table CRC, sliced by eight) and node:zlib's, which FileStorage uses for
// the snapshot files, must agree: the core compares a received snapshot's running CRC with the
// leader's, which its storage computed with zlib. Random bytes, random split points (the core's
// CRC runs across chunks), and lengths around the eight-byte step. Also FileStorage's own: the
// CRC-32 of a snapshot file combined from its blocks' (one pass over the bytes for both).
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32 } from "@flotilla/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32Combine, crc32ShiftFor } from "../src/crc32-combine.js";
import { BlockChecksums } from "../src/snapshot-checks.js";

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

describe("the CRC-32 of joined bytes from their parts' (crc32-combine.ts)", () => {
  it("is node:zlib's CRC-32 of the whole, at any split", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), (bytes, at) => {
        const split = bytes.length === 0 ? 0 : at % (bytes.length + 1);
        const head = bytes.subarray(0, split);
        const tail = bytes.subarray(split);
        const joined = crc32Combine(zlibCrc32(head), zlibCrc32(tail), crc32ShiftFor(tail.length));
        expect(joined).toBe(zlibCrc32(bytes));
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it("gives BlockChecksums the whole file's size and CRC-32 from one pass, in any slicing", () => {
    // Across several 64 KiB blocks, fed in slices of random sizes, the last block partial or not.
    const sizes = [0, 1, 65_535, 65_536, 65_537, 3 * 65_536, 200_003];
    fc.assert(
      fc.property(
        fc.constantFrom(...sizes),
        fc.array(fc.integer({ min: 1, max: 90_000 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (size, cuts, fill) => {
          const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 131 + fill) & 0xff);
          const blocks = new BlockChecksums();
          for (let at = 0, n = 0; at < size; n += 1) {
            const take = cuts[n % cuts.length] as number;
            blocks.add(bytes.subarray(at, at + take));
            at += take;
          }
          expect(blocks.size).toBe(size);
          expect(blocks.checksum).toBe(zlibCrc32(bytes));
          const table = blocks.finish();
          expect(table.length).toBe(Math.ceil(size / 65_536));
          for (let b = 0; b < table.length; b += 1) {
            expect(table[b]).toBe(zlibCrc32(bytes.subarray(b * 65_536, (b + 1) * 65_536)));
          }
        },
      ),
      { seed: 13, numRuns: 60 },
    );
  });
});
