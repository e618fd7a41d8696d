import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/crc32.js";
import { lastWritten, mergePersistEffects } from "../../src/driver/merge-persist.js";
import type { Entry, Index, NodeId, PersistBatch, Snapshot, Term } from "../../src/index.js";
import { MemoryStorage } from "../../src/index.js";
import { streamOf } from "../../src/testing.js";

const i = (n: number) => n as Index;
const t = (n: number) => n as Term;
const noop = (index: number, term: number): Entry => ({
  kind: "noop",
  index: i(index),
  term: t(term),
});
const snapshotAt = (index: number, term: number): Snapshot => ({
  index: i(index),
  term: t(term),
  membership: { voters: ["a" as NodeId], learners: [] },
  size: 1,
  checksum: crc32(new Uint8Array([index])),
});

describe("mergePersistEffects", () => {
  it("returns null when nothing is to be written", () => {
    expect(mergePersistEffects([])).toBeNull();
    expect(mergePersistEffects([{ entries: [] }, { entries: [] }])).toBeNull();
  });

  it("concatenates appends and keeps the last hard state", () => {
    const batch = mergePersistEffects([
      { entries: [noop(1, 1)], hardState: { term: t(1), vote: null, commit: i(0) } },
      { entries: [noop(2, 1), noop(3, 1)], hardState: { term: t(1), vote: null, commit: i(2) } },
    ]);
    expect(batch).toEqual({
      entries: [noop(1, 1), noop(2, 1), noop(3, 1)],
      hardState: { term: 1, vote: null, commit: 2 },
    });
  });

  it("drops earlier entries at or beyond a later truncation and truncates from the lower point", () => {
    const batch = mergePersistEffects([
      { truncateFrom: i(5), entries: [noop(5, 2), noop(6, 2), noop(7, 2)] },
      { truncateFrom: i(6), entries: [noop(6, 3)] },
      { truncateFrom: i(4), entries: [noop(4, 4)] },
    ]);
    expect(batch).toEqual({ truncateFrom: 4, entries: [noop(4, 4)] });
  });

  it("lets an append that overlaps the batch's own entries replace them", () => {
    const batch = mergePersistEffects([
      { entries: [noop(1, 1), noop(2, 1), noop(3, 1)] },
      { entries: [noop(2, 2)] },
    ]);
    expect(batch).toEqual({ entries: [noop(1, 1), noop(2, 2)] });
  });

  it("keeps the last snapshot and drops the entries it covers", () => {
    const batch = mergePersistEffects([
      { truncateFrom: i(3), entries: [noop(3, 2), noop(4, 2), noop(5, 2)] },
      { snapshot: snapshotAt(2, 1), entries: [] },
      { snapshot: snapshotAt(4, 2), entries: [] },
    ]);
    // The truncation at 3 now lies inside the snapshot: it becomes "just after the snapshot".
    expect(batch).toEqual({ snapshot: snapshotAt(4, 2), truncateFrom: 5, entries: [noop(5, 2)] });
  });

  it("reports the last position written for the persisted event", () => {
    expect(lastWritten({ entries: [noop(1, 1), noop(2, 3)] })).toEqual({ index: 2, term: 3 });
    expect(lastWritten({ snapshot: snapshotAt(9, 4), entries: [] })).toEqual({ index: 9, term: 4 });
    expect(lastWritten({ hardState: { term: t(2), vote: null, commit: i(0) }, entries: [] })).toBe(
      null,
    );
  });

  // The defining property: one merged write leaves storage exactly as the writes one by one do,
  // from any stored starting point. MemoryStorage is the model (it also checks every batch).
  it("is equivalent to persisting the effects one by one (property)", async () => {
    const seed = 0x5eed_4;
    const op = fc.record({
      kind: fc.integer({ min: 0, max: 3 }),
      a: fc.nat(20),
      b: fc.nat(20),
      withHardState: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 8 }), fc.array(op, { maxLength: 12 }), run),
      { seed, numRuns: 500, verbose: true },
    );
  });
});

type Op = { kind: number; a: number; b: number; withHardState: boolean };
type Batch = PersistBatch;

async function run(prefixOps: Op[], ops: Op[]): Promise<void> {
  const shape = new LogShape();
  const prefix = prefixOps.map((o) => shape.next(o));
  const effects = ops.map((o) => shape.next(o));
  const oneByOne = new MemoryStorage();
  const merged = new MemoryStorage();
  // Every snapshot's bytes are stored before a batch puts it in force, as a node does.
  for (const effect of [...prefix, ...effects]) {
    if (effect.snapshot === undefined) continue;
    for (const storage of [oneByOne, merged]) {
      await storage.writeSnapshot(
        effect.snapshot.index,
        streamOf(Uint8Array.of(effect.snapshot.index)),
      );
    }
  }
  for (const effect of prefix) {
    await oneByOne.persist(effect);
    await merged.persist(effect);
  }
  for (const effect of effects) await oneByOne.persist(effect);
  const batch = mergePersistEffects(effects);
  if (batch !== null) await merged.persist(batch);
  expect(await merged.load()).toEqual(await oneByOne.load());
}

/** Turns random numbers into persist effects a correct node could emit, tracking the log shape. */
class LogShape {
  snapshotIndex = 0;
  snapshotTerm = 0;
  terms: number[] = []; // terms[k] is the term of entry snapshotIndex + 1 + k
  hardTerm = 0;

  get lastIndex(): number {
    return this.snapshotIndex + this.terms.length;
  }
  get lastTerm(): number {
    return this.terms.at(-1) ?? this.snapshotTerm;
  }

  next(o: Op): Batch {
    const parts: { -readonly [K in keyof Batch]: Batch[K] } = { entries: [] };
    if (o.kind === 1 && this.terms.length > 0) {
      const from = this.snapshotIndex + 1 + (o.a % this.terms.length);
      this.terms.length = from - this.snapshotIndex - 1;
      parts.truncateFrom = i(from);
    }
    if (o.kind === 2) {
      const index = this.snapshotIndex + (o.a % (this.terms.length + 3));
      const term = index <= this.lastIndex ? this.termAt(index) : this.lastTerm;
      this.terms = this.terms.slice(Math.min(index - this.snapshotIndex, this.terms.length));
      this.snapshotIndex = index;
      this.snapshotTerm = term;
      parts.snapshot = snapshotAt(index, term);
    } else {
      const count = (o.b % 4) + (o.kind === 0 ? 1 : 0);
      const term = this.lastTerm + (o.kind === 1 ? 1 : o.b % 2);
      const entries: Entry[] = [];
      for (let k = 0; k < count; k++) {
        entries.push(noop(this.lastIndex + 1, term));
        this.terms.push(term);
      }
      parts.entries = entries;
    }
    if (o.withHardState) {
      this.hardTerm = Math.max(this.hardTerm + (o.a % 2), this.lastTerm);
      parts.hardState = { term: t(this.hardTerm), vote: null, commit: i(o.b) };
    }
    return parts;
  }

  termAt(index: number): number {
    return index === this.snapshotIndex
      ? this.snapshotTerm
      : this.terms[index - this.snapshotIndex - 1]!;
  }
}
