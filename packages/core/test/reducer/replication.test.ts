import {
  type AppendEntries,
  type Effect,
  type Entry,
  type Index,
  type Message,
  nodeId,
  type PersistEffect,
  type Term,
} from "@flotilla/core";
import { init, type RaftStateInternals, status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { Cluster } from "./cluster.js";

const [n1, n2, n3] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
const bytes = (n: number) => new Uint8Array(n);

function persistOf(effects: readonly Effect[]): PersistEffect | undefined {
  return effects.find((e): e is PersistEffect => e.type === "persist");
}

function elected(size = 3, options = {}): Cluster {
  const c = new Cluster(size, options);
  c.step(n1, { type: "campaign" });
  c.stabilize();
  expect(status(c.state(n1)).role).toBe("leader");
  return c;
}

function commandLog(terms: readonly number[]): Entry[] {
  return terms.map((t, i) => ({
    kind: "command",
    index: (i + 1) as Index,
    term: t as Term,
    data: bytes(1),
  }));
}

function persisted(terms: readonly number[], term: number) {
  return {
    hardState: { term: term as Term, vote: null, commit: 1 as Index },
    snapshot: null,
    entries: commandLog(terms),
  };
}

const progressOf = (c: Cluster, id: typeof n1) => status(c.state(n1)).progress![id]!;

describe("replication", () => {
  it("commits a proposal on a quorum and hands it to every node's state machine in order", () => {
    const c = elected();
    for (let i = 0; i < 5; i++) c.step(n1, { type: "propose", id: `p${i}`, data: bytes(i) });
    c.stabilize();
    c.tickAll(1);
    c.stabilize();
    for (const id of c.ids) {
      expect(status(c.state(id)).commit).toBe(6);
      expect(c.applied.get(id)!.map((e) => e.kind)).toEqual([
        "noop",
        "command",
        "command",
        "command",
        "command",
        "command",
      ]);
    }
  });

  it("accepts a proposal with its (index, term) and rejects one on a follower with a hint", () => {
    const c = elected();
    const accepted = c.step(n1, { type: "propose", id: "a", data: bytes(1) });
    expect(accepted.effects).toContainEqual({
      type: "proposalAccepted",
      id: "a",
      index: 2,
      term: 1,
    });
    const rejected = c.step(n2, { type: "propose", id: "b", data: bytes(1) });
    expect(rejected.effects).toEqual([
      { type: "proposalRejected", id: "b", reason: "notLeader", leader: n1 },
    ]);
  });

  it("rejects proposals beyond uncommittedBytesMax, but always takes one into an empty tail", () => {
    const c = elected(3, { uncommittedBytesMax: 100 });
    const outcomes: string[] = [];
    c.queue = [];
    for (let i = 0; i < 4; i++) {
      const r = c.step(n1, { type: "propose", id: `p${i}`, data: bytes(40) });
      outcomes.push(r.effects.find((e) => e.type.startsWith("proposal"))!.type);
      c.queue = []; // nothing gets acknowledged: the tail stays uncommitted
    }
    expect(outcomes).toEqual([
      "proposalAccepted",
      "proposalAccepted",
      "proposalRejected",
      "proposalRejected",
    ]);
    const rejection = c.effects.filter((e) => e.effect.type === "proposalRejected").at(-1)!.effect;
    expect(rejection).toMatchObject({ reason: "uncommittedLimit" });
    // An entry larger than the whole budget is accepted when nothing is uncommitted.
    const fresh = elected(3, { uncommittedBytesMax: 100 });
    const big = fresh.step(n1, { type: "propose", id: "big", data: bytes(500) });
    expect(big.effects).toContainEqual(expect.objectContaining({ type: "proposalAccepted" }));
  });

  it("holds a follower's acknowledgement until its log is durable; the leader sends at once", () => {
    const c = elected();
    const lead = c.step(n1, { type: "propose", id: "p", data: bytes(3) });
    // The leader replicates while it writes its own log (thesis §10.2.1).
    expect(lead.messages.filter((m) => m.type === "appendEntries")).toHaveLength(2);
    expect(persistOf(lead.effects)!.entries).toHaveLength(1);
    const append = lead.messages.find((m) => m.to === n2)!;
    const follower = step(c.state(n2), { type: "receive", message: append });
    expect(follower.messages).toEqual([]);
    const persist = persistOf(follower.effects)!;
    expect(persist.entries.map((e) => e.index)).toEqual([2]);
    expect(persist.then).toMatchObject([
      { type: "appendEntriesResponse", success: true, matchIndex: 2 },
    ]);
  });

  it("an acknowledgement repeated while the earlier write is in flight waits behind it", () => {
    const c = elected();
    const lead = c.step(n1, { type: "propose", id: "p", data: bytes(3) });
    const append = lead.messages.find((m) => m.to === n2)!;
    const first = step(c.state(n2), { type: "receive", message: append });
    expect(persistOf(first.effects)!.entries).toHaveLength(1);
    // The duplicate brings nothing new to write, but its ack vouches for the first write: it
    // rides in a persist effect of its own, which completes only after the earlier one.
    const duplicate = step(first.state, { type: "receive", message: append });
    expect(duplicate.messages).toEqual([]);
    const persist = persistOf(duplicate.effects)!;
    expect(persist.entries).toEqual([]);
    expect(persist.hardState).toBeUndefined();
    expect(persist.then).toMatchObject([{ success: true, matchIndex: 2 }]);
  });

  it("a heartbeat covering entries still being written is acknowledged only behind that write", () => {
    // Simulator seed 81's scenario: the leader's empty AppendEntries checks prevLogIndex 2 while
    // the follower's write of entry 2 is in flight. Acknowledging at once would let the leader
    // count an entry the follower can still lose in a crash (Figure 2, "respond after persisting").
    const c = elected();
    const lead = c.step(n1, { type: "propose", id: "p", data: bytes(3) });
    const append = lead.messages.find((m) => m.to === n2) as AppendEntries;
    const first = step(c.state(n2), { type: "receive", message: append });
    expect(persistOf(first.effects)!.entries.map((e) => e.index)).toEqual([2]);
    const heartbeat: AppendEntries = {
      ...append,
      prevLogIndex: 2 as Index,
      prevLogTerm: append.entries[0]!.term,
      entries: [],
      seq: append.seq + 1,
    };
    const answer = step(first.state, { type: "receive", message: heartbeat });
    expect(answer.messages).toEqual([]);
    const barrier = persistOf(answer.effects)!;
    expect(barrier.entries).toEqual([]);
    expect(barrier.then).toMatchObject([
      { type: "appendEntriesResponse", success: true, matchIndex: 2, seq: append.seq + 1 },
    ]);
  });

  it("a leader counts itself only for entries it has persisted", () => {
    const c = elected();
    c.slowDisk.add(n1);
    c.step(n1, { type: "propose", id: "p", data: bytes(1) });
    // Only n2 acknowledges: n1 + n2 is a quorum, but n1's copy is not durable yet.
    c.stabilize((m) => m.to === n3 || m.from === n3);
    expect(status(c.state(n1)).commit).toBe(1);
    c.flushDisk(n1);
    expect(status(c.state(n1)).commit).toBe(2);
  });

  it("ignores a persisted event for an entry the log no longer holds", () => {
    const c = elected();
    const s = c.state(n1);
    const stale = step(s, { type: "persisted", index: 1 as Index, term: 9 as Term });
    expect(stale.state).toEqual({ ...s, random: s.random });
    expect(stale.effects).toEqual([]);
  });

  it("repairs a diverged follower in O(terms) round trips with the conflict hint", () => {
    // n2 led terms 2..6 and wrote 50 entries per term nobody else has; n1 agrees with it only on
    // the first entry, then has 100 entries of term 7.
    const followerTerms = [1, ...[2, 3, 4, 5, 6].flatMap((t) => Array(50).fill(t))];
    const leaderTerms = [1, ...Array(100).fill(7)];
    let leader = init({ id: n1, voters: [n1, n2, n3] }, persisted(leaderTerms, 7));
    let follower: RaftStateInternals = init(
      { id: n2, voters: [n1, n2, n3] },
      persisted(followerTerms, 7),
    );
    // n1 becomes leader of term 8 with n3's vote.
    leader = step(leader, { type: "campaign" }).state;
    const vote: Message = {
      type: "requestVoteResponse",
      from: n3,
      to: n1,
      term: 8 as Term,
      preVote: false,
      granted: true,
    };
    leader = step(leader, { type: "receive", message: vote }).state;
    expect(status(leader).role).toBe("leader");
    let r = step(leader, { type: "tick" });
    leader = r.state;
    let toFollower = r.messages.filter((m) => m.to === n2);
    let roundTrips = 0;
    while (toFollower.length > 0 && roundTrips < 100) {
      roundTrips++;
      const replies: Message[] = [];
      for (const m of toFollower) {
        const f = step(follower, { type: "receive", message: m });
        follower = f.state;
        replies.push(...f.messages, ...(persistOf(f.effects)?.then ?? []));
      }
      toFollower = [];
      for (const reply of replies) {
        r = step(leader, { type: "receive", message: reply });
        leader = r.state;
        toFollower.push(...r.messages.filter((m) => m.to === n2));
      }
      if (status(leader).progress![n2]!.match === status(leader).lastLogIndex) break;
    }
    expect(status(leader).progress![n2]!.match).toBe(102);
    expect(status(follower).lastLogIndex).toBe(102);
    // Five foreign terms: at most one round trip per term, plus the one that appends.
    expect(roundTrips).toBeLessThanOrEqual(6);
    const appendsSent = roundTrips;
    expect(appendsSent).toBeGreaterThan(1);
  });

  it("pauses at inflightMessagesMax and resumes as acknowledgements free the window", () => {
    const c = elected(3, { inflightMessagesMax: 2, entriesBytesPerMessageMax: 10 });
    c.step(n1, { type: "propose", id: "p0", data: bytes(10) });
    c.stabilize();
    expect(progressOf(c, n2).state).toBe("replicate");
    // Five 10-byte proposals: each message carries one entry and the window holds two.
    const sent: Message[] = [];
    for (let i = 1; i <= 5; i++) {
      sent.push(...c.step(n1, { type: "propose", id: `p${i}`, data: bytes(10) }).messages);
    }
    // The first goes out at once to the idle follower; the others wait for the end of the batch.
    expect(sent.filter((m) => m.to === n2)).toHaveLength(1);
    sent.push(...c.step(n1, { type: "flush" }).messages);
    const toN2 = () => c.queue.filter((m) => m.to === n2 && m.type === "appendEntries");
    // Pipelined: at the flush a second message leaves without waiting for the first's
    // acknowledgement; the window is then full and the other three wait for acknowledgements.
    expect(sent.filter((m) => m.to === n2)).toHaveLength(2);
    expect(progressOf(c, n2).inflight).toBe(2);
    c.deliver(c.queue.indexOf(toN2()[0]!));
    c.deliver(c.queue.findIndex((m) => m.from === n2));
    // The ack freed one slot; the leader refills the window to two messages and stops there.
    expect(progressOf(c, n2).inflight).toBe(2);
    expect(toN2()).toHaveLength(2);
    expect(toN2().map((m) => (m as AppendEntries).entries.length)).toEqual([1, 1]);
    c.stabilize();
    expect(progressOf(c, n2).match).toBe(7);
    expect(progressOf(c, n2).inflight).toBe(0);
  });

  it("paces by bytes in flight: a follower gets more only while fewer than inflightBytesMax are unacknowledged", () => {
    const c = elected(3, { inflightBytesMax: 250, entriesBytesPerMessageMax: 100 });
    c.step(n1, { type: "propose", id: "p0", data: bytes(1) });
    c.stabilize();
    for (let i = 1; i <= 6; i++) c.step(n1, { type: "propose", id: `p${i}`, data: bytes(100) });
    c.tick(n1);
    // 100 + 100 + 100 bytes: the third message leaves while 200 < 250 are in flight, then none.
    const toN2 = () =>
      c.queue.filter(
        (m) => m.to === n2 && m.type === "appendEntries" && m.entries.length > 0,
      ) as AppendEntries[];
    expect(toN2().map((m) => m.entries.length)).toEqual([1, 1, 1]);
    expect(progressOf(c, n2).inflight).toBe(3);
    // An acknowledgement frees 100 bytes: one more message, and the window is full again.
    c.deliver(c.queue.indexOf(toN2()[0]!));
    c.deliver(c.queue.findIndex((m) => m.from === n2));
    expect(progressOf(c, n2).inflight).toBe(3);
    c.stabilize();
    expect(progressOf(c, n2).match).toBe(8);
  });

  it("refuses a command larger than entryBytesMax on every node", () => {
    const c = elected(3, { entryBytesMax: 100 });
    for (const id of [n1, n2]) {
      const { effects } = c.step(id, { type: "propose", id: "big", data: bytes(101) });
      expect(effects).toContainEqual(
        expect.objectContaining({ type: "proposalRejected", reason: "entryTooLarge" }),
      );
    }
    const { effects } = c.step(n1, { type: "propose", id: "fits", data: bytes(100) });
    expect(effects).toContainEqual(expect.objectContaining({ type: "proposalAccepted" }));
  });

  it("recovers a stream whose messages were all lost, through the heartbeat", () => {
    const c = elected();
    c.step(n1, { type: "propose", id: "p0", data: bytes(1) });
    c.stabilize();
    c.step(n1, { type: "propose", id: "p1", data: bytes(1) });
    c.queue = c.queue.filter((m) => m.to !== n2); // lost
    c.stabilize();
    for (let i = 0; i < 3; i++) {
      c.tick(n1);
      c.stabilize();
    }
    expect(progressOf(c, n2).match).toBe(3);
    expect(status(c.state(n2)).commit).toBe(3);
  });

  it("resends from a gap at once when a later message reveals it, still streaming", () => {
    const c = elected();
    c.step(n1, { type: "propose", id: "p0", data: bytes(1) });
    c.stabilize();
    c.step(n1, { type: "propose", id: "p1", data: bytes(1) }); // index 3, sent at once
    c.queue = c.queue.filter((m) => m.to !== n2); // lost on the way to n2
    c.step(n1, { type: "propose", id: "p2", data: bytes(1) }); // index 4
    c.step(n1, { type: "flush" });
    const toN2 = () => c.queue.filter((m) => m.to === n2) as AppendEntries[];
    c.deliver(c.queue.indexOf(toN2()[0]!)); // n2 sees prev=3, lacks 3: rejects
    const rejection = c.queue.findIndex((m) => m.from === n2);
    c.deliver(rejection);
    // No probe round trip and no heartbeat: the gap leaves again at once, with what followed it.
    expect(toN2().map((m) => [m.prevLogIndex, m.entries.map((e) => e.index)])).toEqual([
      [2, [3, 4]],
    ]);
    expect(progressOf(c, n2).state).toBe("replicate");
    c.stabilize();
    expect(progressOf(c, n2).match).toBe(4);
  });

  it("after a loss, sends that follower about one datagram per message for an election timeout", () => {
    const c = elected(); // electionTimeoutTicks 10, a heartbeat every tick: 10 heartbeats
    const big = () => bytes(600); // two of these exceed the 1 KiB a message carries after a loss
    c.step(n1, { type: "propose", id: "p0", data: bytes(1) });
    c.stabilize();
    c.step(n1, { type: "propose", id: "p1", data: big() }); // index 3, sent at once
    c.queue = c.queue.filter((m) => m.to !== n2); // lost on the way to n2
    c.step(n1, { type: "propose", id: "p2", data: big() }); // index 4
    c.step(n1, { type: "flush" });
    const batches = (to: typeof n1) =>
      (c.queue.filter((m) => m.to === to && m.type === "appendEntries") as AppendEntries[]).map(
        (m) => m.entries.map((e) => e.index),
      );
    c.deliver(c.queue.findIndex((m) => m.to === n2)); // n2 lacks 3: rejects
    c.deliver(c.queue.findIndex((m) => m.from === n2));
    expect(batches(n2)).toEqual([[3], [4]]); // the resend, one entry per message
    c.stabilize();
    // New entries too: n2 in pieces, n3 (nothing lost) in one batch.
    const burst = () => {
      for (const id of ["a", "b", "c"]) c.step(n1, { type: "propose", id, data: big() });
      c.step(n1, { type: "flush" });
    };
    burst();
    expect(batches(n2)).toEqual([[5], [6], [7]]);
    expect(batches(n3)).toEqual([[5], [6, 7]]);
    c.stabilize();
    for (let i = 0; i < 10; i++) {
      c.tick(n1);
      c.stabilize();
    }
    burst(); // ten heartbeats without a loss: large batches again
    expect(batches(n2)).toEqual([[8], [9, 10]]);
    c.stabilize();
    expect(progressOf(c, n2).match).toBe(10);
  });

  it("ignores duplicated and reordered responses: match never goes back", () => {
    const c = elected(3, { entriesBytesPerMessageMax: 1 });
    c.step(n1, { type: "propose", id: "p0", data: bytes(1) });
    c.stabilize();
    // Queue four entries behind an outstanding message, then let n2 answer all of them.
    for (let i = 1; i <= 4; i++) c.step(n1, { type: "propose", id: `p${i}`, data: bytes(1) });
    const replies: Message[] = [];
    for (let round = 0; round < 10; round++) {
      const out = c.queue.splice(0);
      for (const m of out) {
        if (m.to !== n2) continue;
        const r = step(c.state(n2), { type: "receive", message: m });
        c.states.set(n2, r.state);
        const answers = persistOf(r.effects)?.then ?? r.messages;
        replies.push(...answers);
        for (const a of answers) c.step(n1, { type: "receive", message: a });
      }
    }
    const acks = replies.flatMap((m) =>
      m.type === "appendEntriesResponse" && m.success ? [m.matchIndex as number] : [],
    );
    expect(acks.length).toBeGreaterThan(2);
    const highest = Math.max(...acks);
    expect(progressOf(c, n2).match).toBe(highest);
    // Deliver every reply again, backwards then forwards: match never moves back.
    for (const reply of [...replies].reverse().concat(replies)) {
      c.step(n1, { type: "receive", message: reply });
      c.queue = [];
      expect(progressOf(c, n2).match).toBe(highest);
    }
    expect(progressOf(c, n2).state).toBe("replicate");
  });

  it("a follower's commit is capped by what the message proves it shares", () => {
    let s = init({ id: n2, voters: [n1, n2, n3] }, persisted([1, 1, 1, 1], 1));
    const append: Message = {
      type: "appendEntries",
      from: n1,
      to: n2,
      term: 2 as Term,
      prevLogIndex: 2 as Index,
      prevLogTerm: 1 as Term,
      entries: [],
      leaderCommit: 4 as Index,
      seq: 1,
    };
    s = step(s, { type: "receive", message: append }).state;
    // Entries 3 and 4 may differ from the leader's: only 2 is known to match.
    expect(status(s).commit).toBe(2);
  });
});
