// `pnpm bench storage --beside-snapshot-mb N`: how long the log's durable appends take while
// snapshots are written on the same disk, as on one machine running a cluster (bench growth,
// issue 11): two FileStorages each write an N MB snapshot at once (256 KiB slices, a turn of the
// event loop between them, as examples/kv's store streams one) and put it in force, twice, so
// that the second time each also removes the first one's file; then a fourth, its log filled
// beforehand with 140 MiB of entries, puts a snapshot in force that covers its first two
// segments (64 MiB each), which it removes. Meanwhile a fifth appends 16 entries of 1,100 bytes
// (a batch of bench growth's writes) with its hard state, one persist every ~2 ms.
// A follower's acknowledgements wait for its append, and a leader steps down (CheckQuorum) after
// an election timeout (200 ms in examples/kv) without its quorum's: the appends' worst case is
// the figure. Prints one JSON line.

import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Entry, Index, NodeId, Term } from "@flotilla/core";
import { type FileStorage, openFileStorage } from "@flotilla/storage-file";

const sliceBytes = 256 * 1024;
const writers = 2;
const rounds = 2;
const batchEntries = 16;
const membership = { voters: ["a" as NodeId], learners: [] };

export async function besideSnapshot(dir: string, megabytes: number): Promise<void> {
  const root = await mkdtemp(join(dir, "flotilla-bench-beside-snapshot-"));
  try {
    const log = await openFileStorage(join(root, "log"));
    const snapshotters = await Promise.all(
      Array.from({ length: writers }, (_, i) => openFileStorage(join(root, `snapshot-${i}`))),
    );
    const compacted = await openFileStorage(join(root, "compacted"));
    await fillLog(compacted);
    let done = false;
    const latencies: number[] = [];
    const appending = appendUntil(log, latencies, () => done);
    await sleep(300); // appends alone first
    const start = performance.now();
    const writeMs: number[] = [];
    const inForceMs: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const times = await Promise.all(
        snapshotters.map((storage) => snapshotInForce(storage, round * 1000, megabytes)),
      );
      for (const time of times) {
        writeMs.push(time.writeMs);
        inForceMs.push(time.inForceMs);
      }
    }
    const bothMs = Math.round(performance.now() - start);
    const compactionMs = await compactLog(compacted);
    await sleep(1000); // and while the last syncs and removals settle
    done = true;
    await appending;
    await log.close();
    for (const storage of [...snapshotters, compacted]) await storage.close();
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    const result = {
      snapshotMB: megabytes,
      snapshotsAtOnce: writers,
      rounds,
      snapshotWriteMs: writeMs,
      /** The persists putting them in force (the second round's remove the first round's files). */
      inForceMs,
      /** The persist putting in force a snapshot that covers two 64 MiB segments (removed). */
      compactionMs,
      snapshotsMBPerSec: Math.round((rounds * writers * megabytes * 1000) / bothMs),
      appends: latencies.length,
      appendP50Ms: round(at(0.5)),
      appendP99Ms: round(at(0.99)),
      appendMaxMs: round(sorted.at(-1) ?? 0),
      appendsOver50Ms: latencies.filter((ms) => ms > 50).length,
      appendsOver100Ms: latencies.filter((ms) => ms > 100).length,
    };
    console.log(
      `${rounds} rounds of ${writers} snapshots of ${megabytes} MB written at once in ${writeMs.join(", ")} ms, ` +
        `put in force in ${inForceMs.join(", ")} ms; two segments compacted in ${compactionMs} ms; ` +
        `${result.appends} appends beside them: p50 ${result.appendP50Ms} ms, p99 ${result.appendP99Ms} ms, ` +
        `max ${result.appendMaxMs} ms, ${result.appendsOver50Ms} over 50 ms, ${result.appendsOver100Ms} over 100 ms`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const filledEntries = 140;

/** Appends `filledEntries` entries of 1 MiB: two full 64 MiB segments and the start of a third. */
async function fillLog(storage: FileStorage): Promise<void> {
  const data = new Uint8Array(1024 * 1024).fill(3);
  for (let index = 1; index <= filledEntries; index++) {
    await storage.persist({
      entries: [{ kind: "command", index: index as Index, term: 1 as Term, data }],
    });
  }
}

/** Puts in force a (small) snapshot covering the first two segments; the persist's time. */
async function compactLog(storage: FileStorage): Promise<number> {
  const index = 130 as Index;
  const stored = await storage.writeSnapshot(index, slices(sliceBytes));
  const begun = performance.now();
  await storage.persist({
    entries: [],
    snapshot: { index, term: 1 as Term, membership, ...stored },
  });
  return Math.round(performance.now() - begun);
}

/** Writes a snapshot at `index` and puts it in force (removing the one before, if any). */
async function snapshotInForce(storage: FileStorage, index: number, megabytes: number) {
  const begun = performance.now();
  const stored = await storage.writeSnapshot(index as Index, slices(megabytes * 1024 * 1024));
  const written = performance.now();
  const snapshot = { index: index as Index, term: 1 as Term, membership, ...stored };
  await storage.persist({ entries: [], snapshot });
  return {
    writeMs: Math.round(written - begun),
    inForceMs: Math.round(performance.now() - written),
  };
}

async function appendUntil(
  log: FileStorage,
  latencies: number[],
  done: () => boolean,
): Promise<void> {
  const data = new Uint8Array(1100).fill(42);
  let next = 1;
  while (!done()) {
    const entries: Entry[] = [];
    for (let i = 0; i < batchEntries; i++) {
      entries.push({ kind: "command", index: (next + i) as Index, term: 1 as Term, data });
    }
    const hardState = { term: 1 as Term, vote: "a" as NodeId, commit: (next - 1) as Index };
    const begun = performance.now();
    await log.persist({ entries, hardState });
    latencies.push(performance.now() - begun);
    next += batchEntries;
    await sleep(2);
  }
}

async function* slices(bytes: number): AsyncGenerator<Uint8Array> {
  const slice = new Uint8Array(sliceBytes).fill(7);
  for (let written = 0; written < bytes; written += sliceBytes) {
    yield slice;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
