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
    const bytes = encodeEntry({ kind: "command", index: 1, term: 1, data } as never);
    const entry = decodeEntry(bytes);
    bytes.fill(0);
    expect(entry).toMatchObject({ data: new Uint8Array([1, 2, 3]) });
  });

  it("a message's byte fields view the input only when the caller hands it over (adopt)", () => {
    const chunk = new Uint8Array([4, 5, 6]);
    const message = {
      type: "installSnapshot",
      from: "a",
      to: "b",
      term: 2,
      snapshotIndex: 9,
      snapshotTerm: 1,
      membership: { voters: ["a", "b"], learners: [] },
      size: 3,
      checksum: 7,
      offset: 0,
      data: chunk,
      done: true,
      seq: 1,
    } as never;
    const copied = decodeMessage(encodeMessage(message)) as { data: Uint8Array };
    const bytes = encodeMessage(message);
    const adopted = decodeMessage(bytes, { adopt: true }) as { data: Uint8Array };
    expect(adopted.data.buffer).toBe(bytes.buffer);
    expect(copied.data).toEqual(chunk);
    expect(adopted.data).toEqual(chunk);
    bytes.fill(0);
    expect(adopted.data).toEqual(new Uint8Array(3)); // a view: the caller must not reuse it
  });
});
