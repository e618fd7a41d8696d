import {
  type Effect,
  type Message,
  nodeId,
  type PersistEffect,
  type RequestVote,
  type Term,
} from "@flotilla/core";
import { init, status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { Cluster } from "./cluster.js";

const [n1, n2, n3] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];

function persistOf(effects: readonly Effect[]): PersistEffect | undefined {
  return effects.find((e): e is PersistEffect => e.type === "persist");
}

/** Ticks one node at a time, delivering everything in between, until someone leads. */
function electByTicks(c: Cluster, maxTicks = 200): void {
  for (let t = 0; t < maxTicks && c.leader() === undefined; t++) {
    for (const id of c.ids) {
      c.tick(id);
      c.stabilize();
    }
  }
}

describe("election", () => {
  it("elects a leader by timeouts, which appends a no-op of its term", () => {
    const c = new Cluster(3);
    electByTicks(c);
    const leader = c.leader()!;
    const view = status(c.state(leader));
    expect(view.role).toBe("leader");
    expect(view.lastLogTerm).toBe(view.term);
    c.tickAll(1);
    c.stabilize();
    for (const id of c.ids) {
      expect(status(c.state(id)).leader).toBe(leader);
      expect(status(c.state(id)).commit).toBe(1);
    }
  });

  it("status shows the election timer running to its randomised timeout", () => {
    let s = init({ id: n1, voters: [n1, n2, n3], electionTimeoutTicks: 10 });
    const timeout = status(s).electionTimeoutTicks;
    expect(timeout).toBeGreaterThanOrEqual(10);
    expect(timeout).toBeLessThan(20);
    expect(status(s).electionElapsedTicks).toBe(0);
    for (let i = 0; i < 3; i++) s = step(s, { type: "tick" }).state;
    expect(status(s).electionElapsedTicks).toBe(3);
    expect(status(s).electionTimeoutTicks).toBe(timeout);
  });

  it("electionJitterTicks sets the width of the timeout's random range", () => {
    const timeouts = (electionJitterTicks: number | null) =>
      Array.from({ length: 40 }, (_, seed) => {
        const config = { id: n1, voters: [n1, n2, n3], electionTimeoutTicks: 20, seed };
        return status(init({ ...config, electionJitterTicks })).electionTimeoutTicks;
      });
    const narrow = timeouts(5);
    expect(Math.min(...narrow)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...narrow)).toBeLessThan(25);
    expect(new Set(narrow).size).toBeGreaterThan(1);
    // null is the paper's [T, 2T), as before the option existed.
    const wide = timeouts(null);
    expect(Math.max(...wide)).toBeGreaterThanOrEqual(25);
    expect(Math.max(...wide)).toBeLessThan(40);
    expect(timeouts(20)).toEqual(wide);
  });

  it("a forced campaign skips the pre-vote and bumps the term at once", () => {
    const s = init({ id: n1, voters: [n1, n2, n3] });
    const { state, messages, effects } = step(s, { type: "campaign" });
    expect(status(state).role).toBe("candidate");
    expect(status(state).term).toBe(1);
    // The RequestVotes carry a term and a self-vote that must be durable first: held in `then`.
    expect(messages).toEqual([]);
    const persist = persistOf(effects)!;
    expect(persist.hardState).toEqual({ term: 1, vote: n1, commit: 0 });
    expect(persist.then.map((m) => [m.type, m.to, (m as RequestVote).preVote])).toEqual([
      ["requestVote", n2, false],
      ["requestVote", n3, false],
    ]);
  });

  it("a pre-candidate asks at term + 1 without changing its own term or persisting", () => {
    const s = init({ id: n1, voters: [n1, n2, n3], electionTimeoutTicks: 5 });
    let state = s;
    let result: ReturnType<typeof step> | undefined;
    for (let i = 0; i < 10 && status(state).role === "follower"; i++) {
      result = step(state, { type: "tick" });
      state = result.state;
    }
    expect(status(state).role).toBe("preCandidate");
    expect(status(state).term).toBe(0);
    expect(persistOf(result!.effects)).toBeUndefined();
    expect(result!.messages.map((m) => [m.term, (m as RequestVote).preVote])).toEqual([
      [1, true],
      [1, true],
    ]);
  });

  it("keeps one vote per term across a restart (the vote is in the persisted hard state)", () => {
    const s = init({ id: n1, voters: [n1, n2, n3] });
    const request = (from: typeof n2): Message => ({
      type: "requestVote",
      from,
      to: n1,
      term: 1 as Term,
      preVote: false,
      lastLogIndex: 0 as never,
      lastLogTerm: 0 as Term,
    });
    const first = step(s, { type: "receive", message: request(n2) });
    const persist = persistOf(first.effects)!;
    expect(persist.hardState).toEqual({ term: 1, vote: n2, commit: 0 });
    // The grant waits for durability.
    expect(first.messages).toEqual([]);
    expect(persist.then).toMatchObject([{ type: "requestVoteResponse", to: n2, granted: true }]);
    // Crash and restart from what was persisted: n3 asking in the same term is refused.
    const restarted = init(
      { id: n1, voters: [n1, n2, n3] },
      { hardState: persist.hardState!, snapshot: null, entries: [] },
    );
    const second = step(restarted, { type: "receive", message: request(n3) });
    expect(persistOf(second.effects)!.then).toMatchObject([{ to: n3, granted: false }]);
    const again = step(restarted, { type: "receive", message: request(n2) });
    expect(persistOf(again.effects)!.then).toMatchObject([{ to: n2, granted: true }]);
  });

  it("refuses a candidate whose log is less up to date (§5.4.1)", () => {
    const s = init(
      { id: n1, voters: [n1, n2, n3] },
      {
        hardState: { term: 2 as Term, vote: null, commit: 0 as never },
        snapshot: null,
        entries: [{ kind: "noop", index: 1 as never, term: 2 as Term }],
      },
    );
    const { messages, effects } = step(s, {
      type: "receive",
      message: {
        type: "requestVote",
        from: n2,
        to: n1,
        term: 3 as Term,
        preVote: false,
        lastLogIndex: 5 as never,
        lastLogTerm: 1 as Term,
      },
    });
    expect(persistOf(effects)?.then ?? messages).toMatchObject([{ granted: false, term: 3 }]);
  });

  it("a denied higher-term vote request moves the term but not the election timer (Figure 2)", () => {
    // Simulator seed 3949 (no PreVote): a node with an empty log, on a fast clock, campaigned
    // every timeout; each denied request reset the up-to-date nodes' timers, so on slower
    // clocks they never reached theirs and no leader was ever elected. Figure 2 resets the
    // timer only on AppendEntries from the current leader or on granting a vote.
    const config = { id: n1, voters: [n1, n2, n3], preVote: false, checkQuorum: false };
    const persisted = {
      hardState: { term: 2 as Term, vote: null, commit: 0 as never },
      snapshot: null,
      entries: [{ kind: "noop" as const, index: 1 as never, term: 2 as Term }],
    };
    let ticksToCampaign = 0;
    for (let s = init(config, persisted); status(s).role === "follower"; ticksToCampaign++) {
      s = step(s, { type: "tick" }).state;
    }
    let s = init(config, persisted);
    for (let t = 0; t < ticksToCampaign - 1; t++) s = step(s, { type: "tick" }).state;
    const stale: Message = {
      type: "requestVote",
      from: n2,
      to: n1,
      term: 3 as Term,
      preVote: false,
      lastLogIndex: 0 as never,
      lastLogTerm: 0 as Term,
    };
    const denied = step(s, { type: "receive", message: stale });
    expect(persistOf(denied.effects)!.then).toMatchObject([{ granted: false, term: 3 }]);
    expect(status(denied.state).term).toBe(3);
    const next = step(denied.state, { type: "tick" });
    expect(status(next.state)).toMatchObject({ role: "candidate", term: 4 });
  });

  it("pre-vote keeps a partitioned node from disrupting a healthy leader when it rejoins", () => {
    const c = new Cluster(3);
    c.step(n1, { type: "campaign" });
    c.stabilize();
    const term = status(c.state(n1)).term;
    // n3 is cut off: it ticks for a long time while its traffic is dropped.
    for (let i = 0; i < 100; i++) {
      c.tickAll(1);
      c.stabilize((m) => m.from === n3 || m.to === n3);
    }
    expect(status(c.state(n3)).term).toBe(term);
    expect(["preCandidate", "follower"]).toContain(status(c.state(n3)).role);
    // Rejoin: the leader keeps its term and leadership, n3 follows it.
    for (let i = 0; i < 5; i++) {
      c.tickAll(1);
      c.stabilize();
    }
    expect(status(c.state(n1)).role).toBe("leader");
    expect(status(c.state(n1)).term).toBe(term);
    expect(status(c.state(n3)).leader).toBe(n1);
  });

  it("CheckQuorum: a leader that hears from no quorum for an election timeout steps down", () => {
    const c = new Cluster(3);
    c.step(n1, { type: "campaign" });
    c.stabilize();
    expect(status(c.state(n1)).role).toBe("leader");
    for (let i = 0; i < 25 && status(c.state(n1)).role === "leader"; i++) {
      c.tick(n1);
      c.queue = []; // every message to and from the leader is lost
    }
    expect(status(c.state(n1)).role).toBe("follower");
    const roleChange = c.effects
      .filter((e) => e.id === n1 && e.effect.type === "roleChanged")
      .at(-1)!.effect;
    expect(roleChange).toMatchObject({ role: "follower", leader: null });
  });

  it("without CheckQuorum an isolated leader keeps leading", () => {
    const c = new Cluster(3, { checkQuorum: false });
    c.step(n1, { type: "campaign" });
    c.stabilize();
    for (let i = 0; i < 50; i++) {
      c.tick(n1);
      c.queue = [];
    }
    expect(status(c.state(n1)).role).toBe("leader");
  });

  it("vote lease: a follower that just heard from its leader ignores a higher-term vote request", () => {
    const c = new Cluster(3, { preVote: false });
    c.step(n1, { type: "campaign" });
    c.stabilize();
    const term = status(c.state(n2)).term;
    const disruptive: Message = {
      type: "requestVote",
      from: n3,
      to: n2,
      term: (term + 5) as Term,
      preVote: false,
      lastLogIndex: 100 as never,
      lastLogTerm: (term + 4) as Term,
    };
    const result = step(c.state(n2), { type: "receive", message: disruptive });
    expect(result.messages).toEqual([]);
    expect(result.effects).toEqual([]);
    expect(status(result.state).term).toBe(term);
    // Once the lease has run out (no leader contact for an election timeout), it does answer.
    let s = c.state(n2);
    for (let i = 0; i < 10; i++) s = step(s, { type: "tick" }).state;
    const later = step(s, { type: "receive", message: disruptive });
    expect(status(later.state).term).toBe(term + 5);
    expect(persistOf(later.effects)!.then).toMatchObject([{ granted: true }]);
  });

  it("learners never campaign, not even when forced", () => {
    const learner = nodeId("l1");
    let s = init({ id: learner, voters: [n1, n2, n3], learners: [learner] });
    for (let i = 0; i < 100; i++) {
      const r = step(s, { type: "tick" });
      expect(r.messages).toEqual([]);
      s = r.state;
    }
    const forced = step(s, { type: "campaign" });
    expect(status(forced.state).role).toBe("follower");
    expect(forced.messages).toEqual([]);
    expect(forced.effects).toEqual([]);
  });

  it("a single voter elects itself and commits once its own log is durable", () => {
    const s = init({ id: n1, voters: [n1] });
    const r = step(s, { type: "campaign" });
    expect(status(r.state).role).toBe("leader");
    expect(status(r.state).commit).toBe(0);
    const durable = step(r.state, { type: "persisted", index: 1 as never, term: 1 as Term });
    expect(status(durable.state).commit).toBe(1);
    expect(durable.effects).toMatchObject([{ type: "persist" }, { type: "apply" }]);
  });

  it("nodes with the same configured seed still draw different election timeouts", () => {
    const firstCampaign = (id: typeof n1): number => {
      let s = init({ id, voters: [n1, n2, n3], seed: 7 });
      for (let t = 1; t < 100; t++) {
        s = step(s, { type: "tick" }).state;
        if (status(s).role !== "follower") return t;
      }
      return -1;
    };
    const ticks = [n1, n2, n3].map(firstCampaign);
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(10);
      expect(t).toBeLessThan(20);
    }
    expect(new Set(ticks).size).toBeGreaterThan(1);
  });
});
