// The steps and expectations the cases of the storage conformance suite share
// (storage-conformance.ts): storing a batch as a node does, and checking what storage loads.

import { utf8Decode } from "../codec/utf8.js";
import type { Entry, Persisted, Snapshot } from "../entry.js";
import type { PersistBatch, SnapshotStream, Storage } from "../interfaces.js";
import { InvalidPersistError } from "../storage-errors.js";
import { expectEqual, expectRejection } from "./assert.js";
import { batch, hard, hasSnapshotData, snapshotData, streamOf } from "./fixtures.js";

/** One case of the suite: `open` gives a fresh storage, `reopen` one over the same data. */
export type ConformanceCase = (
  open: () => Promise<Storage>,
  reopen: () => Promise<Storage>,
) => Promise<void>;

/** A case and its title, as the suite registers it. */
export type NamedCase = readonly [string, ConformanceCase];

/** What a storage that never stored anything loads. */
export const emptyState: Persisted = { hardState: hard(0, null, 0), snapshot: null, entries: [] };

/** UTF-8 text of `bytes` (null stays null). */
export function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : (utf8Decode(bytes, 0, bytes.byteLength) ?? null);
}

/** Every byte of a snapshot stream. */
export async function readAll(stream: SnapshotStream): Promise<Uint8Array> {
  const parts: number[] = [];
  for await (const slice of stream) parts.push(...slice);
  return Uint8Array.from(parts);
}

/** Stores the bytes of the batch's snapshot (built by `snapshotAt`), then persists the batch. */
export async function persistStored(storage: Storage, parts: Partial<PersistBatch>): Promise<void> {
  if (parts.snapshot !== undefined) await store(storage, parts.snapshot);
  await storage.persist(batch(parts));
}

/** Stores a snapshot's bytes (not yet in force) the way a node stores one it took. */
export async function store(storage: Storage, snapshot: Snapshot): Promise<void> {
  const stored = await storage.writeSnapshot(snapshot.index, streamOf(snapshotData(snapshot)));
  expectEqual(stored, { size: snapshot.size, checksum: snapshot.checksum }, "writeSnapshot");
}

/**
 * Checks that storage refuses the batch as misuse (`InvalidPersistError`) and changes nothing.
 */
export async function expectMisuse(storage: Storage, parts: Partial<PersistBatch>): Promise<void> {
  // Its bytes stored, when it has any, so that only the batch itself is at fault.
  if (parts.snapshot !== undefined && hasSnapshotData(parts.snapshot)) {
    await store(storage, parts.snapshot);
  }
  const before = await storage.load();
  const what = `persist(${describeBatch(parts)})`;
  await expectRejection(storage.persist(batch(parts)), InvalidPersistError, what);
  expectEqual(await storage.load(), before, `after the refused ${what}`);
}

function describeBatch(parts: Partial<PersistBatch>): string {
  const described: string[] = [];
  if (parts.snapshot !== undefined) {
    described.push(`snapshot ${parts.snapshot.index}/${parts.snapshot.term}`);
  }
  if (parts.truncateFrom !== undefined) described.push(`truncateFrom ${parts.truncateFrom}`);
  if (parts.entries !== undefined) {
    described.push(`entries ${parts.entries.map((e) => `${e.index}/${e.term}`).join(",")}`);
  }
  if (parts.hardState !== undefined) described.push(`hardState ${JSON.stringify(parts.hardState)}`);
  return described.join("; ");
}

/** Checks what storage loads. */
export async function expectLoads(
  storage: Storage,
  expected: Persisted,
  what: string,
): Promise<void> {
  expectEqual(await storage.load(), expected, what);
}

/** Checks the entries storage loads. */
export async function expectEntries(
  storage: Storage,
  expected: Entry[],
  what: string,
): Promise<void> {
  expectEqual((await storage.load()).entries, expected, what);
}
