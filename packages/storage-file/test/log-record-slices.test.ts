// A long record's entries are encoded a slice at a time (log-record.ts): the same bytes as in one
// go, with a pause between slices, and FileStorage reads a record written that way back whole.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry, Index, Term } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { openFileStorage } from "../src/index.js";
import {
  encodeLogEntries,
  encodeLogEntriesInSlices,
  encodeLogRecord,
  writeLogRecord,
} from "../src/log-record.js";

function entries(from: number, count: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: "command" as const,
    index: (from + i) as Index,
    term: 1 as Term,
    data: new Uint8Array([i & 255, (i >> 8) & 255, 7]),
  }));
}

describe("encodeLogEntriesInSlices", () => {
  it("encodes the same record as encodeLogEntries, pausing between slices only", async () => {
    const record = { prevIndex: 4 as Index, commit: 3 as Index, entries: entries(5, 2500) };
    let pauses = 0;
    const sliced = await encodeLogEntriesInSlices(record, 1024, async () => {
      pauses += 1;
    });
    expect(pauses).toBe(2); // 1024 + 1024 + 452
    const whole = encodeLogEntries(record);
    expect(sliced.payloadBytes).toBe(whole.payloadBytes);
    const out = new Uint8Array(sliced.payloadBytes);
    writeLogRecord(sliced, out, 0);
    expect(out).toEqual(encodeLogRecord(record));
  });

  it("a persist of thousands of entries is read back whole after a reopen", async () => {
    const dir = await mkdtemp(join(tmpdir(), "flotilla-log-slices-"));
    try {
      const storage = await openFileStorage(dir);
      await storage.persist({ entries: entries(1, 3000) });
      await storage.persist({ entries: entries(3001, 2) });
      await storage.close();
      const reopened = await openFileStorage(dir);
      const loaded = await reopened.load();
      expect(loaded.entries.map((e) => e.index)).toEqual(entries(1, 3002).map((e) => e.index));
      expect(loaded.entries[2999]).toEqual(entries(1, 3000)[2999]);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
