// `pnpm bench storage [--seconds N] [--rounds R] [--dir PATH]`: durable appends through FileStorage
// of 64-byte entries in batches of 1, 16 and 256 (each persist = one record written O_DSYNC), the
// same with the hard state a replicating node persists alongside (same term and vote, the commit
// index moved to the previous batch's end, as the reducer emits it), next to the raw latency of
// writing a few bytes and fsyncing (or writing them O_DSYNC) on the same disk in the same run, which
// bounds what any durable log can do per batch. Each measurement runs R rounds of N/R seconds,
// interleaved, and reports the median round: a shared disk's stalls hit single rounds, and the
// median keeps one stall from deciding the result. Last line: one JSON object with the numbers.
// `--beside-snapshot-mb N` runs instead the appends beside snapshots being written
// (storage-beside-snapshot.ts).

import { constants } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Entry, Index, NodeId, Term } from "@flotilla/core";
import { openFileStorage } from "@flotilla/storage-file";
import { besideSnapshot } from "./storage-beside-snapshot.js";

const batchSizes = [1, 16, 256] as const;
const committedBatchSizes = [1, 16] as const;
const entryBytes = 64;

type Row = {
  name: string;
  entriesPerSec: number;
  batchesPerSec: number;
  p50Ms: number;
  p99Ms: number;
};

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: "string", default: "5" },
      rounds: { type: "string", default: "5" },
      dir: { type: "string", default: tmpdir() },
      "beside-snapshot-mb": { type: "string" },
    },
  });
  if (values["beside-snapshot-mb"] !== undefined) {
    await besideSnapshot(values.dir, Number(values["beside-snapshot-mb"]));
    return;
  }
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds) / rounds;
  const root = await mkdtemp(join(values.dir, "flotilla-bench-storage-"));
  try {
    const results = new Map<string, Row[]>();
    const record = (row: Row) => results.set(row.name, [...(results.get(row.name) ?? []), row]);
    for (let round = 0; round < rounds; round++) {
      for (const row of await rawSyncs(root, round, seconds)) record(row);
      for (const size of batchSizes) {
        record(await appends(join(root, `batch-${size}-${round}`), size, seconds, false));
      }
      for (const size of committedBatchSizes) {
        record(await appends(join(root, `commit-${size}-${round}`), size, seconds, true));
      }
    }
    const rows = [...results.values()].map(medianRound);
    const rawFsync = rows[0]!;
    console.log(`${rounds} rounds of ${seconds.toFixed(2)} s each; the median round of each row:`);
    printTable(rows);
    const perBatch = (name: string) => Math.round(rows.find((r) => r.name === name)!.entriesPerSec);
    console.log(
      JSON.stringify({
        entriesPerSec: Object.fromEntries(batchSizes.map((n) => [n, perBatch(batchName(n))])),
        entriesPerSecWithCommit: Object.fromEntries(
          committedBatchSizes.map((n) => [n, perBatch(committedBatchName(n))]),
        ),
        fsyncP50Ms: round(rows.find((r) => r.name === batchName(1))!.p50Ms),
        rawFsyncP50Ms: round(rawFsync.p50Ms),
      }),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The ways of making a small write durable that the raw rows compare. */
const rawKinds = ["fsync", "fdatasync", "O_DSYNC"] as const;

/**
 * Appends a few bytes and syncs, in a loop: the disk's floor for one durable write. One write of
 * each kind per iteration, in turn (the first kind moving each time), each to its own file, so a
 * shared disk's slow moments hit all three alike. `O_DSYNC`: the write alone, on a descriptor
 * opened O_DSYNC (one trip to libuv's thread pool, where a write and a sync take two).
 */
async function rawSyncs(root: string, round: number, seconds: number): Promise<Row[]> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC;
  const files = await Promise.all(
    rawKinds.map((kind) =>
      open(
        join(root, `raw-${kind}-${round}`),
        kind === "O_DSYNC" ? flags | constants.O_DSYNC : flags,
      ),
    ),
  );
  const bytes = new Uint8Array(16).fill(7);
  const latencies: number[][] = rawKinds.map(() => []);
  let position = 0;
  const until = performance.now() + seconds * 1000;
  try {
    for (let turn = 0; performance.now() < until; turn++) {
      for (let k = 0; k < rawKinds.length; k++) {
        const i = (turn + k) % rawKinds.length;
        const [kind, file] = [rawKinds[i]!, files[i]!];
        const start = performance.now();
        await file.write(bytes, 0, bytes.length, position);
        if (kind !== "O_DSYNC") await (kind === "fsync" ? file.sync() : file.datasync());
        latencies[i]!.push(performance.now() - start);
      }
      position += bytes.length;
    }
  } finally {
    await Promise.all(files.map((file) => file.close()));
  }
  return rawKinds.map((kind, i) =>
    summarize(`raw write 16 B ${kind === "O_DSYNC" ? kind : `+ ${kind}`}`, latencies[i]!, 1),
  );
}

const batchName = (size: number) => `persist batch ${size}`;
const committedBatchName = (size: number) => `persist batch ${size} + commit`;

/** Appends batches of `batchSize` entries; `withCommit` adds the hard state with a moved commit. */
async function appends(
  dir: string,
  batchSize: number,
  seconds: number,
  withCommit: boolean,
): Promise<Row> {
  const storage = await openFileStorage(dir);
  const data = new Uint8Array(entryBytes).fill(42);
  const latencies: number[] = [];
  let next = 1;
  const until = performance.now() + seconds * 1000;
  try {
    while (performance.now() < until) {
      const entries: Entry[] = [];
      for (let i = 0; i < batchSize; i++) {
        entries.push({ kind: "command", index: (next + i) as Index, term: 1 as Term, data });
      }
      // A follower learns the commit index with the next entries, so it trails them by a batch.
      const hardState = { term: 1 as Term, vote: "a" as NodeId, commit: (next - 1) as Index };
      const start = performance.now();
      await storage.persist(withCommit ? { entries, hardState } : { entries });
      latencies.push(performance.now() - start);
      next += batchSize;
    }
  } finally {
    await storage.close();
  }
  return summarize(
    withCommit ? committedBatchName(batchSize) : batchName(batchSize),
    latencies,
    batchSize,
  );
}

function summarize(name: string, latencies: number[], entriesPerOp: number): Row {
  const total = latencies.reduce((sum, ms) => sum + ms, 0);
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    name,
    entriesPerSec: (latencies.length * entriesPerOp * 1000) / total,
    batchesPerSec: (latencies.length * 1000) / total,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

function medianRound(rounds: readonly Row[]): Row {
  const sorted = [...rounds].sort((a, b) => a.entriesPerSec - b.entriesPerSec);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function printTable(rows: readonly Row[]): void {
  const header = ["", "entries/s", "ops/s", "p50 ms", "p99 ms"];
  const lines = rows.map((r) => [
    r.name,
    Math.round(r.entriesPerSec).toLocaleString("en-US"),
    Math.round(r.batchesPerSec).toLocaleString("en-US"),
    r.p50Ms.toFixed(3),
    r.p99Ms.toFixed(3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const line of [header, ...lines]) {
    console.log(
      line
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join("  "),
    );
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
