import type { Snapshot, StoredSnapshot } from "@flotilla/core";
import { crc32 } from "@flotilla/core/testing";

// The playground's snapshot storage: the core knows a snapshot by its metadata, and its bytes live
// in storage. Here they are kept by content (size and CRC-32), never changed once stored, so one
// store serves every node and every moment of a rewound history: a follower's core checks each
// received snapshot against the leader's checksum before installing it, so what it installs is
// the leader's bytes, already here.

const byContent = new Map<string, Uint8Array>();

function keyOf(stored: { readonly size: number; readonly checksum: number }): string {
  return `${stored.size}:${stored.checksum}`;
}

/** Stores a node's snapshot bytes; returns what the `snapshot` event carries. */
export function storeSnapshot(data: Uint8Array): StoredSnapshot {
  const stored = { size: data.byteLength, checksum: crc32(data) };
  byContent.set(keyOf(stored), data);
  return stored;
}

/** The bytes of a stored snapshot. */
export function snapshotBytes(snapshot: Snapshot): Uint8Array {
  const data = byContent.get(keyOf(snapshot));
  if (data === undefined) throw new RangeError(`snapshot ${snapshot.index} is not stored`);
  return data;
}

/** A chunk of a stored snapshot (what a leader reads to send), or null if unknown. */
export function snapshotChunk(
  snapshot: Snapshot,
  offset: number,
  length: number,
): Uint8Array | null {
  return byContent.get(keyOf(snapshot))?.slice(offset, offset + length) ?? null;
}
