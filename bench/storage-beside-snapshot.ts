// `pnpm bench storage --beside-snapshot-mb N`: how long the log's durable appends take while
// snapshots are written on the same disk, as on one machine running a cluster (bench growth,
// issue 11): two FileStorages each write an N MB snapshot at once (256 KiB slices, a turn of the
// event loop between them, as examples/kv's store streams one) while a third appends 16 entries
// of 1,100 bytes (a batch of bench growth's writes) with its hard state, one persist every ~2 ms.
// A follower's acknowledgements wait for its append, and a leader steps down (CheckQuorum) after
// an election timeout (200 ms in examples/kv) without its quorum's: the appends' worst case is
// the figure. Prints one JSON line.

import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Entry, Index, NodeId, Term } from "@flotilla/core";
import { openFileStorage } from "@flotilla/storage-file";

const sliceBytes = 256 * 1024;
const writers = 2;
const batchEntries = 16;

export async function besideSnapshot(dir: string, megabytes: number): Promise<void> {
  const root = await mkdtemp(join(dir, "flotilla-bench-beside-snapshot-"));
  try {
    const log = await openFileStorage(join(root, "log"));
    const snapshotters = await Promise.all(
      Array.from({ length: writers }, (_, i) => openFileStorage(join(root, `snapshot-${i}`))),
    );
    let done = false;
    const latencies: number[] = [];
    const appending = appendUntil(log, latencies, () => done);
    await sleep(300); // appends alone first
    const start = performance.now();
    const writeMs = await Promise.all(
      snapshotters.map(async (storage, i) => {
        const begun = performance.now();
        await storage.writeSnapshot((1000 + i) as Index, slices(megabytes * 1024 * 1024));
        return Math.round(performance.now() - begun);
      }),
    );
    const bothMs = Math.round(performance.now() - start);
    await sleep(300); // and while the last syncs settle
    done = true;
    await appending;
    await log.close();
    for (const storage of snapshotters) await storage.close();
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    const result = {
      snapshotMB: megabytes,
      snapshotsAtOnce: writers,
      snapshotWriteMs: writeMs,
      snapshotsMBPerSec: Math.round((writers * megabytes * 1000) / bothMs),
      appends: latencies.length,
      appendP50Ms: round(at(0.5)),
      appendP99Ms: round(at(0.99)),
      appendMaxMs: round(sorted.at(-1) ?? 0),
      appendsOver50Ms: latencies.filter((ms) => ms > 50).length,
      appendsOver100Ms: latencies.filter((ms) => ms > 100).length,
    };
    console.log(
      `${writers} snapshots of ${megabytes} MB written at once in ${writeMs.join(" and ")} ms; ` +
        `${result.appends} appends beside them: p50 ${result.appendP50Ms} ms, p99 ${result.appendP99Ms} ms, ` +
        `max ${result.appendMaxMs} ms, ${result.appendsOver50Ms} over 50 ms, ${result.appendsOver100Ms} over 100 ms`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function appendUntil(
  log: Awaited<ReturnType<typeof openFileStorage>>,
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
