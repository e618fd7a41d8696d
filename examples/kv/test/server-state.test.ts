// The server's state machine: key-value commands and member address records share one log and one
// snapshot; a snapshot written before the address book existed still restores.
import { encodeKvCommand, encodeKvSnapshot } from "@flotilla/kv-model";
import { describe, expect, it } from "vitest";
import { AddressBook } from "../src/address-book.js";
import { encodeMemberCommand, MemberCommandError } from "../src/member-command.js";
import { ServerStateMachine } from "../src/server-state.js";
import { readStream, streamOf } from "./snapshot-bytes.js";

const at = (n: number) => n as never;
const seeded = () =>
  new AddressBook([
    ["a", { raft: { host: "127.0.0.1", port: 7001 }, api: { host: "127.0.0.1", port: 8001 } }],
  ]);

describe("ServerStateMachine", () => {
  it("records member addresses from the log and carries them in its snapshot", async () => {
    const machine = new ServerStateMachine(seeded());
    const learned: string[] = [];
    machine.addresses.onChange((id) => learned.push(id));
    expect(machine.apply(encodeKvCommand({ op: "put", key: "k", value: "v" }), at(1))).toEqual({
      op: "put",
    });
    const record = { id: "d", raft: "127.0.0.1:7004", api: "[::1]:8004" };
    expect(machine.apply(encodeMemberCommand(record), at(2))).toEqual({ op: "member", id: "d" });
    expect(learned).toEqual(["d"]);

    const copy = new ServerStateMachine(new AddressBook());
    copy.addresses.onChange((id) => learned.push(`copy ${id}`));
    await copy.restore(machine.snapshot());
    expect(learned).toEqual(["d", "copy d"]);
    expect(copy.addresses.all()).toEqual([record]); // the seed "a" is not replicated
    expect(copy.store.digest()).toBe(machine.store.digest());
    expect(machine.addresses.all().map((r) => r.id)).toEqual(["a", "d"]);
  });

  it("a replicated record wins over the command line's address", () => {
    const machine = new ServerStateMachine(seeded());
    const moved = { id: "a", raft: "127.0.0.1:7101", api: "127.0.0.1:8101" };
    machine.apply(encodeMemberCommand(moved), at(1));
    expect(machine.addresses.apiUrl("a")).toBe("http://127.0.0.1:8101");
  });

  it("restores a key-value snapshot written before the address book existed", async () => {
    const machine = new ServerStateMachine(seeded());
    await machine.restore(streamOf(encodeKvSnapshot(new Map([["k", "v"]]))));
    expect(machine.store.size).toBe(1);
    expect(machine.addresses.all().map((r) => r.id)).toEqual(["a"]);
  });

  it("restores its snapshot streamed a byte at a time (the envelope cut anywhere)", async () => {
    const machine = new ServerStateMachine(seeded());
    machine.apply(encodeKvCommand({ op: "put", key: "k", value: "v" }), at(1));
    machine.apply(
      encodeMemberCommand({ id: "d", raft: "127.0.0.1:7004", api: "[::1]:8004" }),
      at(2),
    );
    const bytes = await readStream(machine.snapshot());
    const copy = new ServerStateMachine(new AddressBook());
    await copy.restore(streamOf(...Array.from(bytes, (byte) => Uint8Array.of(byte))));
    expect(copy.addresses.all().map((r) => r.id)).toEqual(["d"]);
    expect(copy.store.digest()).toBe(machine.store.digest());
    const truncated = new ServerStateMachine(new AddressBook());
    await expect(truncated.restore(streamOf(bytes.subarray(0, 7)))).rejects.toThrow(
      MemberCommandError,
    );
  });

  it("refuses a malformed member record (the node then stops: replicas must agree)", () => {
    const machine = new ServerStateMachine(seeded());
    const bad = encodeMemberCommand({ id: "d", raft: "nowhere", api: "127.0.0.1:1" });
    expect(() => machine.apply(bad, at(1))).toThrow(MemberCommandError);
    expect(() => machine.apply(Uint8Array.of(0xa0, 0x7b), at(1))).toThrow(MemberCommandError);
  });
});
