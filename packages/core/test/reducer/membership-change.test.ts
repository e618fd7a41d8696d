import {
  type Entry,
  InvalidEventError,
  index,
  type Membership,
  type NodeId,
  nodeId,
  term,
} from "@flotilla/core";
import { init, type RaftStateInternals, status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { Cluster } from "../scenario/cluster.js";

// The changeMembership event on its own: local misuse throws, refusals are effects, `force`.

const [n1, n4] = [nodeId("1"), nodeId("4")];

/** A 3-voter cluster led by 1, with 4 added as a learner and then cut off while 1 commits more. */
function laggingLearner(): { cluster: Cluster; leader: RaftStateInternals } {
  const cluster = new Cluster(4, {}, 3);
  cluster.stepNode(n1, { type: "campaign" });
  cluster.stabilize();
  const change = { type: "change", operations: [{ type: "addLearner", id: n4 }] } as const;
  cluster.stepNode(n1, { type: "changeMembership", id: "learner", change });
  cluster.stabilize();
  cluster.partition([[n1, nodeId("2"), nodeId("3")], [n4]]);
  cluster.stepNode(n1, { type: "propose", id: "p", data: new Uint8Array([1]) });
  cluster.stabilize();
  return { cluster, leader: cluster.stateOf(n1) };
}

const promote4 = { type: "change", operations: [{ type: "promote", id: n4 }] } as const;

describe("changeMembership", () => {
  it("throws on malformed requests (local misuse), before any check of the role", () => {
    const s = init({ id: n1, voters: [n1] });
    const bad = [
      null,
      { type: "grow" },
      { type: "change", operations: [{ type: "addVoter", id: "" }] },
      { type: "change", operations: [{ type: "elect", id: "x" }] },
      { type: "change", operations: [], transition: "later" },
    ];
    for (const change of bad) {
      expect(() => step(s, { type: "changeMembership", id: "c", change } as never)).toThrow(
        InvalidEventError,
      );
    }
  });

  it("refuses to promote a learner that lags, unless forced (thesis §4.2.1)", () => {
    const { leader } = laggingLearner();
    const refused = step(leader, { type: "changeMembership", id: "c", change: promote4 });
    expect(refused.effects).toContainEqual({
      type: "membershipChangeRejected",
      id: "c",
      refusal: { reason: "learnerLagging", id: n4 },
    });
    expect(refused.state.membershipLog).toBe(leader.membershipLog);
    const forced = step(leader, {
      type: "changeMembership",
      id: "c",
      change: promote4,
      force: true,
    });
    expect(forced.effects).toContainEqual(
      expect.objectContaining({ type: "membershipChangeAccepted", id: "c" }),
    );
    expect(status(forced.state).membership.voters).toContain(n4);
  });

  it("a learner never counts towards a commit", () => {
    const { cluster } = laggingLearner();
    const voters: NodeId[] = [n1, n4];
    cluster.heal();
    cluster.partition([voters]);
    const before = status(cluster.stateOf(n1)).commit;
    cluster.stepNode(n1, { type: "propose", id: "q", data: new Uint8Array([2]) });
    cluster.stabilize();
    expect(status(cluster.stateOf(n1)).commit).toBe(before);
  });
});

describe("the intent to leave a joint configuration is in its entry (thesis §4.3)", () => {
  /** Node 1 restarted with a committed C_old,new in its log, elected alone (1 is both halves). */
  function restartedInJoint(explicitLeave: boolean): RaftStateInternals {
    const joint: Membership = {
      voters: [n1],
      learners: [],
      outgoing: [n1, n4],
      ...(explicitLeave ? { explicitLeave: true as const } : {}),
    };
    const entries: Entry[] = [
      { kind: "noop", index: index(1), term: term(1) },
      { kind: "membership", index: index(2), term: term(1), membership: joint },
    ];
    const restarted = init(
      { id: n1, voters: [n1, n4] },
      { hardState: { term: term(1), vote: n1, commit: index(2) }, snapshot: null, entries },
    );
    // 4 grants the vote; 1 then leads term 2 and its no-op commits by both halves.
    let s = step(restarted, { type: "campaign" }).state;
    const vote = { from: n4, to: n1, term: term(2), preVote: false, granted: true } as const;
    s = step(s, { type: "receive", message: { type: "requestVoteResponse", ...vote } }).state;
    s = step(s, { type: "persisted", index: index(3), term: term(2) }).state;
    const ack = { from: n4, to: n1, term: term(2), success: true, matchIndex: index(3) };
    return step(s, {
      type: "receive",
      message: { type: "appendEntriesResponse", ...ack, seq: 1 } as never,
    }).state;
  }

  it("a leader restarted in a committed joint configuration left automatically leaves it", () => {
    const s = restartedInJoint(false);
    expect(status(s).role).toBe("leader");
    expect(status(s).membership).toEqual({ voters: [n1], learners: [] });
  });

  it("one to be left on request stays joint until a leaveJoint request", () => {
    const s = restartedInJoint(true);
    expect(status(s).role).toBe("leader");
    expect(status(s).membership.outgoing).toEqual([n1, n4]);
    const left = step(s, { type: "changeMembership", id: "l", change: { type: "leaveJoint" } });
    expect(status(left.state).membership).toEqual({ voters: [n1], learners: [] });
  });
});
