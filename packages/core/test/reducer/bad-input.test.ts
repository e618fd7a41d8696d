import {
  type Index,
  InvalidEventError,
  type Message,
  nodeId,
  type Term,
  UnknownEventError,
} from "@flotilla/core";
import { init, type RaftStateInternals, status, step } from "@flotilla/core/runtime";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cluster } from "./cluster.js";

const [n1, n2, n3] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];

const append = (over: Record<string, unknown>): Message =>
  ({
    type: "appendEntries",
    from: n2,
    to: n1,
    term: 3,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit: 0,
    seq: 1,
    ...over,
  }) as unknown as Message;

const entry = (index: number, term: number) => ({
  kind: "command",
  index,
  term,
  data: new Uint8Array(1),
});

function expectDropped(s: RaftStateInternals, message: Message, reason: RegExp): void {
  const r = step(s, { type: "receive", message });
  expect(r.state).toBe(s);
  expect(r.messages).toEqual([]);
  expect(r.effects).toHaveLength(1);
  expect(r.effects[0]).toMatchObject({ type: "dropped", message });
  expect((r.effects[0] as { reason: string }).reason).toMatch(reason);
}

describe("bad remote input is dropped and reported, never thrown, state unchanged", () => {
  const s = init({ id: n1, voters: [n1, n2, n3] });

  it.each([
    ["for another node", append({ to: n3 }), /addressed to "n3"/],
    [
      "answering from an unknown node (requests are processed from anyone, thesis §4.1)",
      {
        type: "appendEntriesResponse",
        from: "mallory",
        to: n1,
        term: 3,
        seq: 1,
        success: true,
        matchIndex: 0,
      } as unknown as Message,
      /not in the membership/,
    ],
    ["from itself", append({ from: n1 }), /to itself/],
    ["with a negative term", append({ term: -1 }), /term -1/],
    ["with a fractional index", append({ prevLogIndex: 1.5 }), /prevLogIndex 1.5/],
    ["with a NaN commit", append({ leaderCommit: Number.NaN }), /leaderCommit NaN/],
    [
      "with a gap in its entries",
      append({ entries: [entry(1, 1), entry(3, 1)] }),
      /index 3, expected 2/,
    ],
    ["with an entry above its term", append({ entries: [entry(1, 4)] }), /above the message term/],
    [
      "with decreasing entry terms",
      append({ entries: [entry(1, 2), entry(2, 1)] }),
      /below the term before/,
    ],
    ["with prevLogTerm at index 0", append({ prevLogTerm: 1 }), /index 0/],
    ["with entries that are not an array", append({ entries: "x" }), /not an array/],
    [
      "with string command data",
      append({ entries: [{ ...entry(1, 1), data: "hi" }] }),
      /Uint8Array/,
    ],
    [
      "with an unknown entry kind",
      append({ entries: [{ ...entry(1, 1), kind: "evil" }] }),
      /unknown entry kind/,
    ],
    ["of an unknown type", append({ type: "gossip" }), /unknown message type/],
    ["that is null", null as unknown as Message, /not a message object/],
    [
      "a vote request whose log term exceeds its term",
      {
        type: "requestVote",
        from: n2,
        to: n1,
        term: 1,
        preVote: false,
        lastLogIndex: 1,
        lastLogTerm: 2,
      } as unknown as Message,
      /lastLogTerm/,
    ],
    [
      "a response without a success flag",
      { type: "appendEntriesResponse", from: n2, to: n1, term: 1, seq: 1 } as unknown as Message,
      /success/,
    ],
  ])("drops a message %s", (_name, message, reason) => {
    expectDropped(s, message, reason);
  });

  it("drops an acknowledgement beyond the leader's log", () => {
    const c = new Cluster(3);
    c.step(n1, { type: "campaign" });
    c.stabilize();
    const leader = c.state(n1);
    const bogus = {
      type: "appendEntriesResponse",
      from: n2,
      to: n1,
      term: status(leader).term,
      seq: 1,
      success: true,
      matchIndex: 99,
    } as unknown as Message;
    expectDropped(leader, bogus, /beyond the leader's last index/);
  });

  it("drops a second leader claiming the term it leads", () => {
    const c = new Cluster(3);
    c.step(n1, { type: "campaign" });
    c.stabilize();
    const leader = c.state(n1);
    expectDropped(leader, append({ term: status(leader).term }), /claims to lead term/);
  });

  it("never throws on arbitrary message-shaped input (fast-check, seed printed on failure)", () => {
    const seed = 20261126;
    const field = fc.oneof(
      fc.integer({ min: -2, max: 5 }),
      fc.double(),
      fc.string(),
      fc.constantFrom(null, undefined, true, n1, n2, "zz"),
      fc.array(fc.anything(), { maxLength: 3 }),
      fc.constant(new Uint8Array(2)),
    );
    const message = fc.record({
      type: fc.constantFrom(
        "requestVote",
        "requestVoteResponse",
        "appendEntries",
        "appendEntriesResponse",
        "installSnapshot",
        "installSnapshotResponse",
        "other",
      ),
      from: fc.constantFrom(n2, n3, n1, "x"),
      to: fc.constantFrom(n1, n1, n2),
      term: field,
      preVote: field,
      granted: field,
      success: field,
      prevLogIndex: field,
      prevLogTerm: field,
      lastLogIndex: field,
      lastLogTerm: field,
      leaderCommit: field,
      matchIndex: field,
      conflictIndex: field,
      conflictTerm: field,
      seq: field,
      entries: fc.oneof(
        field,
        fc.array(
          fc.record({
            kind: fc.constantFrom("command", "noop", "membership", 1),
            index: field,
            term: field,
            data: field,
            membership: field,
          }),
          { maxLength: 3 },
        ),
      ),
    });
    const c = new Cluster(3);
    c.step(n1, { type: "campaign" });
    c.stabilize();
    const targets = [s, c.state(n1), c.state(n2)];
    fc.assert(
      fc.property(message, fc.nat(2), (m, which) => {
        const target = targets[which]!;
        const input = { ...m, to: status(target).id } as unknown as Message;
        const r = step(target, { type: "receive", message: input });
        // Either processed, or dropped with the old state.
        if (r.effects.some((e) => e.type === "dropped")) expect(r.state).toBe(target);
      }),
      { seed, numRuns: 3000 },
    );
  });
});

describe("local misuse throws a typed error", () => {
  const s = init({ id: n1, voters: [n1] });

  it("an unknown event", () => {
    expect(() => step(s, { type: "reboot" } as never)).toThrow(UnknownEventError);
    expect(() => step(s, null as never)).toThrow(UnknownEventError);
  });

  it("applied beyond commit, or backwards", () => {
    expect(() => step(s, { type: "applied", index: 1 as Index })).toThrow(InvalidEventError);
    let leader = step(s, { type: "campaign" }).state;
    leader = step(leader, { type: "persisted", index: 1 as Index, term: 1 as Term }).state;
    leader = step(leader, { type: "applied", index: 1 as Index }).state;
    expect(status(leader).applied).toBe(1);
    expect(() => step(leader, { type: "applied", index: 0 as Index })).toThrow(InvalidEventError);
  });

  it("a tick whose elapsed is not a positive integer", () => {
    for (const elapsed of [0, -1, 1.5, Number.NaN]) {
      expect(() => step(s, { type: "tick", elapsed })).toThrow(InvalidEventError);
    }
    expect(status(step(s, { type: "tick", elapsed: 3 }).state).term).toBe(0);
  });

  it("a proposal without bytes", () => {
    expect(() => step(s, { type: "propose", id: "x", data: "text" as never })).toThrow(
      InvalidEventError,
    );
  });

  it("a snapshot beyond the applied index", () => {
    expect(() => step(s, { type: "snapshot", index: 3 as Index, size: 0, checksum: 0 })).toThrow(
      InvalidEventError,
    );
  });
});
