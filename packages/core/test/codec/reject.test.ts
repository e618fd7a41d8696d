// Every way the decoder refuses bytes, each named, each checking what the DecodeError says: the
// field path, the offset and the reason. Plus the encoder's refusals of values outside their type.

import { describe, expect, it } from "vitest";
import {
  DecodeError,
  decodeEntry,
  decodeMessage,
  EncodeError,
  encodeMessage,
  FlotillaError,
  type Message,
} from "../../src/index.js";
import { fromHex, goldenEntry, goldenMessages } from "./golden.js";

function decodeError(
  hex: string | Uint8Array,
  decode: (bytes: Uint8Array) => unknown = decodeMessage,
) {
  const bytes = typeof hex === "string" ? fromHex(hex) : hex;
  try {
    decode(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error(`decoded without error: ${String(hex)}`);
}

const rv = "464c0101 026e31 026e32"; // requestVote header and envelope up to the term
const ae = "464c0103 026e31 026e32 05 09 04 08 02"; // appendEntries up to (not incl.) its entry count

describe("decodeMessage rejects", () => {
  it("truncation at every byte of every golden encoding", () => {
    for (const { name, hex } of goldenMessages) {
      const bytes = fromHex(hex);
      for (let length = 0; length < bytes.length; length++) {
        const error = decodeError(bytes.subarray(0, length));
        expect(error.offset, `${name} cut to ${length} bytes`).toBeLessThanOrEqual(length);
      }
    }
    const entry = fromHex(goldenEntry.hex);
    for (let length = 0; length < entry.length; length++) {
      decodeError(entry.subarray(0, length), decodeEntry);
    }
  });

  it("trailing bytes", () => {
    const error = decodeError(`${goldenMessages[0]!.hex} 00`);
    expect(error).toMatchObject({ path: "requestVote", offset: 15 });
    expect(error.reason).toBe("1 trailing bytes after the end");
    expect(decodeError(`${goldenEntry.hex} 0000`, decodeEntry).reason).toContain("2 trailing");
  });

  it("bad magic", () => {
    expect(decodeError("464d0101026e31026e32050001")).toMatchObject({ path: "magic", offset: 0 });
    expect(decodeError("")).toMatchObject({ path: "magic", offset: 0 });
  });

  it("unknown format version", () => {
    const error = decodeError("464c0201026e31026e3205010104");
    expect(error).toMatchObject({ path: "version", offset: 2 });
    expect(error.message).toBe(
      "version: unsupported format version 2 (this build reads 1) at offset 2",
    );
  });

  it("unknown message type tag, and an entry record where a message belongs", () => {
    for (const tag of ["00", "0b", "10", "ff"]) {
      expect(decodeError(`464c01${tag} 026e31 026e32 05`)).toMatchObject({
        path: "tag",
        offset: 3,
      });
    }
    expect(decodeError(goldenEntry.hex)).toMatchObject({ path: "tag", offset: 3 });
  });

  it("a message where an entry record belongs", () => {
    const error = decodeError(goldenMessages[0]!.hex, decodeEntry);
    expect(error).toMatchObject({ path: "tag", offset: 3, reason: "not an entry record: tag 1" });
  });

  it("unknown entry kind", () => {
    expect(decodeError(`${ae} 01 03 0a 05`)).toMatchObject({
      path: "appendEntries.entries[0].kind",
      offset: 16,
      reason: "unknown entry kind 3",
    });
    expect(decodeError("464c0110 07 01 01", decodeEntry)).toMatchObject({ path: "entry.kind" });
  });

  it("overlong (non-canonical) varints", () => {
    for (const term of ["8000", "ff00", "808000", "858000"]) {
      expect(decodeError(`${rv} ${term} 01 01 01`)).toMatchObject({
        path: "requestVote.term",
        offset: 10,
        reason: "non-canonical varint (overlong encoding)",
      });
    }
  });

  it("varints longer than 8 bytes", () => {
    expect(decodeError(`${rv} 808080808080808001 01 01 01`)).toMatchObject({
      path: "requestVote.term",
      reason: "varint longer than 8 bytes",
    });
  });

  it("varints above Number.MAX_SAFE_INTEGER", () => {
    for (const term of ["8080808080808010", "ffffffffffffff7f", "ffffffffffffff1f"]) {
      expect(decodeError(`${rv} ${term} 01 01 01`)).toMatchObject({
        path: "requestVote.term",
        offset: 10,
        reason: "varint exceeds 2^53-1 (Number.MAX_SAFE_INTEGER)",
      });
    }
    // 2^53-1 itself is fine.
    const message = decodeMessage(fromHex(`${rv} ffffffffffffff0f 01 01 01`));
    expect(message.term).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("absurd counts, before allocating", () => {
    const entries = decodeError(`${ae} 8080808010 00 0a 05`);
    expect(entries).toMatchObject({ path: "appendEntries.entries.length", offset: 15 });
    expect(entries.reason).toBe(
      "count 4294967296 needs at least 12884901888 bytes but only 3 remain",
    );
    const voters = decodeError(`${ae} 01 02 0c 05 ffffffff0f 00 00`);
    expect(voters.path).toBe("appendEntries.entries[0].membership.voters.length");
  });

  it("lengths past the end of the input", () => {
    const error = decodeError(`${ae} 01 00 0b 05 ffffffff0f dead`);
    expect(error.message).toBe(
      "appendEntries.entries[0].data: length 4294967295 past end of input (2 bytes remain) at offset 19",
    );
    expect(decodeError(`464c0101 05 6e31`)).toMatchObject({ path: "requestVote.from", offset: 4 });
  });

  it("invalid UTF-8 in node ids", () => {
    // overlong NUL, UTF-16 surrogate, stray continuation byte, cut sequence, above U+10FFFF
    for (const id of ["02c080", "03eda080", "0180", "02e282", "04f4908080"]) {
      expect(decodeError(`464c0101 ${id} 026e32 05 01 01 01`)).toMatchObject({
        path: "requestVote.from",
        reason: "node id is not valid UTF-8",
      });
    }
  });

  it("empty node ids", () => {
    expect(decodeError("464c0101 026e31 00 05 01 01 01")).toMatchObject({
      path: "requestVote.to",
      offset: 7,
      reason: "empty node id",
    });
  });

  it("booleans other than 0 and 1", () => {
    for (const flag of ["02", "ff", "80"]) {
      expect(decodeError(`464c0102 026e31 026e32 05 ${flag} 01`)).toMatchObject({
        path: "requestVoteResponse.preVote",
        offset: 11,
        reason: `boolean byte must be 0 or 1, got ${Number.parseInt(flag, 16)}`,
      });
    }
  });

  it("vote kinds other than 0, 1 and 2 (vote, pre-vote, transfer vote)", () => {
    for (const kind of ["03", "ff", "80"]) {
      expect(decodeError(`${rv} 05 ${kind} 01 01`)).toMatchObject({
        path: "requestVote.preVote",
        offset: 11,
        reason: `vote kind byte must be 0, 1 or 2, got ${Number.parseInt(kind, 16)}`,
      });
    }
  });

  it("input that is not a Uint8Array", () => {
    expect(decodeError([70, 76, 1, 1] as unknown as Uint8Array)).toMatchObject({ path: "input" });
  });

  it("with a FlotillaError whose code is DECODE", () => {
    const error = decodeError("00");
    expect(error).toBeInstanceOf(FlotillaError);
    expect(error.code).toBe("DECODE");
  });
});

describe("decodeMessage keeps", () => {
  it("a leading U+FEFF in a node id (so the bytes re-encode identically)", () => {
    const bytes = fromHex("464c0102 04efbbbf61 026e32 05 00 01");
    const message = decodeMessage(bytes);
    expect(message.from).toBe("\uFEFFa");
    expect(encodeMessage(message)).toStrictEqual(bytes);
  });
});

describe("encodeMessage refuses (local misuse)", () => {
  const base = goldenMessages[0]!.message;
  const cases: [string, Record<string, unknown>, string][] = [
    ["a negative term", { term: -1 }, "requestVote.term"],
    ["a fractional index", { lastLogIndex: 1.5 }, "requestVote.lastLogIndex"],
    ["a term above 2^53-1", { term: 2 ** 53 }, "requestVote.term"],
    ["NaN", { lastLogTerm: Number.NaN }, "requestVote.lastLogTerm"],
    ["an empty node id", { from: "" }, "requestVote.from"],
    ["a lone surrogate in a node id", { to: "n\uD800" }, "requestVote.to"],
    ["a non-boolean flag", { preVote: 1 }, "requestVote.preVote"],
    ["an unknown type", { type: "heartbeat" }, "type"],
    ["a non-boolean transfer flag", { transfer: 1 }, "requestVote.transfer"],
    [
      "a pre-vote that is a transfer vote",
      { preVote: true, transfer: true },
      "requestVote.transfer",
    ],
  ];
  for (const [name, change, path] of cases) {
    it(name, () => {
      expect(() => encodeMessage({ ...base, ...change } as Message)).toThrow(EncodeError);
      try {
        encodeMessage({ ...base, ...change } as Message);
      } catch (error) {
        expect((error as EncodeError).path).toBe(path);
      }
    });
  }

  it("an unknown entry kind, naming the entry", () => {
    const message = goldenMessages.find(({ name }) => name === "appendEntries")!.message;
    const entries = [
      { kind: "noop", index: 1, term: 1 },
      { kind: "bogus", index: 2, term: 1 },
    ];
    expect(() => encodeMessage({ ...message, entries } as unknown as Message)).toThrow(
      "appendEntries.entries[1].kind: unknown variant",
    );
  });
});
