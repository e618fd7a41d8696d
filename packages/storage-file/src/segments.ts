// Reading the log back: scan every segment, repair a torn tail, forget segments a snapshot has
// made obsolete, and replay the records into the live log after the snapshot.

import { join } from "node:path";
import type { Entry } from "@flotilla/core";
import { StorageCorruptionError } from "./errors.js";
import type { FileSystem } from "./fs.js";
import { decodeLogRecord, type LogRecord, RecordFormatError } from "./log-record.js";
import { scanSegment } from "./record.js";
import type { FileStorageRules } from "./storage-rules.js";

const segmentPattern = /^log-([0-9]{16})\.seg$/;

export function segmentName(seq: number): string {
  return `log-${String(seq).padStart(16, "0")}.seg`;
}

export function parseSegmentName(name: string): number | null {
  const match = segmentPattern.exec(name);
  return match === null ? null : Number(match[1]);
}

/** What the writer keeps about each segment: enough to append to it and to know when to drop it. */
export type SegmentInfo = {
  readonly seq: number;
  readonly path: string;
  bytes: number;
  /** The file's size: `bytes` and the zero fill after them (see FileStorage). */
  allocatedBytes: number;
  /** The largest entry index written to this segment (0 if none): obsolete once a snapshot covers it. */
  maxIndex: number;
};

type ReadSegment = SegmentInfo & {
  readonly records: readonly (LogRecord & { readonly offset: number })[];
};

export type ReadLog = {
  readonly segments: SegmentInfo[];
  readonly entries: Entry[];
  /**
   * The largest commit index any record holds. Records left in segments a snapshot made obsolete
   * count too: a commit index, once known, stays true (committed entries are never lost, §5.4).
   */
  readonly commit: number;
};

/**
 * Reads the log in `dir`. With `repair`, a torn last record is cut off the file (and an empty torn
 * last segment removed) and segments left over from an interrupted compaction are removed;
 * without it (re-reading a log this process wrote and synced) anything torn is corruption.
 * Either way the last segment may end in zero fill. `rules.tornTail` decides which damage at the
 * end of the last segment is a torn write.
 */
export async function readLog(
  fs: FileSystem,
  dir: string,
  names: readonly string[],
  snapshotIndex: number,
  repair: boolean,
  rules: Pick<FileStorageRules, "tornTail">,
): Promise<ReadLog> {
  const seqs = names
    .map(parseSegmentName)
    .filter((seq) => seq !== null)
    .sort((a, b) => a - b);
  const segments: ReadSegment[] = [];
  for (const [i, seq] of seqs.entries()) {
    const path = join(dir, segmentName(seq));
    const isLast = i === seqs.length - 1;
    const segment = await readSegment(fs, path, seq, isLast && repair ? rules : null, isLast);
    if (segment !== null) segments.push(segment);
  }
  let commit = 0;
  for (const segment of segments) {
    for (const record of segment.records) commit = Math.max(commit, record.commit);
  }
  const live = await dropOrphans(fs, segments, snapshotIndex, repair);
  return {
    segments: live.map(({ records: _, ...info }) => info),
    entries: replay(live, snapshotIndex),
    commit,
  };
}

/**
 * Reads one segment. `repair` (the rules, recovering the last segment) lets a torn tail be cut;
 * zero fill after the records is accepted only in the last segment.
 */
async function readSegment(
  fs: FileSystem,
  path: string,
  seq: number,
  repair: Pick<FileStorageRules, "tornTail"> | null,
  isLast: boolean,
): Promise<ReadSegment | null> {
  const bytes = await fs.readFile(path);
  if (bytes === null) throw new StorageCorruptionError(path, 0, "segment vanished while reading");
  const scan = scanSegment(bytes);
  let allocatedBytes = bytes.length;
  if (scan.kind === "tail") {
    // Zero fill after the records is how the writer leaves the last segment; damage after them is
    // a torn write only at the end of the last segment with no whole record after it (record.ts),
    // and only recovery may cut it off.
    const { damage } = scan;
    if (!isLast || (damage !== null && (repair === null || !repair.tornTail(damage)))) {
      const torn = damage === null || damage.zerosAfter;
      const reason = !isLast && torn ? "torn record before the end of the log" : damage?.reason;
      throw new StorageCorruptionError(path, scan.validBytes, reason ?? "zero fill");
    }
    if (scan.validBytes === 0) {
      await fs.unlink(path);
      return null;
    }
    if (damage !== null) {
      await cutTornTail(fs, path, scan.validBytes);
      allocatedBytes = scan.validBytes;
    }
  }
  const records = scan.records.map(({ offset, payload }) => decodeAt(path, offset, payload));
  let maxIndex = 0;
  for (const record of records) maxIndex = Math.max(maxIndex, record.entries.at(-1)?.index ?? 0);
  return { seq, path, bytes: scan.validBytes, allocatedBytes, maxIndex, records };
}

function decodeAt(
  path: string,
  offset: number,
  payload: Uint8Array,
): LogRecord & { offset: number } {
  try {
    return { ...decodeLogRecord(payload), offset };
  } catch (error) {
    if (error instanceof RecordFormatError) {
      throw new StorageCorruptionError(path, offset, error.message);
    }
    throw error;
  }
}

async function cutTornTail(fs: FileSystem, path: string, validBytes: number): Promise<void> {
  const file = await fs.openWritable(path, "existing");
  try {
    await file.truncate(validBytes);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * Compaction removes obsolete segments oldest first without syncing the directory (see
 * FileStorage), so a crash can leave some of them behind, with gaps in the numbering. Segments
 * before the last gap are fine to drop if a snapshot covers all they hold; otherwise a segment
 * that still mattered is missing.
 */
async function dropOrphans(
  fs: FileSystem,
  segments: readonly ReadSegment[],
  snapshotIndex: number,
  repair: boolean,
): Promise<ReadSegment[]> {
  let firstLive = 0;
  for (let i = 1; i < segments.length; i++) {
    if (segments[i]!.seq !== segments[i - 1]!.seq + 1) firstLive = i;
  }
  const orphans = segments.slice(0, firstLive);
  for (const orphan of orphans) {
    if (orphan.maxIndex > snapshotIndex) {
      const missing = segmentName(orphan.seq + 1);
      throw new StorageCorruptionError(missing, 0, "segment missing from the middle of the log");
    }
  }
  if (repair) for (const orphan of orphans) await fs.unlink(orphan.path);
  return segments.slice(firstLive);
}

/** Replays the records in order; see log-record.ts for what `prevIndex` means. */
function replay(segments: readonly ReadSegment[], snapshotIndex: number): Entry[] {
  let base = 0; // the index just before log[0]
  let log: Entry[] = [];
  let baseAt = { file: "", offset: 0 };
  for (const segment of segments) {
    for (const record of segment.records) {
      const last = base + log.length;
      if (record.prevIndex >= base && record.prevIndex <= last) {
        log.length = record.prevIndex - base;
      } else {
        // The log before this record was replaced by a snapshot at prevIndex.
        log = [];
        base = record.prevIndex;
        baseAt = { file: segment.path, offset: record.offset };
      }
      for (const entry of record.entries) log.push(entry);
    }
  }
  if (base + log.length <= snapshotIndex) return [];
  if (base > snapshotIndex) {
    const reason = `log resumes after index ${base} but the snapshot ends at ${snapshotIndex}`;
    throw new StorageCorruptionError(baseAt.file, baseAt.offset, reason);
  }
  return log.slice(snapshotIndex - base);
}
