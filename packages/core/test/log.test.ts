import type { Entry, Index, Term } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { RaftLog } from "../src/log.js";

const e = (index: number, term: number, size = 1): Entry => ({
  kind: "command",
  index: index as Index,
  term: term as Term,
  data: new Uint8Array(size),
});
const terms = (log: RaftLog) => log.slice(log.firstIndex, log.lastIndex).map((x) => x.term);

describe("RaftLog", () => {
  it("appending at the tip shares the backing array; older views keep their length", () => {
    const a = RaftLog.from([e(1, 1), e(2, 1)], 0, 0);
    const b = a.append([e(3, 2)]);
    const c = b.append([e(4, 2)]);
    expect(terms(a)).toEqual([1, 1]);
    expect(terms(b)).toEqual([1, 1, 2]);
    expect(terms(c)).toEqual([1, 1, 2, 2]);
    expect(a.lastIndex).toBe(2);
    expect(b.term(4)).toBeUndefined();
  });

  it("appending to an older view copies, so the newer one is unaffected", () => {
    const a = RaftLog.from([e(1, 1)], 0, 0);
    const b = a.append([e(2, 1)]);
    const fork = a.append([e(2, 5)]);
    expect(terms(b)).toEqual([1, 1]);
    expect(terms(fork)).toEqual([1, 5]);
  });

  it("truncation leaves the old state whole; appending after it copies", () => {
    const a = RaftLog.from([e(1, 1), e(2, 1), e(3, 1)], 0, 0);
    const t = a.truncateFrom(2);
    expect(t.lastIndex).toBe(1);
    const u = t.append([e(2, 3)]);
    expect(terms(a)).toEqual([1, 1, 1]);
    expect(terms(u)).toEqual([1, 3]);
    expect(a.entry(2)!.term).toBe(1);
  });

  it("compaction moves the base; terms below it are gone, the base term is kept", () => {
    const a = RaftLog.from([e(1, 1), e(2, 2), e(3, 3)], 0, 0);
    const c = a.compactTo(2);
    expect(c.baseIndex).toBe(2);
    expect(c.term(2)).toBe(2);
    expect(c.term(1)).toBeUndefined();
    expect(terms(c)).toEqual([3]);
    expect(terms(a)).toEqual([1, 2, 3]);
  });

  it("compacting a large prefix copies the remainder and keeps byte counts right", () => {
    const entries = Array.from({ length: 10_000 }, (_, i) => e(i + 1, 1, 2));
    const log = RaftLog.from(entries, 0, 0).compactTo(9_000);
    expect(log.firstIndex).toBe(9_001);
    expect(log.bytesAfter(9_500)).toBe(1_000);
    const grown = log.append([e(10_001, 1, 5)]);
    expect(grown.bytesAfter(9_000)).toBe(2_005);
  });

  it("counts bytes after an index in O(1) and batches by a byte budget (at least one entry)", () => {
    const log = RaftLog.from([e(1, 1, 10), e(2, 1, 20), e(3, 1, 30)], 0, 0);
    expect(log.bytesAfter(0)).toBe(60);
    expect(log.bytesAfter(1)).toBe(50);
    expect(log.bytesAfter(3)).toBe(0);
    expect(log.batch(1, 30).map((x) => x.index)).toEqual([1, 2]);
    expect(log.batch(2, 5).map((x) => x.index)).toEqual([2]);
    expect(log.batch(1, 1000).map((x) => x.index)).toEqual([1, 2, 3]);
    expect(log.batch(4, 1000)).toEqual([]);
  });

  it("finds the first and last index of a term by binary search", () => {
    const log = RaftLog.from(
      [1, 1, 2, 2, 2, 4, 4].map((t, i) => e(i + 1, t)),
      0,
      0,
    );
    expect(log.firstIndexOfTerm(2, 7)).toBe(3);
    expect(log.firstIndexOfTerm(4, 6)).toBe(6);
    expect(log.lastIndexOfTerm(2)).toBe(5);
    expect(log.lastIndexOfTerm(1)).toBe(2);
    expect(log.lastIndexOfTerm(3)).toBeUndefined();
    expect(log.lastIndexOfTerm(5)).toBeUndefined();
  });
});
