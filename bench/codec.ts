// `pnpm bench codec`: encode and decode throughput of a typical AppendEntries (64 entries of 64
// bytes each, the shape the UDP bench sends at 64 in flight). Prints a table, then one JSON line.

import { parseArgs } from "node:util";
import {
  type AppendEntries,
  decodeMessage,
  type Entry,
  encodeMessage,
  index,
  nodeId,
  term,
} from "@flotilla/core";

function typicalAppendEntries(entryCount: number, entryBytes: number): AppendEntries {
  const entries: Entry[] = [];
  for (let i = 0; i < entryCount; i++) {
    const data = new Uint8Array(entryBytes);
    for (let b = 0; b < entryBytes; b++) data[b] = (i * 31 + b) & 0xff;
    entries.push({ kind: "command", index: index(100_001 + i), term: term(7), data });
  }
  return {
    type: "appendEntries",
    from: nodeId("node-1"),
    to: nodeId("node-2"),
    term: term(7),
    prevLogIndex: index(100_000),
    prevLogTerm: term(7),
    leaderCommit: index(99_990),
    seq: 123_456,
    entries,
  };
}

/** Runs `work` for about `durationMs` (after a warm-up) and returns operations per second. */
function measure(durationMs: number, work: () => void): number {
  for (let i = 0; i < 2_000; i++) work();
  let operations = 0;
  const started = performance.now();
  let now = started;
  while (now - started < durationMs) {
    for (let i = 0; i < 500; i++) work();
    operations += 500;
    now = performance.now();
  }
  return operations / ((now - started) / 1000);
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      entries: { type: "string", default: "64" },
      bytes: { type: "string", default: "64" },
      ms: { type: "string", default: "2000" },
    },
  });
  const entryCount = Number(values.entries);
  const entryBytes = Number(values.bytes);
  const durationMs = Number(values.ms);
  const message = typicalAppendEntries(entryCount, entryBytes);
  const encoded = encodeMessage(message);
  let sink = 0;
  const encodePerSec = measure(durationMs, () => {
    sink += encodeMessage(message).length;
  });
  const decodePerSec = measure(durationMs, () => {
    sink += (decodeMessage(encoded) as AppendEntries).entries.length;
  });
  if (sink === 0) throw new Error("unreachable: keeps the work from being optimised away");
  const mb = (perSec: number) => (perSec * encoded.length) / 1e6;
  const result = {
    entryCount,
    entryBytes,
    messageBytes: encoded.length,
    encodePerSec: Math.round(encodePerSec),
    decodePerSec: Math.round(decodePerSec),
    encodeEntriesPerSec: Math.round(encodePerSec * entryCount),
    decodeEntriesPerSec: Math.round(decodePerSec * entryCount),
    encodeMBps: Number(mb(encodePerSec).toFixed(1)),
    decodeMBps: Number(mb(decodePerSec).toFixed(1)),
  };
  console.log(
    `AppendEntries with ${entryCount} × ${entryBytes}-byte entries: ${encoded.length} bytes`,
  );
  console.log(
    `  encode  ${result.encodePerSec.toLocaleString("en")} msg/s  ${result.encodeMBps} MB/s`,
  );
  console.log(
    `  decode  ${result.decodePerSec.toLocaleString("en")} msg/s  ${result.decodeMBps} MB/s`,
  );
  console.log(JSON.stringify(result));
}
