import { describe, expect, it } from "vitest";
import type { NodeId } from "../../src/index.js";
import { MembershipChangeRefusedError } from "../../src/index.js";
import { TestCluster } from "./cluster.js";
import { bytes, watch } from "./fixtures.js";

// Membership changes through the driver: three voters and a fourth node that starts empty.

const d = "d" as NodeId;

describe("membership changes through createNode", () => {
  it("adds a learner, promotes it once caught up, removes the leader, and keeps committing", async () => {
    const cluster = new TestCluster(["a", "b", "c", "d"], {}, ["d"]);
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const node = cluster.node(leader);
    for (let k = 0; k < 20; k++) await node.propose(bytes(`before${k}`));
    expect(cluster.node(d).status().membership).toEqual({ voters: [], learners: [] });

    const added = watch(node.addLearner(d));
    await cluster.until(() => added.state() !== "pending");
    expect(added.state()).toBe("resolved");
    expect(node.status().membership.learners).toEqual([d]);
    await cluster.until(() => cluster.machine(d).applied.length === 20);
    expect(node.status().progress?.[d]?.match).toBeGreaterThan(0);

    const promoted = watch(node.promote(d));
    await cluster.until(() => promoted.state() !== "pending");
    expect(promoted.state()).toBe("resolved");
    await cluster.until(() => cluster.node(d).status().membership.voters.includes(d));

    const removed = watch(node.remove(leader));
    await cluster.until(() => removed.state() !== "pending");
    expect(removed.state()).toBe("resolved");
    // The removed leader steps down once the change commits; the others elect a leader.
    await cluster.until(() => {
      const next = cluster.leader();
      return next !== undefined && next !== leader;
    });
    const next = cluster.node(cluster.leader()!);
    expect(next.status().membership.voters).not.toContain(leader);
    expect(await next.propose(bytes("after"))).toMatch(/:after$/);
    await cluster.stopAll();
  });

  it("rejects refused changes with a typed error naming the reason", async () => {
    const cluster = new TestCluster(["a", "b", "c", "d"], {}, ["d"]);
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const follower = cluster.ids.find((id) => id !== leader && id !== d)!;
    const refusals = [
      watch(cluster.node(leader).addLearner(follower)),
      watch(cluster.node(leader).promote(d)),
      watch(cluster.node(follower).addLearner(d)),
    ];
    await cluster.until(() => refusals.every((p) => p.state() !== "pending"));
    const reasons = refusals.map((p) => {
      const error = p.error();
      expect(error).toBeInstanceOf(MembershipChangeRefusedError);
      return (error as MembershipChangeRefusedError).refusal;
    });
    expect(reasons).toEqual([
      { reason: "alreadyMember", id: follower },
      { reason: "unknownNode", id: d },
      { reason: "notLeader", leader },
    ]);
    await cluster.stopAll();
  });
});
