import {
  type Effect,
  type Entry,
  type Event,
  type Index,
  type Membership,
  type NodeId,
  nodeId,
  type Term,
} from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { MembershipChecker } from "../src/membership-checker.js";
import { SafetyChecker } from "../src/safety-checker.js";
import { hard, noop, persist, role } from "./fixtures.js";

// Each membership rule fires on a hand-made violating trace, and stays quiet on the legal trace
// next to it. Nodes 1-3 are the initial voters; node 4 starts empty, waiting to be added.

const ids: readonly NodeId[] = ["1", "2", "3", "4"].map(nodeId);
const initial: Membership = { voters: ids.slice(0, 3), learners: [] };
const tick: Event = { type: "tick" };

function config(index: number, term: number, membership: Membership): Entry {
  return { kind: "membership", index: index as Index, term: term as Term, membership };
}

const withFour: Membership = { voters: ids, learners: [] };
const joint: Membership = {
  voters: [ids[0], ids[3]] as NodeId[],
  learners: [],
  outgoing: initial.voters,
};

/** `from`'s vote for `to` in `term`, durable before it leaves. */
function grant(from: string, to: string, term: number): Effect {
  return {
    ...persist({ hardState: hard(term, to, 0) }),
    then: [
      {
        type: "requestVoteResponse",
        from: nodeId(from),
        to: nodeId(to),
        term: term as Term,
        preVote: false,
        granted: true,
      },
    ],
  };
}

class Cluster {
  readonly safety = new SafetyChecker(ids);
  readonly membership = new MembershipChecker(
    this.safety,
    [initial, initial, initial, { voters: [], learners: [] }],
    true,
  );

  step(node: number, effects: readonly Effect[], event: Event = tick): void {
    this.safety.observe(node, effects);
    this.membership.observe(node, event, effects);
  }

  /** Node 0 leads term 1 and the others hold its no-op, committed. */
  static led(): Cluster {
    const c = new Cluster();
    c.step(1, [grant("2", "1", 1)]);
    c.step(0, [
      role("leader", 1, "1"),
      persist({ entries: [noop(1, 1)], hardState: hard(1, "1", 0) }),
    ]);
    for (const node of [1, 2]) {
      c.step(node, [
        role("follower", 1, "1"),
        persist({ entries: [noop(1, 1)], hardState: hard(1, "1", 0) }),
      ]);
    }
    c.step(0, [persist({ hardState: hard(1, "1", 1) })]);
    expect(c.safety.violation).toBeNull();
    return c;
  }
}

describe("one change at a time", () => {
  it("fires when a leader appends a configuration while the previous one is uncommitted", () => {
    const c = Cluster.led();
    c.step(0, [persist({ entries: [config(2, 1, withFour)] })]);
    c.step(0, [persist({ entries: [config(3, 1, initial)] })]);
    expect(c.safety.violation).toMatchObject({ kind: "membership", node: "1" });
    expect(c.safety.violation?.detail).toMatch(/two changes in flight/);
  });

  it("accepts the next change once the previous one committed", () => {
    const c = Cluster.led();
    c.step(0, [persist({ entries: [config(2, 1, withFour)] })]);
    for (const node of [1, 2]) c.step(node, [persist({ entries: [config(2, 1, withFour)] })]);
    c.step(0, [persist({ hardState: hard(1, "1", 2) })]);
    c.step(0, [persist({ entries: [config(3, 1, initial)] })]);
    expect(c.safety.violation).toBeNull();
  });
});

describe("quorums of both halves while joint", () => {
  it("fires on a commit held by a majority of the incoming voters only", () => {
    const c = Cluster.led();
    c.step(0, [persist({ entries: [config(2, 1, joint)] })]);
    c.step(3, [
      persist({ entries: [noop(1, 1), config(2, 1, joint)], hardState: hard(1, null, 0) }),
    ]);
    c.step(0, [persist({ hardState: hard(1, "1", 2) })]);
    expect(c.safety.violation?.kind).toBe("membership");
    expect(c.safety.violation?.detail).toMatch(/held only by n1,n4: no quorum/);
  });

  it("accepts it once a majority of the outgoing voters holds it too", () => {
    const c = Cluster.led();
    c.step(0, [persist({ entries: [config(2, 1, joint)] })]);
    c.step(3, [
      persist({ entries: [noop(1, 1), config(2, 1, joint)], hardState: hard(1, null, 0) }),
    ]);
    c.step(1, [persist({ entries: [config(2, 1, joint)] })]);
    c.step(0, [persist({ hardState: hard(1, "1", 2) })]);
    expect(c.safety.violation).toBeNull();
  });
});

describe("elections", () => {
  it("fires on a leader elected without a quorum of its configuration", () => {
    const c = Cluster.led();
    c.step(1, [role("leader", 2, "2")]);
    expect(c.safety.violation?.detail).toMatch(/votes from nobody else: no quorum/);
  });

  it("accepts a leader elected with one", () => {
    const c = Cluster.led();
    c.step(2, [grant("3", "2", 2)]);
    c.step(1, [role("leader", 2, "2")]);
    expect(c.safety.violation).toBeNull();
  });
});

describe("a removed node", () => {
  const voteRequest = (from: string): Event => ({
    type: "receive",
    message: {
      type: "requestVote",
      from: nodeId(from),
      to: nodeId("1"),
      term: 5 as Term,
      lastLogIndex: 1 as Index,
      lastLogTerm: 1 as Term,
      preVote: false,
    },
  });

  it("fires when its vote request deposes a leader (CheckQuorum on)", () => {
    const c = Cluster.led();
    c.step(
      0,
      [persist({ hardState: hard(5, null, 1) }), role("follower", 5, null)],
      voteRequest("4"),
    );
    expect(c.safety.violation?.detail).toMatch(/deposed by a vote request of term 5 from n4/);
  });

  it("fires when a leader keeps leading once its removal committed", () => {
    const c = Cluster.led();
    const without: Membership = { voters: ids.slice(1, 3), learners: [] };
    c.step(0, [persist({ entries: [config(2, 1, without)] })]);
    for (const node of [1, 2]) c.step(node, [persist({ entries: [config(2, 1, without)] })]);
    c.step(0, [persist({ hardState: hard(1, "1", 2) })]);
    expect(c.safety.violation?.detail).toMatch(/still leads/);
  });

  it("accepts a leader that steps down as its removal commits", () => {
    const c = Cluster.led();
    const without: Membership = { voters: ids.slice(1, 3), learners: [] };
    c.step(0, [persist({ entries: [config(2, 1, without)] })]);
    for (const node of [1, 2]) c.step(node, [persist({ entries: [config(2, 1, without)] })]);
    c.step(0, [persist({ hardState: hard(1, "1", 2) }), role("follower", 1, null)]);
    expect(c.safety.violation).toBeNull();
  });
});
