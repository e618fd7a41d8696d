// The kv server's own log commands and snapshot envelope, beside @flotilla/kv-model's key-value
// commands (opcodes 1 to 4, no version byte: new commands take new opcodes):
//
//   member addresses   byte 0xA0, then UTF-8 JSON {"id", "raft": "host:port", "api": "host:port"}
//   snapshot           byte 0xA0, a 4-byte big-endian length, that many bytes of UTF-8 JSON (the
//                      address records), then the key-value snapshot (kv-model's format)
//
// A kv-model snapshot starts with a record's 4-byte length, whose first byte is 0 for any record
// under 16 MiB (the server refuses values over 1 MiB), so a snapshot written before the address
// book existed (no envelope) still restores: as key-value data with no records.
// Decoding is strict and throws MemberCommandError: a committed entry nobody can read must stop
// the node (the driver does so when apply throws), since every replica must agree on it.

import type { MemberAddresses, MemberRecord } from "./address-book.js";
import { type HostPort, parseHostPort } from "./addresses.js";

const MEMBER_ADDRESSES = 0xa0;
const SNAPSHOT_ENVELOPE = 0xa0;
const idBytesMax = 255; // the UDP transport's limit on a sender id

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export class MemberCommandError extends Error {
  override name = "MemberCommandError";
}

export function isMemberCommand(command: Uint8Array): boolean {
  return command[0] === MEMBER_ADDRESSES;
}

export function encodeMemberCommand(record: MemberRecord): Uint8Array {
  return withPrefix(MEMBER_ADDRESSES, encoder.encode(JSON.stringify(record)));
}

export function decodeMemberCommand(command: Uint8Array): {
  readonly id: string;
  readonly addresses: MemberAddresses;
} {
  if (!isMemberCommand(command)) throw new MemberCommandError("not a member command");
  return checkRecord(parseJson(command.subarray(1)));
}

/** A node id as the transport accepts it (1-255 UTF-8 bytes), or a sentence saying why not. */
export function idMistake(id: unknown): string | null {
  if (typeof id !== "string" || id === "") return "a node id must be a non-empty string";
  if (encoder.encode(id).length > idBytesMax)
    return `a node id must be ${idBytesMax} bytes or less`;
  return null;
}

/** A record's fields checked: an id and two host:port addresses; throws MemberCommandError. */
export function checkRecord(value: unknown): { id: string; addresses: MemberAddresses } {
  const { id, raft, api } = (value ?? {}) as Record<string, unknown>;
  const mistake = idMistake(id);
  if (mistake !== null) throw new MemberCommandError(mistake);
  return {
    id: id as string,
    addresses: { raft: hostPort("raft", raft), api: hostPort("api", api) },
  };
}

export function encodeServerSnapshot(records: readonly MemberRecord[], kv: Uint8Array): Uint8Array {
  const json = encoder.encode(JSON.stringify(records));
  const out = new Uint8Array(5 + json.length + kv.length);
  out[0] = SNAPSHOT_ENVELOPE;
  new DataView(out.buffer).setUint32(1, json.length);
  out.set(json, 5);
  out.set(kv, 5 + json.length);
  return out;
}

/**
 * How many bytes from the start of a snapshot `decodeServerSnapshot` needs to reach its key-value
 * part (the whole envelope; 0 for a snapshot without one), or null while `prefix` is too short to
 * tell. A streamed restore reads this much, then streams the rest to the store.
 */
export function serverSnapshotHeadBytes(prefix: Uint8Array): number | null {
  if (prefix.length === 0) return null;
  if (prefix[0] !== SNAPSHOT_ENVELOPE) return 0;
  if (prefix.length < 5) return null;
  return 5 + new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint32(1);
}

export function decodeServerSnapshot(bytes: Uint8Array): {
  readonly records: Map<string, MemberAddresses>;
  readonly kv: Uint8Array;
} {
  if (bytes[0] !== SNAPSHOT_ENVELOPE) return { records: new Map(), kv: bytes };
  if (bytes.length < 5) throw new MemberCommandError("truncated snapshot envelope");
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  if (5 + length > bytes.length) throw new MemberCommandError("truncated snapshot address book");
  const list = parseJson(bytes.subarray(5, 5 + length));
  if (!Array.isArray(list)) throw new MemberCommandError("the snapshot address book is no list");
  const records = new Map<string, MemberAddresses>();
  for (const item of list) {
    const { id, addresses } = checkRecord(item);
    records.set(id, addresses);
  }
  return { records, kv: bytes.subarray(5 + length) };
}

function hostPort(field: string, value: unknown): HostPort {
  const parsed = typeof value === "string" ? parseHostPort(value) : null;
  if (parsed === null) {
    throw new MemberCommandError(`${field}: expected host:port, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new MemberCommandError(`unreadable member record: ${(error as Error).message}`);
  }
}

function withPrefix(byte: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = byte;
  out.set(body, 1);
  return out;
}
