// One message of each variant with its exact bytes (hex, split by field). An accidental change to
// the wire format fails the golden test; a deliberate one bumps the format version and updates
// these. The rejection tests mutate them too.

import type { Entry, Message, NodeId } from "../../src/index.js";
import { membershipOf } from "../../src/storage.js";

const envelope = { from: "n1", to: "n2", term: 5 } as unknown as Pick<
  Message,
  "from" | "to" | "term"
>;
/** Node ids as a configuration holds them (membershipOf builds each configuration shape). */
const ids = (...names: string[]) => names as NodeId[];
const header = (tag: string) => `464c01${tag}`; // magic "FL", version 1, type tag
const envelopeHex = "026e31 026e32 05"; // from "n1", to "n2", term 5

export const goldenMessages: readonly { name: string; message: Message; hex: string }[] = [
  {
    name: "requestVote",
    message: { type: "requestVote", ...envelope, preVote: true, lastLogIndex: 300, lastLogTerm: 4 },
    hex: `${header("01")} ${envelopeHex} 01 ac02 04`,
  } as never,
  {
    name: "requestVoteResponse",
    message: { type: "requestVoteResponse", ...envelope, preVote: false, granted: true },
    hex: `${header("02")} ${envelopeHex} 00 01`,
  } as never,
  {
    name: "appendEntries",
    message: {
      type: "appendEntries",
      ...envelope,
      prevLogIndex: 9,
      prevLogTerm: 4,
      leaderCommit: 8,
      seq: 2 ** 40,
      entries: [
        { kind: "noop", index: 10, term: 5 },
        { kind: "command", index: 11, term: 5, data: new Uint8Array([0xde, 0xad]) },
        {
          kind: "membership",
          index: 12,
          term: 5,
          membership: membershipOf(ids("n1", "n2"), ids("n3"), ids("n1")),
        },
      ],
    },
    // prevLogIndex 9, prevLogTerm 4, leaderCommit 8, seq 2^40 (6 bytes), 3 entries:
    // noop 10/5; command 11/5 data [de ad]; membership 12/5 voters [n1 n2] learners [n3] joint [n1]
    hex:
      `${header("03")} ${envelopeHex} 09 04 08 808080808020 03` +
      " 01 0a 05  00 0b 05 02dead  02 0c 05 02 026e31 026e32 01 026e33 01 01 026e31",
  } as never,
  {
    name: "appendEntriesResponse (success)",
    message: { type: "appendEntriesResponse", ...envelope, seq: 7, success: true, matchIndex: 12 },
    hex: `${header("04")} ${envelopeHex} 07 01 0c`,
  } as never,
  {
    name: "appendEntriesResponse (conflict)",
    message: {
      type: "appendEntriesResponse",
      ...envelope,
      seq: 7,
      success: false,
      conflictIndex: 3,
      conflictTerm: 2,
    },
    hex: `${header("04")} ${envelopeHex} 07 00 03 02`,
  } as never,
  {
    name: "installSnapshot",
    message: {
      type: "installSnapshot",
      ...envelope,
      snapshotIndex: 100,
      snapshotTerm: 4,
      membership: membershipOf(ids("n1"), []),
      size: 1000,
      checksum: 0xdeadbeef,
      offset: 0,
      data: new Uint8Array([1, 2, 3]),
      done: false,
      seq: 1,
    },
    // snapshotIndex 100, snapshotTerm 4, voters [n1] learners [] not joint, size 1000,
    // checksum 0xdeadbeef, offset 0, done false, seq 1, data [01 02 03]
    hex: `${header("05")} ${envelopeHex} 64 04 01026e31 00 00 e807 effdb6f50d 00 00 01 03010203`,
  } as never,
  {
    name: "installSnapshotResponse",
    message: {
      type: "installSnapshotResponse",
      ...envelope,
      snapshotIndex: 100,
      receivedBytes: 3,
      done: false,
      seq: 1,
    },
    hex: `${header("06")} ${envelopeHex} 64 03 00 01`,
  } as never,
  {
    name: "readIndexRequest",
    message: { type: "readIndexRequest", ...envelope, requestId: 200 },
    hex: `${header("08")} ${envelopeHex} c801`,
  } as never,
  {
    name: "readIndexResponse (success)",
    message: { type: "readIndexResponse", ...envelope, requestId: 3, success: true, readIndex: 12 },
    hex: `${header("09")} ${envelopeHex} 03 01 0c`,
  } as never,
  {
    name: "readIndexResponse (refused)",
    message: { type: "readIndexResponse", ...envelope, requestId: 3, success: false },
    hex: `${header("09")} ${envelopeHex} 03 00`,
  } as never,
  {
    // A leadership transfer's vote (thesis §3.10): vote kind byte 2, `transfer` present.
    name: "requestVote (transfer)",
    message: {
      type: "requestVote",
      ...envelope,
      preVote: false,
      transfer: true,
      lastLogIndex: 300,
      lastLogTerm: 4,
    },
    hex: `${header("01")} ${envelopeHex} 02 ac02 04`,
  } as never,
  {
    name: "timeoutNow",
    message: { type: "timeoutNow", ...envelope },
    hex: `${header("07")} ${envelopeHex}`,
  } as never,
  {
    name: "snapshotRequest",
    message: { type: "snapshotRequest", ...envelope, snapshotIndex: 300 },
    hex: `${header("0a")} ${envelopeHex} ac02`,
  } as never,
];

/** A command entry record at the largest index the format allows (2^53-1: eight varint bytes). */
export const goldenEntry: { entry: Entry; hex: string } = {
  entry: { kind: "command", index: 2 ** 53 - 1, term: 1, data: new Uint8Array([0x2a]) } as never,
  hex: `${header("10")} 00 ffffffffffffff0f 01 012a`,
};

export function fromHex(hex: string): Uint8Array {
  const digits = hex.replace(/\s+/g, "");
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
