import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEntry, decodeMessage, encodeEntry, encodeMessage } from "../../src/index.js";
import { entryArb, messageArbs } from "../arbitraries.js";
import { seeded } from "./seed.js";

describe("codec round trip", () => {
  for (const [type, arbitrary] of Object.entries(messageArbs)) {
    it(`decode(encode(m)) equals m and re-encodes identically: ${type}`, () => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          const bytes = encodeMessage(message);
          const decoded = decodeMessage(bytes);
          expect(decoded).toStrictEqual(message);
          expect(encodeMessage(decoded)).toStrictEqual(bytes);
        }),
        seeded(500),
      );
    });
  }
  it("decodeEntry(encodeEntry(e)) equals e for every entry kind", () => {
    fc.assert(
      fc.property(entryArb, (entry) => {
        const bytes = encodeEntry(entry);
        const decoded = decodeEntry(bytes);
        expect(decoded).toStrictEqual(entry);
        expect(encodeEntry(decoded)).toStrictEqual(bytes);
      }),
      seeded(1000),
    );
  });
  it("decoded payloads do not alias the input buffer", () => {
    const data = new Uint8Array([1, 2, 3]);
    const bytes = encodeEntry({ kind: "command", index: 1, term: 1, data });
    const entry = decodeEntry(bytes);
    bytes.fill(0);
    expect(entry).toMatchObject({ data: new Uint8Array([1, 2, 3]) });
  });
});
//# sourceMappingURL=round-trip.test.js.map
