import { type Entry, type Membership, type Message, nodeId } from "@flotilla/core";
import { init, status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { snapshotEvent } from "../snapshot-event.js";

// The configuration in force follows the log (thesis §4.1): it takes effect when its entry is
// appended, rolls back when that entry is truncated, and a snapshot records the configuration at
// its own index.

const [n1, n2, n3, n4] = [nodeId("n1"), nodeId("n2"), nodeId("n3"), nodeId("n4")];
const initial: Membership = { voters: [n1, n2, n3], learners: [] };
const grown: Membership = { voters: [n1, n2, n3, n4], learners: [] };

function append(
  from: typeof n2,
  term: number,
  prev: [number, number],
  entries: Entry[],
  commit = 0,
): Message {
  return {
    type: "appendEntries",
    from,
    to: n1,
    term,
    prevLogIndex: prev[0],
    prevLogTerm: prev[1],
    entries,
    leaderCommit: commit,
    seq: 1,
  } as unknown as Message;
}
const noop = (index: number, term: number) => ({ kind: "noop", index, term }) as Entry;
const configEntry = (index: number, term: number, membership: Membership) =>
  ({ kind: "membership", index, term, membership }) as Entry;

describe("the membership in force follows the log", () => {
  const s0 = init({ id: n1, voters: [n1, n2, n3] });
  const r1 = step(s0, {
    type: "receive",
    message: append(n2, 1, [0, 0], [noop(1, 1), configEntry(2, 1, grown)]),
  });

  it("takes effect when appended, before it commits", () => {
    expect(status(r1.state).membership).toEqual(grown);
    expect(status(r1.state).commit).toBe(0);
    expect(r1.effects).toContainEqual({ type: "membershipChanged", membership: grown });
  });

  it("takes answers from the added node once appended; requests from anyone (thesis §4.1)", () => {
    const answer = {
      type: "requestVoteResponse",
      from: n4,
      to: n1,
      term: 1,
      preVote: true,
      granted: false,
    } as unknown as Message;
    expect(step(s0, { type: "receive", message: answer }).effects[0]).toMatchObject({
      type: "dropped",
    });
    const after = step(r1.state, { type: "receive", message: answer });
    expect(after.effects.some((e) => e.type === "dropped")).toBe(false);
    // A leader this node does not know yet is heard: it may hold the entry that adds it.
    const fromN4 = append(n4, 2, [2, 1], [noop(3, 2)]);
    const r = step(s0, { type: "receive", message: append(n4, 2, [0, 0], [noop(1, 2)]) });
    expect(r.effects.some((e) => e.type === "dropped")).toBe(false);
    expect(status(step(r1.state, { type: "receive", message: fromN4 }).state).lastLogIndex).toBe(3);
  });

  it("rolls back when a new leader truncates the entry", () => {
    const r2 = step(r1.state, {
      type: "receive",
      message: append(n3, 2, [1, 1], [noop(2, 2)]),
    });
    expect(status(r2.state).lastLogIndex).toBe(2);
    expect(status(r2.state).membership).toEqual(initial);
    expect(r2.effects).toContainEqual({ type: "membershipChanged", membership: initial });
  });

  it("is restored from the log on restart", () => {
    const restarted = init({ id: n1, voters: [n1, n2, n3] }, {
      hardState: { term: 1, vote: null, commit: 0 },
      snapshot: null,
      entries: [noop(1, 1), configEntry(2, 1, grown)],
    } as never);
    expect(status(restarted).membership).toEqual(grown);
  });

  it("a snapshot records the configuration at its own index, not the latest", () => {
    // Commit and apply up to 1, then append a configuration at 2 (uncommitted) and snapshot at 1.
    let s = step(r1.state, {
      type: "receive",
      message: append(n2, 1, [2, 1], [], 1),
    }).state;
    s = step(s, { type: "applied", index: 1 as never }).state;
    const r = step(s, snapshotEvent(1, new Uint8Array([7])));
    const persist = r.effects.find((e) => e.type === "persist");
    expect(persist).toMatchObject({ snapshot: { index: 1, membership: initial } });
    expect(status(r.state).membership).toEqual(grown);
  });
});
