import {
  InvalidEventError,
  init,
  type NodeId,
  nodeId,
  type RaftState,
  status,
  step,
} from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { Cluster } from "../scenario/cluster.js";

// The changeMembership event on its own: local misuse throws, refusals are effects, `force`.

const [n1, n4] = [nodeId("1"), nodeId("4")];

/** A 3-voter cluster led by 1, with 4 added as a learner and then cut off while 1 commits more. */
function laggingLearner(): { cluster: Cluster; leader: RaftState } {
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
