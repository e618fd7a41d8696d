// Issue 9: a follower that lost entries it acknowledged (wiped or restored data directory, a torn
// last record dropped by recovery) is found, reported once and repaired at a bounded rate, while
// the cluster keeps committing. Before the fix the leader probed it at match + 1 for ever, one
// message per rejection, as fast as the network carried them.

import {
  type AppendEntries,
  type Effect,
  type Index,
  type Message,
  type NodeId,
  nodeId,
  type Term,
} from "@flotilla/core";
import { status } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { Cluster } from "./cluster.js";

const [n1, n2, n3] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
const data = new TextEncoder().encode("x");

function elected(options = {}): Cluster {
  const c = new Cluster(3, options);
  c.step(n1, { type: "campaign" });
  c.stabilize();
  expect(status(c.state(n1)).role).toBe("leader");
  return c;
}

function lostLogReports(c: Cluster): Extract<Effect, { type: "peerLostLog" }>[] {
  return c.effects.flatMap(({ effect }) => (effect.type === "peerLostLog" ? [effect] : []));
}

/** The follower's disk is emptied (term, vote and log) and it starts again from it. */
function wipe(c: Cluster, id: NodeId): void {
  c.durable.set(id, {
    hardState: { term: 0 as Term, vote: null, commit: 0 as Index },
    snapshot: null,
    entries: [],
  });
  c.restart(id);
}

/** Delivers everything, counting the messages the leader sends to `to`. */
function stabilizeCounting(c: Cluster, from: NodeId, to: NodeId): number {
  let sent = 0;
  for (let i = 0; i < 10_000 && c.queue.length > 0; i++) {
    const m = c.deliver(0)!;
    if (m.from === from && m.to === to) sent++;
  }
  expect(c.queue).toEqual([]);
  return sent;
}

describe("a follower that lost its log", () => {
  it("is reported once, repaired, and costs a bounded number of messages per tick", () => {
    const c = elected();
    for (let i = 0; i < 20; i++) c.step(n1, { type: "propose", id: `a${i}`, data });
    c.stabilize();
    c.tickAll();
    c.stabilize();
    const match = status(c.state(n1)).progress![n3]!.match;
    expect(match).toBe(21);

    wipe(c, n3);
    let commit = status(c.state(n1)).commit;
    for (let round = 0; round < 30; round++) {
      c.step(n1, { type: "propose", id: `b${round}`, data });
      c.tickAll();
      // Bounded: the heartbeat, the proposal, and at most a probe and its follow-up per round,
      // never a rejection loop (which would hit the 10,000-delivery bound above).
      expect(stabilizeCounting(c, n1, n3)).toBeLessThanOrEqual(4);
      const now = status(c.state(n1)).commit;
      expect(now).toBeGreaterThan(commit); // the cluster keeps committing
      commit = now;
    }

    expect(lostLogReports(c)).toEqual([
      { type: "peerLostLog", peer: n3, match: 21 as Index, logEnd: 0 as Index },
    ]);
    const leader = status(c.state(n1));
    expect(leader.progress![n3]).toMatchObject({
      state: "replicate",
      match: leader.lastLogIndex,
      lostLog: { match: 21, logEnd: 0 },
    });
    expect(status(c.state(n3)).lastLogIndex).toBe(leader.lastLogIndex);
    c.tickAll(); // the last commit index reaches followers with the next heartbeat
    c.stabilize();
    expect(status(c.state(n3)).commit).toBe(leader.commit);
    c.checkCommittedPrefixes();
  });

  it("a shortened log (restored backup, torn tail) is repaired from where it ends", () => {
    const c = elected();
    for (let i = 0; i < 10; i++) c.step(n1, { type: "propose", id: `a${i}`, data });
    c.stabilize();
    const d = c.durable.get(n2)!;
    c.durable.set(n2, {
      hardState: { ...d.hardState, commit: 4 as Index },
      snapshot: null,
      entries: d.entries.filter((e) => e.index <= 4),
    });
    c.restart(n2);
    c.tickAll();
    expect(stabilizeCounting(c, n1, n2)).toBeLessThanOrEqual(3);
    expect(lostLogReports(c)).toEqual([
      { type: "peerLostLog", peer: n2, match: 11 as Index, logEnd: 4 as Index },
    ]);
    expect(status(c.state(n2)).lastLogIndex).toBe(11);
  });

  it("a rejection overtaken by the acknowledgement of a later state is not a lost log", () => {
    const c = elected();
    // Two AppendEntries in flight to n2: `first` with entry 2, then `second` with entry 3.
    c.step(n1, { type: "propose", id: "a", data });
    c.tickAll();
    c.step(n1, { type: "propose", id: "b", data });
    c.tick(n1);
    const toN2 = (m: Message): m is AppendEntries =>
      m.type === "appendEntries" && m.to === n2 && m.entries.length > 0;
    const [first, second] = c.queue.filter(toN2);
    expect([first?.entries[0]?.index, second?.entries[0]?.index]).toEqual([2, 3]);
    // n2 gets `second` first (reordered): it lacks entry 2 and rejects; then `first`, acked.
    c.deliver(c.queue.indexOf(second!));
    c.deliver(c.queue.indexOf(first!));
    const answer = (success: boolean) =>
      c.queue.findIndex(
        (m) => m.from === n2 && m.type === "appendEntriesResponse" && m.success === success,
      );
    const rejection = answer(false);
    const ack = answer(true);
    expect(rejection).toBeGreaterThanOrEqual(0);
    // The leader hears the acknowledgement (match 2) before the older rejection (log ends at 1).
    c.deliver(ack);
    expect(status(c.state(n1)).progress![n2]!.match).toBe(2);
    c.deliver(answer(false));
    c.stabilize();
    expect(lostLogReports(c)).toEqual([]);
    c.tickAll();
    c.stabilize();
    expect(status(c.state(n1)).progress![n2]!.match).toBe(3);
    expect(status(c.state(n1)).progress![n2]!.lostLog).toBeUndefined();
  });
});

describe("a follower in probe state", () => {
  it("gets one small probe per heartbeat, never a batch of large entries", () => {
    const c = new Cluster(3, { entriesBytesPerMessageMax: 1024 * 1024 });
    c.step(n1, { type: "campaign" });
    c.stabilize((m) => m.to === n3); // n3 is dead: it never answers
    for (let i = 0; i < 10; i++) {
      c.step(n1, { type: "propose", id: `big${i}`, data: new Uint8Array(100_000) });
    }
    let probes = 0;
    let entryBytes = 0;
    for (let tick = 0; tick < 50; tick++) {
      c.tick(n1);
      c.stabilize((m) => {
        if (m.to !== n3) return false;
        if (m.type === "appendEntries") {
          probes++;
          for (const e of m.entries) entryBytes += e.kind === "command" ? e.data.byteLength : 0;
        }
        return true;
      });
    }
    expect(status(c.state(n1)).commit).toBe(11);
    expect(status(c.state(n1)).progress![n3]!.state).toBe("probe");
    expect(probes).toBeLessThanOrEqual(50);
    expect(entryBytes).toBe(0);
  });
});
