// The payload of one log record: everything one persist call did to the log, and the commit index
// as of that call.
//
//   u8 kind (2) | u64 prevIndex | u64 commit | u32 count | count × (u32 length | entry in the core wire codec)
//
// (kind 1, written before the commit was recorded here, lacks the commit field and reads as 0.)
//
// `prevIndex` says what the log was before the record's entries: every entry with a larger
// index is gone (a truncated conflicting suffix), and if the log ended before `prevIndex` then a
// snapshot at `prevIndex` had replaced it. So a truncation is an ordinary appended record (no
// file is ever cut outside crash recovery) and costs no extra fsync; and a crash loses or keeps a
// truncation together with the entries that replace the suffix, never one without the other.
//
// `commit` rides along so that a batch whose hard state moved only its commit index costs no
// write of the hard-state file (two more fsyncs): Raft does not need the commit index durable
// (Figure 2 lists commitIndex as volatile state; a leader re-establishes it), but a restart that
// knows more of it applies more of the log at once. Recovery takes the largest commit it reads.

import { DecodeError, decodeEntry, type Entry, encodeEntry, type Index } from "@flotilla/core";
import { putUint32 } from "./record.js";

const kindLogV1 = 1;
const kindLog = 2;
const v1HeaderBytes = 1 + 8 + 4;
const headerBytes = 1 + 8 + 8 + 4;

/** A record passed its checksum but does not decode; the caller names the file and offset. */
export class RecordFormatError extends Error {}

export type LogRecord = {
  readonly prevIndex: Index;
  /** The commit index when the record was written (0 in records written before it was kept). */
  readonly commit: Index;
  readonly entries: readonly Entry[];
};

export function encodeLogRecord(record: LogRecord): Uint8Array {
  const encoded = encodeLogEntries(record);
  const out = new Uint8Array(encoded.payloadBytes);
  writeLogRecord(encoded, out, 0);
  return out;
}

/** A record with its entries encoded: its payload's size is known before a buffer is made. */
export type EncodedLogRecord = {
  readonly record: LogRecord;
  readonly entries: readonly Uint8Array[];
  readonly payloadBytes: number;
};

/** Encodes a record's entries (the caller then sizes one buffer for the framed record). */
export function encodeLogEntries(record: LogRecord): EncodedLogRecord {
  const entries = record.entries.map(encodeEntry);
  let payloadBytes = headerBytes;
  for (const bytes of entries) payloadBytes += 4 + bytes.length;
  return { record, entries, payloadBytes };
}

/**
 * `encodeLogEntries` for a record of many entries, `sliceEntries` at a time with `pause()` awaited
 * between slices, so that encoding thousands of entries (a follower catching up, ~10,000 after an
 * installed snapshot in bench growth) does not hold the event loop in one turn.
 */
export async function encodeLogEntriesInSlices(
  record: LogRecord,
  sliceEntries: number,
  pause: () => Promise<void>,
): Promise<EncodedLogRecord> {
  const entries: Uint8Array[] = [];
  let payloadBytes = headerBytes;
  for (let start = 0; start < record.entries.length; start += sliceEntries) {
    if (start > 0) await pause();
    const end = Math.min(record.entries.length, start + sliceEntries);
    for (let i = start; i < end; i++) {
      const bytes = encodeEntry(record.entries[i]!);
      entries.push(bytes);
      payloadBytes += 4 + bytes.length;
    }
  }
  return { record, entries, payloadBytes };
}

/** Writes the record's payload at `offset` of `out` (which has room for `payloadBytes`). */
export function writeLogRecord(encoded: EncodedLogRecord, out: Uint8Array, offset: number): void {
  out[offset] = kindLog;
  putUint64(out, offset + 1, encoded.record.prevIndex);
  putUint64(out, offset + 9, encoded.record.commit);
  putUint32(out, offset + 17, encoded.entries.length);
  let at = offset + headerBytes;
  for (const bytes of encoded.entries) {
    putUint32(out, at, bytes.length);
    out.set(bytes, at + 4);
    at += 4 + bytes.length;
  }
}

/**
 * Decodes a record whose checksum already matched; throws RecordFormatError if the bytes still do
 * not make sense (written by a newer version, or by a bug).
 */
export function decodeLogRecord(payload: Uint8Array): LogRecord {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const kind = payload.length === 0 ? undefined : view.getUint8(0);
  const header = kind === kindLog ? headerBytes : kind === kindLogV1 ? v1HeaderBytes : undefined;
  if (header === undefined) throw new RecordFormatError("unknown log record kind");
  if (payload.length < header) throw new RecordFormatError("log record shorter than its header");
  const prevIndex = getUint64(view, 1) as Index;
  const commit = (kind === kindLog ? getUint64(view, 9) : 0) as Index;
  const count = view.getUint32(header - 4, true);
  const entries: Entry[] = [];
  let offset = header;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > payload.length)
      throw new RecordFormatError("log record shorter than its entry count");
    const length = view.getUint32(offset, true);
    const end = offset + 4 + length;
    if (end > payload.length) throw new RecordFormatError("log record entry runs past the record");
    entries.push(decodeStoredEntry(payload.subarray(offset + 4, end)));
    offset = end;
  }
  if (offset !== payload.length) throw new RecordFormatError("log record has trailing bytes");
  entries.forEach((entry, i) => {
    if (entry.index !== prevIndex + 1 + i)
      throw new RecordFormatError("log record entries are not contiguous");
  });
  return { prevIndex, commit, entries };
}

function decodeStoredEntry(bytes: Uint8Array): Entry {
  try {
    return decodeEntry(bytes);
  } catch (error) {
    if (error instanceof DecodeError)
      throw new RecordFormatError(`undecodable entry: ${error.message}`);
    throw error;
  }
}

/** The high 32 bits first, as DataView's setUint32 twice wrote them since format kind 1. */
function putUint64(out: Uint8Array, offset: number, value: number): void {
  putUint32(out, offset, Math.floor(value / 2 ** 32));
  putUint32(out, offset + 4, value >>> 0);
}

function getUint64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) * 2 ** 32 + view.getUint32(offset + 4, true);
}
