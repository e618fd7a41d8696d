// Small builders of entries, snapshots, hard states and batches for storage tests.

import { utf8Encode } from "../codec/utf8.js";
import { crc32 } from "../crc32.js";
import type { Entry, HardState, Membership, Snapshot } from "../entry.js";
import { type Index, type NodeId, nodeId, type Term } from "../ids.js";
import type { PersistBatch, SnapshotStream, Storage } from "../interfaces.js";

/** A command entry whose data is the UTF-8 of `text` (default `e<index>`). */
export function command(index: number, term: number, text = `e${index}`): Entry {
  return {
    kind: "command",
    index: index as Index,
    term: term as Term,
    data: bytesOf(text),
  };
}

/** Command entries `from`..`to` (inclusive), all of `term`. */
export function commands(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(command(i, term));
  return out;
}

/** A two-voter membership (a, b), for snapshots in tests. */
export const membershipAB: Membership = { voters: [nodeId("a"), nodeId("b")], learners: [] };

/** The bytes of each snapshot `snapshotAt` built, for `snapshotData`. */
const snapshotBytes = new WeakMap<Snapshot, Uint8Array>();

/**
 * The metadata of a snapshot at (`index`, `term`) of voters a and b whose bytes are the UTF-8 of
 * `text` (size and CRC-32 of those); `snapshotData` gives the bytes, to store before persisting.
 */
export function snapshotAt(index: number, term: number, text = `s${index}`): Snapshot {
  const data = bytesOf(text);
  const snapshot: Snapshot = {
    index: index as Index,
    term: term as Term,
    membership: membershipAB,
    size: data.byteLength,
    checksum: crc32(data),
  };
  snapshotBytes.set(snapshot, data);
  return snapshot;
}

/** Whether `snapshot` was built by `snapshotAt` (so `snapshotData` knows its bytes). */
export function hasSnapshotData(snapshot: Snapshot): boolean {
  return snapshotBytes.has(snapshot);
}

/** The bytes of a snapshot built by `snapshotAt` (a copy). */
export function snapshotData(snapshot: Snapshot): Uint8Array {
  const data = snapshotBytes.get(snapshot);
  if (data === undefined) throw new TypeError("not a snapshot built by snapshotAt");
  return data.slice();
}

/**
 * Persists `batch` the way a node does: the bytes of its snapshot (built by `snapshotAt`) are
 * stored first with `writeSnapshot`, then the batch puts it in force.
 */
export async function persistStored(storage: Storage, batch: PersistBatch): Promise<void> {
  if (batch.snapshot !== undefined) {
    await storage.writeSnapshot(batch.snapshot.index, streamOf(snapshotData(batch.snapshot)));
  }
  await storage.persist(batch);
}

/** `data` as a snapshot stream of slices of at most `sliceBytes` bytes (one empty slice if empty). */
export async function* streamOf(data: Uint8Array, sliceBytes = 3): SnapshotStream {
  if (data.byteLength === 0) yield data;
  for (let offset = 0; offset < data.byteLength; offset += sliceBytes) {
    yield data.slice(offset, offset + sliceBytes);
  }
}

/** A hard state from plain numbers and strings. */
export function hard(term: number, vote: string | null, commit: number): HardState {
  return { term: term as Term, vote: vote as NodeId | null, commit: commit as Index };
}

/** A batch of the given parts, with no entries unless given. */
export function batch(parts: Partial<PersistBatch>): PersistBatch {
  return { entries: [], ...parts };
}

function bytesOf(text: string): Uint8Array {
  const bytes = utf8Encode(text);
  if (bytes === undefined) throw new TypeError(`not well-formed text: ${JSON.stringify(text)}`);
  // A copy of its own: the codec may hand out shared bytes, and tests change what they get.
  return bytes.slice();
}
