// The claims of the Raft paper §5.3 (log replication), one test each, quoting the sentence it
// proves. Leaders here run with pre-vote off; it changes nothing about replication.

import { describe, expect, it } from "vitest";
import {
  ack,
  acknowledgeAll,
  appendEntries,
  appliedEntries,
  elect,
  entries,
  feed,
  feedAll,
  n,
  ofType,
  persists,
  receive,
  start,
  status,
  ticks,
} from "./paper-helpers.js";
import { Cluster } from "./scenario/cluster.js";

const plain = { config: { preVote: false } } as const;
const command = (text: string) => ({
  type: "propose" as const,
  id: text,
  data: new TextEncoder().encode(text),
});

/** A leader of a fresh cluster whose followers have all acknowledged its no-op. */
function settledLeader(size = 3) {
  const elected = elect(start(1, { size, ...plain }));
  return acknowledgeAll(elected.state, elected.sent);
}

describe("Raft paper §5.3: log replication", () => {
  it('§5.3: "The leader appends the command to its log as a new entry, then issues AppendEntries RPCs in parallel to each of the other servers to replicate the entry"', () => {
    const out = feed(settledLeader(), command("x"));
    expect(out.effects).toContainEqual({
      type: "proposalAccepted",
      id: "x",
      index: 2,
      term: 1,
    });
    const written = persists(out.effects).flatMap((p) => p.entries);
    expect(written).toMatchObject([{ index: 2, term: 1, kind: "command" }]);
    const sent = ofType(out.sent, "appendEntries");
    expect(sent.map((m) => m.to).sort()).toEqual([n(2), n(3)]);
    for (const m of sent) expect(m).toMatchObject({ prevLogIndex: 1, prevLogTerm: 1 });
    for (const m of sent) expect(m.entries.map((e) => e.index)).toEqual([2]);
  });

  it('§5.3: "A log entry is committed once the leader that created the entry has replicated it on a majority of the servers"', () => {
    const proposed = feed(settledLeader(5), command("x"));
    const [to2, to3] = ofType(proposed.sent, "appendEntries");
    if (to2 === undefined || to3 === undefined) throw new Error("expected AppendEntries");
    expect(status(proposed.state).commit).toBe(1);
    // The leader and one follower: two of five.
    const one = feed(proposed.state, receive(ack(to2, 2)));
    expect(status(one.state).commit).toBe(1);
    expect(appliedEntries(one.effects)).toEqual([]);
    // The leader and two followers: a majority of five.
    const two = feed(one.state, receive(ack(to3, 2)));
    expect(status(two.state).commit).toBe(2);
    expect(appliedEntries(two.effects).map((e) => e.index)).toEqual([2]);
  });

  it('§5.3: "This also commits all preceding entries in the leader\'s log, including entries created by previous leaders"', () => {
    const elected = elect(start(1, { terms: [1, 1, 2], ...plain })); // term 3, no-op at 4
    const [first] = ofType(elected.sent, "appendEntries");
    if (first === undefined) throw new Error("expected an AppendEntries");
    const out = feed(elected.state, receive(ack(first, 4)));
    expect(status(out.state).commit).toBe(4);
    expect(appliedEntries(out.effects).map((e) => `${e.index}/${e.term}`)).toEqual([
      "1/1",
      "2/1",
      "3/2",
      "4/3",
    ]);
  });

  it('§5.3: "The leader keeps track of the highest index it knows to be committed, and it includes that index in future AppendEntries RPCs (including heartbeats)"', () => {
    const proposed = feed(settledLeader(), command("x"));
    const committed = acknowledgeAll(proposed.state, proposed.sent);
    expect(status(committed).commit).toBe(2);
    const heartbeats = ofType(ticks(committed, 1).sent, "appendEntries");
    expect(heartbeats).toHaveLength(2);
    for (const m of heartbeats) expect(m.leaderCommit).toBe(2);
  });

  it('§5.3: "Once a follower learns that a log entry is committed, it applies the entry to its local state machine (in log order)"', () => {
    const follower = start(2, plain);
    const log = entries([1, 1, 1]);
    const first = feed(follower, receive(appendEntries(1, 2, 1, [0, 0], log, 1)));
    expect(appliedEntries(first.effects).map((e) => e.index)).toEqual([1]);
    const second = feed(first.state, receive(appendEntries(1, 2, 1, [3, 1], [], 3, 2)));
    expect(appliedEntries(second.effects).map((e) => e.index)).toEqual([2, 3]);
    expect(status(second.state)).toMatchObject({ commit: 3, applied: 3 });
  });

  it('§5.3 (Figure 2): "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)"', () => {
    // The follower holds 3/2 and 4/2 from a deposed leader; the new leader (term 3) has proved
    // only the prefix up to 2/1, so commit may not pass 2 even though leaderCommit is 4.
    const follower = start(2, { terms: [1, 1, 2, 2], ...plain });
    const out = feed(follower, receive(appendEntries(1, 2, 3, [2, 1], [], 4)));
    expect(status(out.state).commit).toBe(2);
    expect(appliedEntries(out.effects).map((e) => e.index)).toEqual([1, 2]);
  });

  it('§5.3: "If followers crash or run slowly, or if network packets are lost, the leader retries AppendEntries RPCs indefinitely"', () => {
    const c = new Cluster(3, { preVote: false });
    c.stepNode(n(1), { type: "campaign" });
    expect(c.stabilize()).toBe(true);
    c.stepNode(n(1), command("x"));
    // Every copy of the entry is lost; node 3 is also down for a while.
    c.drop(n(1), n(2));
    c.drop(n(1), n(3));
    c.crash(n(3));
    const holds = (id: number) => c.disk(n(id)).entries.some((e) => e.index === 2);
    for (let tick = 0; tick < 5; tick++) {
      c.stepNode(n(1), { type: "tick" });
      expect(c.stabilize()).toBe(true);
    }
    expect(holds(2)).toBe(true);
    c.restart(n(3));
    for (let tick = 0; tick < 5 && !holds(3); tick++) {
      c.stepNode(n(1), { type: "tick" });
      expect(c.stabilize()).toBe(true);
    }
    expect(holds(3)).toBe(true);
  });

  it('§5.3: "When sending an AppendEntries RPC, the leader includes the index and term of the entry in its log that immediately precedes the new entries"', () => {
    const out = elect(start(1, { terms: [1, 1, 2], ...plain })); // term 3: no-op 4/3
    const sent = ofType(out.sent, "appendEntries");
    expect(sent).toHaveLength(2);
    for (const m of sent) {
      expect(m).toMatchObject({ prevLogIndex: 3, prevLogTerm: 2 });
      expect(m.entries.map((e) => `${e.index}/${e.term}`)).toEqual(["4/3"]);
    }
  });

  it.each([
    ["it lacks the previous index", [3, 2]],
    ["its entry at the previous index has another term", [2, 3]],
  ] as const)(
    '§5.3: "If the follower does not find an entry in its log with the same index and term, then it refuses the new entries" (%s)',
    (_, prev) => {
      const follower = start(2, { terms: [1, 2], ...plain });
      const out = feed(follower, receive(appendEntries(1, 2, 3, prev, entries([3], prev[0] + 1))));
      expect(ofType(out.sent, "appendEntriesResponse")).toMatchObject([{ success: false }]);
      expect(persists(out.effects).flatMap((p) => p.entries)).toEqual([]);
      expect(status(out.state)).toMatchObject({ lastLogIndex: 2, lastLogTerm: 2 });
    },
  );

  it("§5.3: the consistency check passes when the follower holds the previous entry, and the new entries are appended", () => {
    const follower = start(2, { terms: [1, 2], ...plain });
    const out = feed(follower, receive(appendEntries(1, 2, 3, [2, 2], entries([3, 3], 3))));
    const [write] = persists(out.effects);
    expect(write?.entries.map((e) => e.index)).toEqual([3, 4]);
    expect(ofType(write?.then ?? [], "appendEntriesResponse")).toMatchObject([
      { success: true, matchIndex: 4 },
    ]);
    expect(status(out.state)).toMatchObject({ lastLogIndex: 4, lastLogTerm: 3 });
  });

  it('§5.3: "If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it" (Figure 2)', () => {
    const follower = start(2, { terms: [1, 1, 2, 2, 2], ...plain });
    const out = feed(follower, receive(appendEntries(1, 2, 3, [2, 1], entries([3], 3))));
    const [write] = persists(out.effects);
    expect(write?.truncateFrom).toBe(3);
    expect(write?.entries.map((e) => `${e.index}/${e.term}`)).toEqual(["3/3"]);
    expect(status(out.state)).toMatchObject({ lastLogIndex: 3, lastLogTerm: 3 });
  });

  it('§5.3: "Append any new entries not already in the log" (Figure 2): a stale AppendEntries whose entries are all present truncates nothing', () => {
    const follower = start(2, { terms: [1, 1, 1], ...plain });
    const out = feed(follower, receive(appendEntries(1, 2, 1, [0, 0], entries([1]))));
    expect(persists(out.effects).filter((p) => p.truncateFrom !== undefined)).toEqual([]);
    expect(status(out.state)).toMatchObject({ lastLogIndex: 3 });
    const replies = ofType(out.sent, "appendEntriesResponse");
    expect(replies).toMatchObject([{ success: true }]);
    // It may only vouch for what this message proved to match: index 1.
    expect(replies[0]?.success === true && replies[0].matchIndex).toBe(1);
  });

  it('§5.3: "When a leader first comes to power, it initializes all nextIndex values to the index just after the last one in its log"', () => {
    const out = elect(start(1, { size: 5, terms: [1, 2, 2, 2], ...plain }));
    const progress = status(out.state).progress ?? {};
    expect(Object.keys(progress).sort()).toEqual([n(2), n(3), n(4), n(5)]);
    // The log was 1..4 when it came to power; the no-op at 5 is its first new entry.
    for (const m of ofType(out.sent, "appendEntries")) expect(m.prevLogIndex).toBe(4);
  });

  it('§5.3: "After a rejection, the leader decrements nextIndex and retries the AppendEntries RPC"', () => {
    const elected = elect(start(1, { terms: [1, 1, 2], ...plain })); // term 3
    const [probe] = ofType(elected.sent, "appendEntries").filter((m) => m.to === n(2));
    if (probe === undefined) throw new Error("expected a probe to 2");
    // Follower 2 holds only 1/1: its log is shorter than prevLogIndex 3.
    const reject = feedAll(elected.state, [
      receive({
        type: "appendEntriesResponse",
        from: n(2),
        to: n(1),
        term: probe.term,
        seq: probe.seq,
        success: false,
        conflictIndex: 2 as typeof probe.prevLogIndex,
        conflictTerm: 0 as typeof probe.term,
      }),
    ]);
    const [retry] = ofType(reject.sent, "appendEntries");
    expect(retry).toMatchObject({ to: n(2), prevLogIndex: 1, prevLogTerm: 1 });
    expect(retry?.entries.map((e) => e.index)).toEqual([2, 3, 4]);
  });
});
