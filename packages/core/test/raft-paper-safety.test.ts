// The claims of the Raft paper §5.4 (safety), one test each, with Figure 7 (a new leader repairs
// every kind of follower log) and Figure 8 (an entry of an earlier term is not committed by counting
// replicas). Figures 7 and 8 run on the scenario cluster (test/scenario/cluster.ts), a network of
// real reducers whose disks are set up as the figures draw them.

import type { Message } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import {
  ack,
  appendEntries,
  elect,
  entries,
  feed,
  feedAll,
  n,
  ofType,
  receive,
  requestVote,
  start,
  status,
} from "./paper-helpers.js";
import { Cluster } from "./scenario/cluster.js";

const plain = { config: { preVote: false } } as const;

describe("Raft paper §5.4.1: election restriction", () => {
  // The voter's log ends with 3/2 (terms 1 2 2). The candidate asks in term 3.
  it.each([
    ["a later last term, shorter log", [1, 3], true],
    ["the same last term, longer log", [4, 2], true],
    ["the same last term, same length", [3, 2], true],
    ["the same last term, shorter log", [2, 2], false],
    ["an earlier last term, longer log", [9, 1], false],
    ["an empty log", [0, 0], false],
  ] as const)(
    '§5.4.1: "the voter denies its vote if its own log is more up-to-date than that of the candidate" (candidate with %s: grant=%s)',
    (_, last, granted) => {
      const voter = start(1, { terms: [1, 2, 2], ...plain });
      const out = feed(voter, receive(requestVote(2, 1, 3, last)));
      const replies = ofType(out.sent, "requestVoteResponse");
      expect(replies).toMatchObject([{ to: n(2), term: 3, granted }]);
      expect(status(out.state)).toMatchObject({ term: 3, vote: granted ? n(2) : null });
    },
  );

  it('§5.4.1: "Raft uses the voting process to prevent a candidate from winning an election unless its log contains all committed entries"', () => {
    const cluster = new Cluster(3, { preVote: false });
    // Entry 2/1 is committed: it is on nodes 1 and 2, a majority. Node 3 missed it.
    const committed = { term: 1, vote: null, commit: 2, terms: [1, 1] };
    for (const id of [1, 2]) cluster.load(n(id), persistedOf(committed));
    cluster.load(n(3), persistedOf({ ...committed, commit: 1, terms: [1] }));
    cluster.stepNode(n(3), { type: "campaign" });
    cluster.stabilize();
    expect(cluster.status(n(3))?.role).not.toBe("leader");
    expect(cluster.status(n(1))?.vote).toBeNull();
    expect(cluster.status(n(2))?.vote).toBeNull();
  });
});

describe("Raft paper §5.4.2: committing entries from previous terms", () => {
  it('§5.4.2: "Raft never commits log entries from previous terms by counting replicas. Only log entries from the leader\'s current term are committed by counting replicas"', () => {
    // Figure 8 (c) as seen by S1: its log is 1/1 2/2, it leads term 4 and appends the no-op 3/4.
    const elected = elect(start(1, { size: 5, terms: [1, 2], term: 3, commit: 1, ...plain }));
    expect(status(elected.state)).toMatchObject({ role: "leader", term: 4, lastLogIndex: 3 });
    const probes = ofType(elected.sent, "appendEntries");
    const to = (id: number) => {
      const m = probes.find((p) => p.to === n(id));
      if (m === undefined) throw new Error(`no AppendEntries to ${id}`);
      return m;
    };
    // S2 and S3 hold 2/2 (they answer a heartbeat at prev 2/2): with S1, a majority of five.
    const heartbeatAt2 = (id: number) => appendEntries(1, id, 4, [2, 2], [], 1, to(id).seq);
    const oldTerm = feedAll(elected.state, [
      receive(ack(heartbeatAt2(2), 2)),
      receive(ack(heartbeatAt2(3), 2)),
    ]);
    expect(status(oldTerm.state).progress?.[n(2)]?.match).toBe(2);
    expect(status(oldTerm.state).commit).toBe(1);
    // Once an entry of term 4 is on a majority, it commits, and 2/2 with it.
    const current = feedAll(oldTerm.state, [receive(ack(to(2), 3)), receive(ack(to(3), 3))]);
    expect(status(current.state).commit).toBe(3);
  });

  it('§5.4.2: Figure 8: "a log entry that has been stored on a majority of servers could still be overwritten by a future leader" unless an entry of the current term commits', () => {
    // (c): S1 leads term 4 and copies 2/2 to S2 and S3, then crashes before any term-4 entry
    // lands; S5 holds 2/3 from its own reign in term 3.
    const figure8c = (): Cluster => {
      // The paper's algorithm: no pre-vote, no CheckQuorum lease. One entry per AppendEntries.
      const c = new Cluster(5, {
        preVote: false,
        checkQuorum: false,
        entriesBytesPerMessageMax: 1,
      });
      c.load(n(1), persistedOf({ term: 3, vote: null, commit: 1, terms: [1, 2] }));
      for (const id of [2, 3, 4]) {
        c.load(n(id), persistedOf({ term: 3, vote: null, commit: 1, terms: [1] }));
      }
      c.load(n(5), persistedOf({ term: 3, vote: null, commit: 1, terms: [1, 3] }));
      c.partition([[n(1), n(2), n(3)], [n(4)], [n(5)]]);
      c.stepNode(n(1), { type: "campaign" });
      // Lose every AppendEntries that would land a term-4 entry (one whose prev the follower has).
      const noTerm4Entry = (m: Message) =>
        m.type !== "appendEntries" ||
        m.entries.every((entry) => entry.term !== 4) ||
        c.disk(m.to).entries.length < m.prevLogIndex;
      for (let round = 0; round < 10; round++) {
        for (const [from, to] of [
          [1, 2],
          [1, 3],
          [2, 1],
          [3, 1],
        ] as const) {
          c.deliverIf(n(from), n(to), noTerm4Entry);
        }
      }
      return c;
    };
    const c = figure8c();
    // 2/2 is on S1, S2 and S3, a majority, and S1 knows it; but it is of term 2, so uncommitted.
    expect(c.status(n(1))).toMatchObject({ role: "leader", term: 4, commit: 1 });
    expect(c.status(n(1))?.progress?.[n(2)]?.match).toBe(2);
    expect(c.status(n(1))?.progress?.[n(3)]?.match).toBe(2);
    expect(c.disk(n(2)).entries.map((e) => e.term)).toEqual([1, 2]);
    expect(c.disk(n(3)).entries.map((e) => e.term)).toEqual([1, 2]);

    // (d): S1 crashes; S5 can win term 5 with votes from S2, S3 and S4, and overwrite 2/2.
    c.crash(n(1));
    c.partition([[n(2), n(3), n(4), n(5)]]);
    // Its first try is in term 4, where S2 and S3 already voted for S1; the second is term 5.
    for (let attempt = 0; attempt < 2; attempt++) {
      c.stepNode(n(5), { type: "campaign" });
      expect(c.stabilize()).toBe(true);
    }
    expect(c.status(n(5))).toMatchObject({ role: "leader", term: 5 });
    for (const id of [2, 3, 4, 5]) {
      expect(
        c
          .disk(n(id))
          .entries.map((e) => e.term)
          .slice(0, 2),
      ).toEqual([1, 3]);
    }
    // Nobody ever applied 2/2, so nothing committed was lost.
    expect(c.takeTrace().filter((line) => line.includes("VIOLATION"))).toEqual([]);

    // (e): had S1 replicated an entry of term 4 to a majority, S5 could not win.
    const e = figure8c();
    // Heartbeats find the lost term-4 entries and resend them.
    for (let tick = 0; tick < 5 && e.status(n(1))?.commit !== 3; tick++) {
      e.stepNode(n(1), { type: "tick" });
      expect(e.stabilize()).toBe(true);
    }
    expect(e.status(n(1))?.commit).toBe(3);
    e.crash(n(1));
    e.partition([[n(2), n(3), n(4), n(5)]]);
    for (let attempt = 0; attempt < 2; attempt++) {
      e.stepNode(n(5), { type: "campaign" });
      expect(e.stabilize()).toBe(true);
      expect(e.status(n(5))?.role).not.toBe("leader");
    }
    expect(e.disk(n(2)).entries.map((x) => x.term)).toEqual([1, 2, 4]);
  });
});

describe("Raft paper §5.3, Figure 7: a new leader repairs every kind of follower log", () => {
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  it.each([
    ["(a) missing entries", [1, 1, 1, 4, 4, 5, 5, 6, 6]],
    ["(b) missing many entries", [1, 1, 1, 4]],
    ["(c) an extra entry of an old term", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]],
    ["(d) extra entries of a later term", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]],
    ["(e) missing and extra entries", [1, 1, 1, 4, 4, 4, 4]],
    ["(f) missing and extra entries of several terms", [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]],
  ])(
    '§5.3: "the leader handles inconsistencies by forcing the followers\' logs to duplicate its own" %s',
    (_, followerLog) => {
      const c = new Cluster(3, { preVote: false });
      // The leader of term 8 (Figure 7): node 1, elected with node 2, which holds the same log.
      c.load(n(1), persistedOf({ term: 7, vote: null, commit: 0, terms: leaderLog }));
      c.load(n(2), persistedOf({ term: 7, vote: null, commit: 0, terms: leaderLog }));
      c.load(
        n(3),
        persistedOf({ term: followerLog.at(-1) ?? 0, vote: null, commit: 0, terms: followerLog }),
      );
      c.stepNode(n(1), { type: "campaign" });
      expect(c.stabilize()).toBe(true);
      c.stepNode(n(1), { type: "tick" });
      expect(c.stabilize()).toBe(true);
      expect(c.status(n(1))).toMatchObject({ role: "leader", term: 8 });
      const expected = [...leaderLog, 8];
      // "A leader never overwrites or deletes entries in its own log" (the Leader Append-Only property).
      expect(c.disk(n(1)).entries.map((e) => e.term)).toEqual(expected);
      expect(c.durableWrites(n(1)).filter((w) => w.truncateFrom !== undefined)).toEqual([]);
      expect(c.disk(n(3)).entries.map((e) => e.term)).toEqual(expected);
      expect(c.status(n(3))).toMatchObject({ commit: 11, lastLogIndex: 11, lastLogTerm: 8 });
      expect(c.takeTrace().filter((line) => line.includes("VIOLATION"))).toEqual([]);
    },
  );
});

function persistedOf(spec: {
  term: number;
  vote: number | null;
  commit: number;
  terms: readonly number[];
}) {
  const log = entries(spec.terms);
  return {
    hardState: {
      term: spec.term as never,
      vote: spec.vote === null ? null : n(spec.vote),
      commit: spec.commit as never,
    },
    snapshot: null,
    entries: log,
  };
}
