import { describe, expect, it } from "vitest";
import { decodeEntry, decodeMessage, encodeEntry, encodeMessage } from "../../src/index.js";
import { fromHex, goldenEntry, goldenMessages, toHex } from "./golden.js";

describe("codec golden bytes (format version 1)", () => {
  for (const { name, message, hex } of goldenMessages) {
    it(`encodes ${name} to its known bytes and back`, () => {
      const expected = fromHex(hex);
      expect(toHex(encodeMessage(message))).toBe(toHex(expected));
      expect(decodeMessage(expected)).toStrictEqual(message);
    });
  }

  it("encodes a standalone entry record to its known bytes and back", () => {
    const expected = fromHex(goldenEntry.hex);
    expect(toHex(encodeEntry(goldenEntry.entry))).toBe(toHex(expected));
    expect(decodeEntry(expected)).toStrictEqual(goldenEntry.entry);
  });

  it("covers every message type", () => {
    const types = new Set(goldenMessages.map(({ message }) => message.type));
    expect([...types].sort()).toEqual(
      [
        "appendEntries",
        "appendEntriesResponse",
        "installSnapshot",
        "installSnapshotResponse",
        "readIndexRequest",
        "readIndexResponse",
        "requestVote",
        "requestVoteResponse",
        "snapshotRequest",
        "timeoutNow",
      ].sort(),
    );
  });
});
