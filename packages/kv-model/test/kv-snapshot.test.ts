import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareKeys,
  decodeKvSnapshot,
  encodeKvSnapshot,
  encodeKvSnapshotSlices,
  KvCommandError,
  KvSnapshotDecoder,
} from "../src/index.js";

const SEED = 4_242;
const text = fc.string({ unit: "grapheme", maxLength: 40 });
const stateArb = fc.dictionary(text, text, { maxKeys: 60 }).map((o) => new Map(Object.entries(o)));

function sortedEntries(state: ReadonlyMap<string, string>): Array<readonly [string, string]> {
  return [...state.keys()].sort(compareKeys).map((key) => [key, state.get(key) as string]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Cuts `bytes` at the given offsets (taken modulo its length), in order. */
function cut(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const points = [...new Set(at.map((n) => (bytes.length === 0 ? 0 : n % bytes.length)))].sort(
    (a, b) => a - b,
  );
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}

describe("snapshot slices and the streaming decoder", () => {
  it(`slices join to the one-buffer snapshot, each of whole records (fast-check seed ${SEED})`, () => {
    fc.assert(
      fc.property(stateArb, fc.integer({ min: 1, max: 200 }), (state, sliceBytes) => {
        const slices = [...encodeKvSnapshotSlices(sortedEntries(state), sliceBytes)];
        expect(concat(slices)).toEqual(encodeKvSnapshot(state));
        for (const [i, slice] of slices.entries()) {
          if (i < slices.length - 1) expect(slice.length).toBeGreaterThanOrEqual(sliceBytes);
          expect(decodeKvSnapshot(slice).size).toBeGreaterThan(0); // whole records only
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it(`decodes chunks cut at any byte to the same state (fast-check seed ${SEED})`, () => {
    fc.assert(
      fc.property(stateArb, fc.array(fc.nat(), { maxLength: 30 }), (state, at) => {
        const decoder = new KvSnapshotDecoder();
        const entries = cut(encodeKvSnapshot(state), at).flatMap((chunk) => decoder.push(chunk));
        decoder.end();
        expect(entries).toEqual(sortedEntries(state));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("refuses a stream that ends inside a record", () => {
    const bytes = encodeKvSnapshot(new Map([["k", "value"]]));
    for (const length of [2, bytes.length - 1]) {
      const decoder = new KvSnapshotDecoder();
      expect(decoder.push(bytes.subarray(0, length))).toEqual([]);
      expect(() => decoder.end()).toThrow(KvCommandError);
    }
  });
});
