// The hard state and the snapshot in force, each in its own small file replaced atomically: write
// a temporary file, fsync it, rename it over the old one, fsync the directory. A reader sees the
// old file or the new one, whole, even across a crash; so any checksum mismatch here is
// corruption, never a torn write. The snapshot's bytes live in a file of their own
// (snapshot-files.ts); this one only says which snapshot is in force.
//
//   hard state: magic | u32 CRC32 of the rest | JSON { term, vote, commit }
//   snapshot:   magic | u32 CRC32 of the rest | JSON { index, term, membership, size, checksum }

import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { HardState, Index, Membership, NodeId, Snapshot, Term } from "@flotilla/core";
import { normalMembership } from "@flotilla/core/storage";
import { StorageCorruptionError } from "./errors.js";
import type { FileSystem } from "./fs.js";
import { putUint32 } from "./record.js";

export const hardStateFile = "hardstate";
export const snapshotFile = "snapshot";
export const tempSuffix = ".tmp";
const hardStateMagic = new Uint8Array([0x46, 0x4c, 0x54, 0x48, 0x53, 0x00, 0x00, 0x01]); // "FLTHS" v1
const snapshotMagic = new Uint8Array([0x46, 0x4c, 0x54, 0x53, 0x4e, 0x50, 0x00, 0x02]); // "FLTSNP" v2
const headerBytes = 12;

export async function writeAtomically(
  fs: FileSystem,
  dir: string,
  name: string,
  bytes: Uint8Array,
): Promise<void> {
  const temp = join(dir, name + tempSuffix);
  const file = await fs.openWritable(temp, "create");
  try {
    await file.write(bytes, 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(temp, join(dir, name));
  await fs.syncDir(dir);
}

/**
 * One encoder for every metadata write that is not ASCII: a TextEncoder made per call costs an
 * object of the runtime's each time (in Chromium, where the playground runs the simulator, as
 * much as the rest of the write: docs/benchmarks.md).
 */
const utf8 = new TextEncoder();

export function encodeHardState(hardState: HardState): Uint8Array {
  const { term, vote, commit } = hardState;
  return frame(hardStateMagic, JSON.stringify({ term, vote, commit }));
}

export async function readHardState(fs: FileSystem, dir: string): Promise<HardState | null> {
  const path = join(dir, hardStateFile);
  const bytes = await fs.readFile(path);
  if (bytes === null) return null;
  const body = unframe(bytes, hardStateMagic, path);
  const value = parseJson(body, path, headerBytes);
  if (!isCount(value.term) || !isCount(value.commit) || !isVote(value.vote)) {
    throw new StorageCorruptionError(path, headerBytes, "hard state fields out of range");
  }
  return {
    term: value.term as Term,
    vote: value.vote as NodeId | null,
    commit: value.commit as Index,
  };
}

export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const { index, term, membership, size, checksum } = snapshot;
  return frame(snapshotMagic, JSON.stringify({ index, term, membership, size, checksum }));
}

/** The metadata of the snapshot in force, or null if there is none. */
export async function readSnapshot(fs: FileSystem, dir: string): Promise<Snapshot | null> {
  const path = join(dir, snapshotFile);
  const bytes = await fs.readFile(path);
  if (bytes === null) return null;
  const value = parseJson(unframe(bytes, snapshotMagic, path), path, headerBytes);
  const { index, term, membership, size, checksum } = value;
  if (
    !isCount(index) ||
    !isCount(term) ||
    !isMembership(membership) ||
    !isCount(size) ||
    !isCount(checksum) ||
    checksum > 0xffffffff
  ) {
    throw new StorageCorruptionError(path, headerBytes, "snapshot metadata out of range");
  }
  return {
    index: index as Index,
    term: term as Term,
    membership: normalMembership(membership),
    size,
    checksum,
  };
}

/**
 * magic | CRC-32 | the JSON's UTF-8 bytes, in one buffer. The JSON is numbers and node ids, so
 * ASCII as a rule: then its characters are its bytes, copied without an encoder call or a second
 * buffer (both cost several times Node's price in Chromium, docs/benchmarks.md).
 */
function frame(magic: Uint8Array, json: string): Uint8Array {
  let out = new Uint8Array(headerBytes + json.length);
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    if (code >= 0x80) {
      const body = utf8.encode(json);
      out = new Uint8Array(headerBytes + body.length);
      out.set(body, headerBytes);
      break;
    }
    out[headerBytes + i] = code;
  }
  out.set(magic, 0);
  putUint32(out, 8, crc32(out.subarray(headerBytes)));
  return out;
}

function unframe(bytes: Uint8Array, magic: Uint8Array, file: string): Uint8Array {
  if (bytes.length < headerBytes || !magic.every((byte, i) => bytes[i] === byte)) {
    throw new StorageCorruptionError(file, 0, "bad magic or truncated header");
  }
  const body = bytes.subarray(headerBytes);
  if (crc32(body) !== readUint32(bytes, 8)) {
    throw new StorageCorruptionError(file, 8, "checksum mismatch");
  }
  return body;
}

function parseJson(bytes: Uint8Array, file: string, offset: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (typeof value === "object" && value !== null) return value as Record<string, unknown>;
  } catch {
    // Reported below with the file and offset.
  }
  throw new StorageCorruptionError(file, offset, "metadata is not a JSON object");
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isVote(value: unknown): boolean {
  return value === null || (typeof value === "string" && value !== "");
}

function isNodeIds(value: unknown): value is NodeId[] {
  return Array.isArray(value) && value.every((id) => typeof id === "string" && id !== "");
}

function isMembership(value: unknown): value is Membership {
  if (typeof value !== "object" || value === null) return false;
  const { voters, learners, outgoing, explicitLeave } = value as Record<string, unknown>;
  return (
    isNodeIds(voters) &&
    isNodeIds(learners) &&
    (outgoing === undefined || isNodeIds(outgoing)) &&
    (explicitLeave === undefined || (explicitLeave === true && outgoing !== undefined))
  );
}
