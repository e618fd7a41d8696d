import {
  type AppendEntries,
  type Effect,
  type Event,
  InvalidEventError,
  type Message,
  nodeId,
  type PersistEffect,
} from "@flotilla/core";
import { type RaftStateInternals, status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { Cluster } from "./cluster.js";

// `proposeBatch`: a run of proposals in one step (issue 10). Each proposal is settled exactly as
// it would be proposed alone, in order; the lot is appended, persisted and sent once.

const [n1, n2, n3] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
const bytes = (n: number) => new Uint8Array(n).fill(n);

type Proposal = { readonly id: string; readonly data: Uint8Array };

function elected(options = {}): Cluster {
  const c = new Cluster(3, options);
  c.step(n1, { type: "campaign" });
  c.stabilize();
  expect(status(c.state(n1)).role).toBe("leader");
  return c;
}

const outcomes = (effects: readonly Effect[]) =>
  effects.filter((e) => e.type === "proposalAccepted" || e.type === "proposalRejected");

/** Steps each proposal alone, in order, from `state`: the outcomes and the final state. */
function oneByOne(state: RaftStateInternals, proposals: readonly Proposal[]) {
  const effects: Effect[] = [];
  let s = state;
  for (const p of proposals) {
    const r = step(s, { type: "propose", id: p.id, data: p.data });
    effects.push(...r.effects);
    s = r.state;
  }
  return { state: s, outcomes: outcomes(effects) };
}

const appends = (messages: readonly Message[]) =>
  messages.filter((m): m is AppendEntries => m.type === "appendEntries");

describe("proposeBatch", () => {
  it("settles each proposal as proposing it alone would: budget, size limit, order", () => {
    // 100 bytes of uncommitted budget, entries of at most 60: some fit, some do not, one is too
    // large anywhere; the budget counts the batch's own accepted entries.
    const c = elected({ uncommittedBytesMax: 100, entryBytesMax: 60 });
    const leader = c.state(n1);
    const proposals: Proposal[] = [
      { id: "a", data: bytes(40) },
      { id: "b", data: bytes(61) },
      { id: "c", data: bytes(40) },
      { id: "d", data: bytes(30) },
      { id: "e", data: bytes(20) },
      { id: "f", data: bytes(0) },
    ];
    const alone = oneByOne(leader, proposals);
    const batch = step(leader, { type: "proposeBatch", proposals });
    expect(outcomes(batch.effects)).toEqual(alone.outcomes);
    expect(outcomes(batch.effects).map((e) => `${e.type}:${e.id}`)).toEqual([
      "proposalAccepted:a",
      "proposalRejected:b",
      "proposalAccepted:c",
      "proposalRejected:d",
      "proposalAccepted:e",
      "proposalAccepted:f",
    ]);
    expect(status(batch.state).lastLogIndex).toBe(status(alone.state).lastLogIndex);
    // One persist effect holds every accepted entry, in log order.
    const persists = batch.effects.filter((e): e is PersistEffect => e.type === "persist");
    expect(persists).toHaveLength(1);
    expect(persists[0]!.entries.map((e) => e.index)).toEqual([2, 3, 4, 5]);
    // The old state is untouched: stepping it again gives the same result.
    expect(outcomes(step(leader, { type: "proposeBatch", proposals }).effects)).toEqual(
      alone.outcomes,
    );
  });

  it("sends an idle follower the whole batch in one AppendEntries, and commits it", () => {
    const c = elected();
    c.queue = [];
    const proposals = Array.from({ length: 5 }, (_, i) => ({ id: `p${i}`, data: bytes(i + 1) }));
    const r = c.step(n1, { type: "proposeBatch", proposals });
    const sent = appends(r.messages);
    expect(sent.map((m) => m.to).sort()).toEqual([n2, n3]);
    for (const m of sent) expect(m.entries.map((e) => e.index)).toEqual([2, 3, 4, 5, 6]);
    c.stabilize();
    c.tickAll(1); // the followers learn the commit index with the next heartbeat
    c.stabilize();
    for (const id of c.ids) {
      expect(c.applied.get(id)!.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it("rejects every proposal on a follower, and during a transfer, with the proposals' hints", () => {
    const c = elected();
    const proposals = [
      { id: "x", data: bytes(1) },
      { id: "y", data: bytes(2) },
    ];
    const onFollower = step(c.state(n2), { type: "proposeBatch", proposals });
    expect(onFollower.effects).toEqual([
      { type: "proposalRejected", id: "x", reason: "notLeader", leader: n1 },
      { type: "proposalRejected", id: "y", reason: "notLeader", leader: n1 },
    ]);
    expect(onFollower.messages).toEqual([]);
    c.step(n1, { type: "transferLeadership", to: n2 });
    const transferring = step(c.state(n1), { type: "proposeBatch", proposals });
    expect(outcomes(transferring.effects)).toEqual([
      { type: "proposalRejected", id: "x", reason: "transferring", leader: n1 },
      { type: "proposalRejected", id: "y", reason: "transferring", leader: n1 },
    ]);
  });

  it("is a step that changes nothing when empty", () => {
    const c = elected();
    const leader = c.state(n1);
    const r = step(leader, { type: "proposeBatch", proposals: [] });
    expect(r.effects).toEqual([]);
    expect(r.messages).toEqual([]);
    expect(status(r.state)).toEqual(status(leader));
  });

  it("throws on a malformed batch before anything is proposed", () => {
    const c = elected();
    const leader = c.state(n1);
    const bad: unknown[] = [
      { type: "proposeBatch", proposals: "nope" },
      {
        type: "proposeBatch",
        proposals: [
          { id: "a", data: bytes(1) },
          { id: 2, data: bytes(1) },
        ],
      },
      { type: "proposeBatch", proposals: [{ id: "a", data: [1, 2] }] },
      { type: "proposeBatch", proposals: [null] },
    ];
    for (const event of bad) {
      expect(() => step(leader, event as Event)).toThrow(InvalidEventError);
    }
  });
});
