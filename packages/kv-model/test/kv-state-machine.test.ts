import { index } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import {
  applyKv,
  decodeKvSnapshot,
  emptyKvState,
  encodeKvCommand,
  encodeKvSnapshot,
  KvCommandError,
  KvStateMachine,
} from "../src/index.js";

describe("applyKv", () => {
  it("puts, gets and compares-and-sets without changing its input state", () => {
    const s0 = emptyKvState;
    expect(applyKv(s0, { op: "get", key: "x" }).output).toEqual({ op: "get", value: null });
    const s1 = applyKv(s0, { op: "put", key: "x", value: "1" });
    expect(s1.output).toEqual({ op: "put" });
    expect(s0.size).toBe(0);
    const failed = applyKv(s1.state, { op: "cas", key: "x", expected: "0", value: "2" });
    expect(failed.output).toEqual({ op: "cas", ok: false });
    expect(failed.state).toBe(s1.state);
    const s2 = applyKv(s1.state, { op: "cas", key: "x", expected: "1", value: "2" });
    expect(s2.output).toEqual({ op: "cas", ok: true });
    expect(s1.state.get("x")).toBe("1");
    expect(applyKv(s2.state, { op: "get", key: "x" }).output).toEqual({ op: "get", value: "2" });
    expect(applyKv(s2.state, { op: "cas", key: "y", expected: null, value: "n" }).output).toEqual({
      op: "cas",
      ok: true,
    });
  });
});

describe("KvStateMachine", () => {
  it("applies encoded commands and restores from its snapshot with equal bytes", () => {
    const machine = new KvStateMachine();
    machine.apply(encodeKvCommand({ op: "put", key: "b", value: "2" }), index(1));
    machine.apply(encodeKvCommand({ op: "put", key: "a", value: "1" }), index(2));
    expect(machine.apply(encodeKvCommand({ op: "get", key: "a" }), index(3))).toEqual({
      op: "get",
      value: "1",
    });
    const snapshot = machine.snapshot();
    const other = new KvStateMachine();
    other.restore(snapshot);
    expect([...other.state]).toEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
    // Insertion order does not leak into the bytes: equal states, equal snapshots.
    const reordered = new Map([
      ["a", "1"],
      ["b", "2"],
    ]);
    expect(encodeKvSnapshot(reordered)).toEqual(snapshot);
    expect(decodeKvSnapshot(new Uint8Array()).size).toBe(0);
  });

  it("rejects malformed commands and snapshots", () => {
    expect(() => new KvStateMachine().apply(Uint8Array.of(7), index(1))).toThrow(KvCommandError);
    expect(() => decodeKvSnapshot(Uint8Array.of(0, 0))).toThrow(KvCommandError);
    expect(() => decodeKvSnapshot(Uint8Array.of(0, 0, 0, 9, 1))).toThrow(KvCommandError);
    const getRecord = encodeKvCommand({ op: "get", key: "a" });
    expect(() => decodeKvSnapshot(Uint8Array.of(0, 0, 0, getRecord.length, ...getRecord))).toThrow(
      KvCommandError,
    );
  });
});
