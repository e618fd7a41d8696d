import { describe, expect, it } from "vitest";
import { SimDisk } from "../src/sim-disk.js";
import { cmd, hard, persist } from "./fixtures.js";

const empty = hard(0, null, 0);

describe("simulated disk", () => {
  it("makes writes durable in order, never before an earlier one", () => {
    const disk = new SimDisk(empty);
    expect(disk.write(persist({ entries: [cmd(1, 1)] }), 0, 10)).toBe(10);
    expect(disk.write(persist({ entries: [cmd(2, 1)] }), 1, 2)).toBe(10);
    expect(disk.load().entries).toEqual([]);
    disk.completeNext();
    expect(disk.lastDurable()).toEqual({ index: 1, term: 1 });
    disk.completeNext();
    expect(disk.load().entries.map((e) => e.index)).toEqual([1, 2]);
  });

  it("loses every pending write on a crash", () => {
    const disk = new SimDisk(empty);
    disk.write(persist({ entries: [cmd(1, 1)], hardState: hard(1, "1", 0) }), 0, 1);
    disk.completeNext();
    disk.write(persist({ entries: [cmd(2, 1), cmd(3, 1)], hardState: hard(2, "2", 1) }), 1, 5);
    disk.crash(undefined);
    const loaded = disk.load();
    expect(loaded.entries.map((e) => e.index)).toEqual([1]);
    expect(loaded.hardState).toEqual(hard(1, "1", 0));
    expect(disk.pendingWrites).toBe(0);
  });

  it("tears the write in progress: truncation and a prefix of entries, never its hard state", () => {
    const disk = new SimDisk(empty);
    disk.write(persist({ entries: [cmd(1, 1), cmd(2, 1), cmd(3, 1)] }), 0, 0);
    disk.completeNext();
    disk.write(
      persist({
        truncateFrom: 2,
        entries: [cmd(2, 2), cmd(3, 2), cmd(4, 2)],
        hardState: hard(2, null, 1),
      }),
      0,
      5,
    );
    disk.write(persist({ entries: [cmd(5, 2)] }), 0, 5);
    disk.crash(2);
    const loaded = disk.load();
    expect(loaded.entries.map((e) => `${e.index}/${e.term}`)).toEqual(["1/1", "2/2", "3/2"]);
    expect(loaded.hardState).toEqual(empty);
    expect(disk.mirror.lastIndex).toBe(3);
  });

  it("hands init a copy, so a reducer appending in place cannot change what is durable", () => {
    const disk = new SimDisk(empty);
    disk.write(persist({ entries: [cmd(1, 1)] }), 0, 0);
    disk.completeNext();
    (disk.load().entries as unknown as unknown[]).push("junk");
    expect(disk.load().entries).toHaveLength(1);
  });
});
