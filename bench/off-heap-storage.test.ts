import { createHash } from "node:crypto";
import {
  type Entry,
  type Index,
  MemoryStorage,
  nodeId,
  type PersistBatch,
  type Storage,
  type Term,
} from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { OffHeapStorage } from "./off-heap-storage.js";

function digests(list: readonly Entry[]): string[] {
  return list.map((entry) =>
    entry.kind === "command"
      ? `${entry.index}/${entry.term} ${createHash("sha256").update(entry.data).digest("hex")}`
      : `${entry.index}/${entry.term} ${entry.kind}`,
  );
}

const voters = [nodeId("n1"), nodeId("n2"), nodeId("n3")];

function command(index: number, term: number, bytes = 64): Entry {
  const data = new Uint8Array(bytes).map((_, k) => (index * 7 + k) & 0xff);
  return { kind: "command", index: index as Index, term: term as Term, data };
}

function entries(from: number, to: number, term: number, bytes = 64): Entry[] {
  return Array.from({ length: to - from + 1 }, (_, k) => command(from + k, term, bytes));
}

async function* bytesOf(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

/** Runs the same steps on both storages; each step's outcome (done or refused) must agree. */
async function both(steps: readonly ((storage: Storage) => Promise<unknown>)[]) {
  const memory = new MemoryStorage();
  const offHeap = new OffHeapStorage();
  for (const step of steps) {
    const outcome = async (storage: Storage) =>
      step(storage).then(
        () => "done",
        (error: unknown) => (error as { code?: string }).code ?? String(error),
      );
    expect(await outcome(offHeap)).toBe(await outcome(memory));
  }
  return { memory: await memory.load(), offHeap: await offHeap.load() };
}

const persist = (batch: PersistBatch) => (storage: Storage) => storage.persist(batch);
const hardState = (term: number, commit: number) => ({
  term: term as Term,
  vote: nodeId("n1"),
  commit: commit as Index,
});

describe("OffHeapStorage loads what MemoryStorage loads after the same batches", () => {
  it("appends, a truncation and a new term, noop and membership entries", async () => {
    const { memory, offHeap } = await both([
      persist({
        hardState: hardState(1, 0),
        entries: [{ kind: "noop", index: 1 as Index, term: 1 as Term }],
      }),
      persist({ entries: entries(2, 40, 1) }),
      persist({
        hardState: hardState(2, 30),
        truncateFrom: 31 as Index,
        entries: entries(31, 35, 2, 10),
      }),
      persist({
        entries: [
          {
            kind: "membership",
            index: 36 as Index,
            term: 2 as Term,
            membership: { voters, learners: [] },
          },
        ],
      }),
      // A gap: refused whole by both.
      persist({ entries: entries(40, 41, 2) }),
      persist({ entries: entries(37, 38, 2) }),
    ]);
    expect(offHeap).toEqual(memory);
    expect(offHeap.entries).toHaveLength(38);
  });

  it("entries across chunks, one larger than a chunk", async () => {
    const { memory, offHeap } = await both([
      persist({ hardState: hardState(1, 0), entries: entries(1, 3, 1, 300_000) }),
      persist({ entries: entries(4, 4, 1, 1_500_000) }),
      persist({ entries: entries(5, 9, 1, 200_000) }),
    ]);
    // Digests, not the bytes: a deep comparison of megabytes takes the test's whole budget.
    expect(digests(offHeap.entries)).toEqual(digests(memory.entries));
    expect(offHeap.entries).toHaveLength(9);
  });

  it("a snapshot in force drops the entries it covers; its bytes read back", async () => {
    const data = new Uint8Array(1000).fill(9);
    let snapshotTaken = { size: 0, checksum: 0 };
    const { memory, offHeap } = await both([
      persist({ hardState: hardState(1, 20), entries: entries(1, 30, 1) }),
      // Not stored yet: refused by both.
      persist({
        snapshot: {
          index: 20 as Index,
          term: 1 as Term,
          membership: { voters, learners: [] },
          size: 1000,
          checksum: 1,
        },
        entries: [],
      }),
      async (storage) => {
        snapshotTaken = await storage.writeSnapshot(20 as Index, bytesOf(data));
      },
      (storage) =>
        storage.persist({
          snapshot: {
            index: 20 as Index,
            term: 1 as Term,
            membership: { voters, learners: [] },
            ...snapshotTaken,
          },
          entries: entries(31, 32, 1),
        }),
    ]);
    expect(offHeap).toEqual(memory);
    expect(offHeap.entries.map((e) => e.index)).toEqual(
      Array.from({ length: 12 }, (_, k) => 21 + k),
    );
  });

  it("copies: what load returned does not change with later batches, nor with its caller", async () => {
    const storage = new OffHeapStorage();
    await storage.persist({ hardState: hardState(1, 0), entries: entries(1, 2, 1) });
    const first = await storage.load();
    (first.entries[0] as { data: Uint8Array }).data.fill(0);
    await storage.persist({ truncateFrom: 2 as Index, entries: entries(2, 2, 1, 8) });
    expect((await storage.load()).entries[0]).toEqual(command(1, 1));
    expect(first.entries[1]).toEqual(command(2, 1));
  });
});
