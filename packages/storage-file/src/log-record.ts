// The payload of one log record: everything one persist call did to the log.
//
//   u8 kind (1) | u64 prevIndex | u32 count | count × (u32 length | entry in the core wire codec)
//
// `prevIndex` says what the log was before the record's entries: every entry with a larger
// index is gone (a truncated conflicting suffix), and if the log ended before `prevIndex` then a
// snapshot at `prevIndex` had replaced it. So a truncation is an ordinary appended record (no
// file is ever cut outside crash recovery) and costs no extra fsync; and a crash loses or keeps a
// truncation together with the entries that replace the suffix, never one without the other.

import { DecodeError, decodeEntry, type Entry, encodeEntry, type Index } from "@flotilla/core";

const kindLog = 1;

/** A record passed its checksum but does not decode; the caller names the file and offset. */
export class RecordFormatError extends Error {}

export type LogRecord = { readonly prevIndex: Index; readonly entries: readonly Entry[] };

export function encodeLogRecord(record: LogRecord): Uint8Array {
  const encoded = record.entries.map(encodeEntry);
  let size = 1 + 8 + 4;
  for (const bytes of encoded) size += 4 + bytes.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint8(0, kindLog);
  setUint64(view, 1, record.prevIndex);
  view.setUint32(9, encoded.length, true);
  let offset = 13;
  for (const bytes of encoded) {
    view.setUint32(offset, bytes.length, true);
    out.set(bytes, offset + 4);
    offset += 4 + bytes.length;
  }
  return out;
}

/**
 * Decodes a record whose checksum already matched; throws RecordFormatError if the bytes still do
 * not make sense (written by a newer version, or by a bug).
 */
export function decodeLogRecord(payload: Uint8Array): LogRecord {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload.length < 13 || view.getUint8(0) !== kindLog)
    throw new RecordFormatError("unknown log record kind");
  const prevIndex = getUint64(view, 1) as Index;
  const count = view.getUint32(9, true);
  const entries: Entry[] = [];
  let offset = 13;
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
  return { prevIndex, entries };
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

function setUint64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / 2 ** 32), true);
  view.setUint32(offset + 4, value >>> 0, true);
}

function getUint64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) * 2 ** 32 + view.getUint32(offset + 4, true);
}
