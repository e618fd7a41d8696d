import { index } from "@flotilla/core";
import { encodeKvCommand, KvStateMachine } from "@flotilla/kv-model";
import { describe, expect, it } from "vitest";
import { KvStore } from "../src/kv-store.js";
import { RecordArena } from "../src/record-arena.js";
import { snapshotBytes } from "./snapshot-bytes.js";

describe("KvStore", () => {
  it("answers like @flotilla/kv-model's KvStateMachine and snapshots to the same bytes", async () => {
    const store = new KvStore();
    const reference = new KvStateMachine();
    const commands = [
      encodeKvCommand({ op: "put", key: "x", value: "1" }),
      encodeKvCommand({ op: "cas", key: "x", expected: "1", value: "2" }),
      encodeKvCommand({ op: "cas", key: "x", expected: "1", value: "3" }),
      encodeKvCommand({ op: "cas", key: "y", expected: null, value: "new" }),
      encodeKvCommand({ op: "get", key: "x" }),
      encodeKvCommand({ op: "get", key: "missing" }),
    ];
    commands.forEach((command, i) => {
      expect(store.apply(command, index(i + 1))).toEqual(reference.apply(command));
    });
    expect(await snapshotBytes(store)).toEqual(reference.snapshot());
  });

  it("knows the index of the last entry applied to it, none after a restore", async () => {
    const a = new KvStore();
    expect(a.appliedIndex).toBe(0);
    a.apply(encodeKvCommand({ op: "put", key: "k", value: "v" }), index(7));
    expect(a.appliedIndex).toBe(7);
    const b = new KvStore();
    b.apply(encodeKvCommand({ op: "put", key: "k", value: "w" }), index(9));
    await b.restore(a.snapshot());
    expect(b.appliedIndex).toBe(0); // the snapshot's index is the driver's
  });

  it("restores a snapshot, replacing its whole state, and digests equal states equally", async () => {
    const a = new KvStore();
    a.apply(encodeKvCommand({ op: "put", key: "k", value: "v" }), index(1));
    const b = new KvStore();
    b.apply(encodeKvCommand({ op: "put", key: "other", value: "gone after restore" }), index(1));
    expect(b.digest()).not.toBe(a.digest());
    await b.restore(a.snapshot());
    expect(b.size).toBe(1);
    expect(b.digest()).toBe(a.digest());
    expect(b.apply(encodeKvCommand({ op: "get", key: "k" }), index(2))).toEqual({
      op: "get",
      value: "v",
    });
  });

  it("digests the state, not the history: same keys and values in any order, any overwrites", () => {
    const put = (key: string, value: string) => encodeKvCommand({ op: "put", key, value });
    const a = new KvStore();
    for (const [i, command] of [put("x", "1"), put("y", "2"), put("x", "3")].entries()) {
      a.apply(command, index(i + 1));
    }
    const b = new KvStore();
    b.apply(put("y", "2"), index(1));
    b.apply(put("x", "3"), index(2));
    expect(a.digest()).toBe(b.digest());
    const fresh = new KvStore();
    expect(a.digest()).not.toBe(fresh.digest());
    b.apply(encodeKvCommand({ op: "cas", key: "x", expected: "3", value: "4" }), index(3));
    expect(b.digest()).not.toBe(a.digest());
    a.apply(put("x", "4"), index(4));
    expect(a.digest()).toBe(b.digest());
    // A key and value split differently is another state.
    const c = new KvStore();
    c.apply(put("ab", "c"), index(1));
    const d = new KvStore();
    d.apply(put("a", "bc"), index(1));
    expect(c.digest()).not.toBe(d.digest());
  });
});

describe("KvStore's record slabs", () => {
  it("compacts the holes overwrites leave: the slabs stay within twice the live records", () => {
    const store = new KvStore({ slabBytes: 4096 });
    const value = (i: number, round: number) => `${round}:`.padEnd(40 + ((i * 7) % 60), "v");
    let at = 0;
    let peak = 0;
    for (let round = 0; round < 200; round += 1) {
      for (let i = 0; i < 50; i += 1) {
        store.apply(
          encodeKvCommand({ op: "put", key: `k${i}`, value: value(i, round) }),
          index(++at),
        );
        peak = Math.max(peak, store.slabBytes);
      }
    }
    // Each record: 4-byte frame, opcode, two 1-byte lengths, the key and the value.
    const live = Array.from({ length: 50 }, (_, i) => 7 + `k${i}`.length + value(i, 199).length);
    const liveBytes = live.reduce((a, b) => a + b, 0);
    expect(peak).toBeLessThanOrEqual(2 * liveBytes + 2 * 4096);
    for (let i = 0; i < 50; i += 1) expect(store.get(`k${i}`)).toBe(value(i, 199));
  });

  it("appends a copy of the record, and adopts a restore's slice as it is", () => {
    const arena = new RecordArena({ isLive: () => true, moved: () => undefined });
    const record = encodeKvCommand({ op: "put", key: "k", value: "v" });
    const appended = arena.record(arena.append(record));
    expect(appended.buffer).not.toBe(record.buffer);
    expect([...appended]).toEqual([...record]);
    // A restore's slice: one framed record (4-byte big-endian length, then the command).
    const slice = new Uint8Array(4 + record.length);
    slice[3] = record.length;
    slice.set(record, 4);
    const base = arena.adopt(slice, 0, slice.length) as number;
    expect(arena.record(base).buffer).toBe(slice.buffer);
    expect([...arena.record(base)]).toEqual([...record]);
  });
});
