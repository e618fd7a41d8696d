import { InvalidEventError } from "./errors.js";
import type { Event } from "./event.js";
import type { Ctx } from "./internal/context.js";
import { setMembershipLog } from "./internal/context.js";
import { asIndex, asTerm } from "./log.js";
import { maybeCommit } from "./replication.js";
import { sendSnapshotChunk } from "./snapshot-send.js";

// Events from the node's own driver: storage caught up, the application applied or snapshotted,
// storage read a snapshot chunk.
// These are trusted, so misuse throws (InvalidEventError) instead of being dropped.

type LocalEvent = Extract<
  Event,
  { type: "persisted" | "applied" | "snapshot" | "snapshotChunkRead" }
>;

export function onLocalEvent(ctx: Ctx, event: LocalEvent): void {
  switch (event.type) {
    case "persisted":
      onPersisted(ctx, requireIndex("persisted.index", event.index), event.term);
      return;
    case "applied":
      onApplied(ctx, requireIndex("applied.index", event.index));
      return;
    case "snapshot":
      onSnapshot(
        ctx,
        requireIndex("snapshot.index", event.index),
        requireIndex("snapshot.size", event.size),
        requireChecksum(event.checksum),
      );
      return;
    case "snapshotChunkRead":
      if (event.data !== null && !(event.data instanceof Uint8Array)) {
        throw new InvalidEventError("snapshotChunkRead data is neither a Uint8Array nor null");
      }
      requireIndex("snapshotChunkRead.offset", event.offset);
      if (ctx.s.role === "leader") sendSnapshotChunk(ctx, event);
      return;
    default:
      unreachable(event);
  }
}

/**
 * Storage made the log durable up to (index, term). A truncation since the write was issued may
 * have replaced that entry: then the report is about entries we no longer hold, and is ignored.
 */
function onPersisted(ctx: Ctx, index: number, term: number): void {
  const s = ctx.s;
  if (index <= s.persistedIndex || s.log.term(index) !== term) return;
  s.persistedIndex = index;
  if (s.role === "leader") maybeCommit(ctx);
}

function onApplied(ctx: Ctx, index: number): void {
  const s = ctx.s;
  if (index > s.commit) {
    throw new InvalidEventError(`applied index ${index} is beyond the commit index ${s.commit}`);
  }
  if (index < s.applied) {
    throw new InvalidEventError(`applied index ${index} goes back from ${s.applied}`);
  }
  s.applied = index;
}

/**
 * The application snapshotted its state at `index` (<= applied). Keep snapshotTrailingEntries
 * entries before it so slightly lagging followers still catch up from the log, and ask storage
 * to store the snapshot (which lets it drop its own copy of the log up to `index`).
 */
function onSnapshot(ctx: Ctx, index: number, size: number, checksum: number): void {
  const s = ctx.s;
  if (index > s.applied) {
    throw new InvalidEventError(`snapshot index ${index} is beyond the applied index ${s.applied}`);
  }
  const current = s.snapshot?.index ?? 0;
  if (index <= current) return; // an older snapshot than the one we hold: nothing to gain
  const term = s.log.term(index);
  if (term === undefined) return; // below the log's start: already covered by compaction
  // The configuration in force at `index`, not the latest: a later one may still be rolled back,
  // and a node restored from this snapshot must start from what held at its index (thesis §4.1).
  const membership = s.membershipLog.at(index).membership;
  s.snapshot = { index, term, membership, size, checksum };
  const compactTo = index - s.config.snapshotTrailingEntries;
  if (compactTo > s.log.baseIndex) {
    s.log = s.log.compactTo(compactTo);
    setMembershipLog(s, s.membershipLog.compactTo(compactTo));
  }
  ctx.snapshot = { index: asIndex(index), term: asTerm(term), membership, size, checksum };
  // A leader streaming an older snapshot to a follower switches to this one at its next chance
  // (snapshot-send.ts), or when storage no longer holds the older one's bytes.
}

function requireIndex(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidEventError(`${field} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function requireChecksum(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidEventError(`snapshot.checksum must be a 32-bit CRC, got ${String(value)}`);
  }
  return value;
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
