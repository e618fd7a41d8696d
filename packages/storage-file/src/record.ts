// Framing of records in a log segment. A segment is a file header (magic + version) followed by
// records; each record is
//
//   u32 payload length | u32 CRC32 of the payload | u32 CRC32 of the previous 8 bytes | payload
//
// (little endian; CRC32 is zlib's, native in Node >= 20.15). The header has its own checksum so a
// damaged length is recognised as corruption instead of being mistaken for a record that runs
// past the end of the file, which would look like a torn tail and hide the damage.
//
// The last segment may end in zeros: the writer extends it ahead of the data (see FileStorage).
//
// Telling a torn tail from corruption: a crash can only damage what was written after the last
// fsync, and each persist writes ONE record and syncs it before the next begins. So only the last
// record of the last segment may be torn, and such a record either runs past the end of the
// file, or fails a checksum with nothing but zeros after it (the zero fill, or a lost write after
// the size was extended). Anything else is corruption.

import { crc32 } from "node:zlib";

export const segmentMagic = new Uint8Array([0x46, 0x4c, 0x54, 0x4c, 0x4f, 0x47, 0x00, 0x01]); // "FLTLOG" v1
export const recordHeaderBytes = 12;

export function frameRecord(payload: Uint8Array, withSegmentHeader: boolean): Uint8Array {
  const out = new Uint8Array(framedRecordBytes(payload.length, withSegmentHeader));
  frameRecordInto(out, payload.length, withSegmentHeader, (offset) => out.set(payload, offset));
  return out;
}

/** The bytes of a framed record whose payload has `payloadBytes` bytes. */
export function framedRecordBytes(payloadBytes: number, withSegmentHeader: boolean): number {
  return (withSegmentHeader ? segmentMagic.length : 0) + recordHeaderBytes + payloadBytes;
}

/**
 * Frames a record at the start of `out` (room for `framedRecordBytes`), its payload written in
 * place by `writePayload` at the offset it is given: no buffer of its own for the payload, and no
 * view but the checksummed payload's. In Chromium, where the playground runs the simulator, each
 * small ArrayBuffer, view and DataView costs several times Node's price (docs/benchmarks.md).
 */
export function frameRecordInto(
  out: Uint8Array,
  payloadBytes: number,
  withSegmentHeader: boolean,
  writePayload: (offset: number) => void,
): void {
  const start = withSegmentHeader ? segmentMagic.length : 0;
  const payloadStart = start + recordHeaderBytes;
  if (withSegmentHeader) out.set(segmentMagic, 0);
  writePayload(payloadStart);
  // The header's checksum covers its first 8 bytes, assembled in a scratch buffer (no view).
  putUint32(headerScratch, 0, payloadBytes);
  putUint32(headerScratch, 4, crc32(out.subarray(payloadStart, payloadStart + payloadBytes)));
  out.set(headerScratch, start);
  putUint32(out, start + 8, crc32(headerScratch));
}

/** The 8 checksummed bytes of a record header being written (length, payload CRC). */
const headerScratch = new Uint8Array(8);

/** Writes `value` as an unsigned 32-bit little-endian integer at `offset`. */
export function putUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
  out[offset + 3] = (value >>> 24) & 0xff;
}

export type ScannedRecord = { readonly offset: number; readonly payload: Uint8Array };

export type SegmentScan =
  | { readonly kind: "ok"; readonly records: readonly ScannedRecord[]; readonly validBytes: number }
  /**
   * The records end at `validBytes` and what follows is not a record: zero fill (`zeroTail`) or a
   * torn last record. Either is acceptable only at the end of the last segment.
   */
  | {
      readonly kind: "torn";
      readonly records: readonly ScannedRecord[];
      readonly validBytes: number;
      readonly zeroTail: boolean;
    }
  | { readonly kind: "corrupt"; readonly offset: number; readonly reason: string };

/** Splits a segment's bytes into records, classifying the first bad one. */
export function scanSegment(bytes: Uint8Array): SegmentScan {
  if (bytes.length < segmentMagic.length || !startsWithMagic(bytes)) {
    // A segment is created with its first record in one write; if that write tore or was lost
    // the file is a prefix of the magic or zeros.
    if (isTornStart(bytes)) return { kind: "torn", records: [], validBytes: 0, zeroTail: false };
    return { kind: "corrupt", offset: 0, reason: "not a Flotilla log segment (bad magic)" };
  }
  const records: ScannedRecord[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = segmentMagic.length;
  while (offset < bytes.length) {
    const bad = checkRecordAt(bytes, view, offset);
    if (bad !== null) {
      return bad === "torn"
        ? { kind: "torn", records, validBytes: offset, zeroTail: allZero(bytes, offset) }
        : { kind: "corrupt", offset, reason: bad };
    }
    const length = view.getUint32(offset, true);
    const start = offset + recordHeaderBytes;
    records.push({ offset, payload: bytes.subarray(start, start + length) });
    offset = start + length;
  }
  return { kind: "ok", records, validBytes: offset };
}

/** null if the record at `offset` is whole; "torn" if it is a torn tail; else why it is corrupt. */
function checkRecordAt(bytes: Uint8Array, view: DataView, offset: number): string | null {
  if (bytes.length - offset < recordHeaderBytes) return "torn";
  const header = bytes.subarray(offset, offset + 8);
  if (crc32(header) !== view.getUint32(offset + 8, true)) {
    return allZero(bytes, offset + recordHeaderBytes) ? "torn" : "record header checksum mismatch";
  }
  const length = view.getUint32(offset, true);
  const end = offset + recordHeaderBytes + length;
  if (end > bytes.length) return "torn";
  const payload = bytes.subarray(offset + recordHeaderBytes, end);
  if (crc32(payload) !== view.getUint32(offset + 4, true)) {
    return allZero(bytes, end) ? "torn" : "record checksum mismatch";
  }
  return null;
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return segmentMagic.every((byte, i) => bytes[i] === byte);
}

function isTornStart(bytes: Uint8Array): boolean {
  if (bytes.length < segmentMagic.length) {
    return bytes.every((byte, i) => byte === segmentMagic[i] || byte === 0);
  }
  return allZero(bytes, 0);
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
