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
// Telling a torn tail from corruption (docs/architecture.md, "Torn writes and damage at rest"): a
// crash can only damage what was written after the last fsync, and each persist writes ONE record
// (with the zero fill ahead of it) and syncs it before the next begins. So a record that fails
// its checks with a whole record somewhere after it was synced before that later record was
// written: it is acknowledged data damaged at rest, refused. One with no whole record after it
// may be the last write, torn by a crash and never acknowledged: its unwritten part holds the old
// bytes (zeros) or, on a disk that scrambles a half-written sector, garbage. Recovery may cut it
// (FileStorageRules.tornTail decides). The scan for a whole record after damage is linear: a
// candidate needs a plausible length before any checksum is computed (zeros never have one).

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

/** What follows a segment's last whole record when that is not the end of the file. */
export type TailDamage = {
  /** Why the bytes at `validBytes` are not a record. */
  readonly reason: string;
  /** A whole record starts after them: they were synced before it was written (at rest). */
  readonly recordAfter: boolean;
  /**
   * Nothing but zeros follows the bad record (after its header if that failed, else after its
   * payload), or it runs past the end of the file: a torn write that left the old bytes.
   */
  readonly zerosAfter: boolean;
};

export type SegmentScan =
  | { readonly kind: "ok"; readonly records: readonly ScannedRecord[]; readonly validBytes: number }
  /**
   * The records end at `validBytes` and what follows is not a record: zero fill (`damage` null,
   * the writer's), or bytes that fail their checks (`damage`). Either is acceptable only at the
   * end of the last segment, and damage only if no whole record follows it.
   */
  | {
      readonly kind: "tail";
      readonly records: readonly ScannedRecord[];
      readonly validBytes: number;
      readonly damage: TailDamage | null;
    };

/** Splits a segment's bytes into records, describing what follows the last whole one. */
export function scanSegment(bytes: Uint8Array): SegmentScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < segmentMagic.length || !startsWithMagic(bytes)) {
    // A segment is created with its first record in one write; if that write tore or was lost
    // the file is a prefix of the magic, zeros or garbage.
    if (isTornStart(bytes)) {
      const damage = { reason: "torn segment start", recordAfter: false, zerosAfter: true };
      return { kind: "tail", records: [], validBytes: 0, damage };
    }
    const damage = {
      reason: "not a Flotilla log segment (bad magic)",
      recordAfter: wholeRecordFrom(bytes, view, 1),
      zerosAfter: false,
    };
    return { kind: "tail", records: [], validBytes: 0, damage };
  }
  const records: ScannedRecord[] = [];
  let offset = segmentMagic.length;
  while (offset < bytes.length) {
    const bad = checkRecordAt(bytes, view, offset);
    if (bad !== null) {
      const damage = allZero(bytes, offset) ? null : describeDamage(bytes, view, offset, bad);
      return { kind: "tail", records, validBytes: offset, damage };
    }
    const length = view.getUint32(offset, true);
    const start = offset + recordHeaderBytes;
    records.push({ offset, payload: bytes.subarray(start, start + length) });
    offset = start + length;
  }
  return { kind: "ok", records, validBytes: offset };
}

/** Why a record is bad: its header, its length (past the end of the file) or its payload. */
type BadRecord = "short" | "header" | "payload";

function checkRecordAt(bytes: Uint8Array, view: DataView, offset: number): BadRecord | null {
  if (bytes.length - offset < recordHeaderBytes) return "short";
  if (!headerIntact(bytes, view, offset)) return "header";
  const end = offset + recordHeaderBytes + view.getUint32(offset, true);
  if (end > bytes.length) return "short";
  const payload = bytes.subarray(offset + recordHeaderBytes, end);
  return crc32(payload) === view.getUint32(offset + 4, true) ? null : "payload";
}

function headerIntact(bytes: Uint8Array, view: DataView, offset: number): boolean {
  return crc32(bytes.subarray(offset, offset + 8)) === view.getUint32(offset + 8, true);
}

const badRecordReasons: Record<BadRecord, string> = {
  short: "record runs past the end of the file",
  header: "record header checksum mismatch",
  payload: "record checksum mismatch",
};

/**
 * The bad record at `offset` and what follows it. A record whose header is intact ends where its
 * length says, so the search for a whole record after it starts there (not inside its payload,
 * which may hold any bytes, a framed record among them); one whose header failed, at the next byte.
 */
function describeDamage(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  bad: BadRecord,
): TailDamage {
  const reason = badRecordReasons[bad];
  if (bad === "short") return { reason, recordAfter: false, zerosAfter: true };
  const after =
    bad === "header"
      ? offset + recordHeaderBytes
      : offset + recordHeaderBytes + view.getUint32(offset, true);
  const from = bad === "header" ? offset + 1 : after;
  return {
    reason,
    recordAfter: wholeRecordFrom(bytes, view, from),
    zerosAfter: allZero(bytes, after),
  };
}

/**
 * Whether a whole record (both checksums good, a payload) starts at any offset from `from` on.
 * Linear: a candidate's length must fit in the file before its header checksum is computed (zero
 * fill's never does), and its payload checksum only once that passes (2^-32 for bytes that were
 * never a header).
 */
function wholeRecordFrom(bytes: Uint8Array, view: DataView, from: number): boolean {
  for (let at = from; at + recordHeaderBytes <= bytes.length; at++) {
    const length = view.getUint32(at, true);
    if (length === 0 || length > bytes.length - at - recordHeaderBytes) continue;
    if (!headerIntact(bytes, view, at)) continue;
    const start = at + recordHeaderBytes;
    if (crc32(bytes.subarray(start, start + length)) === view.getUint32(at + 4, true)) return true;
  }
  return false;
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

/**
 * Where the whole records of a segment lie, first to last (`[from, to)`, header included): what
 * the simulator's disk damages at rest to put a sector gone bad in the middle of a log.
 */
export function segmentRecordSpans(
  bytes: Uint8Array,
): readonly { readonly from: number; readonly to: number }[] {
  return scanSegment(bytes).records.map(({ offset, payload }) => ({
    from: offset,
    to: offset + recordHeaderBytes + payload.length,
  }));
}
