import { describe, expect, it } from "vitest";
import type { NodeId } from "../../src/index.js";
import {
  LearnerNotCaughtUpError,
  MembershipChangeRefusedError,
  SteppedDownError,
} from "../../src/index.js";
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

describe("a membership change settles when the whole change has committed", () => {
  it("a joint change left automatically resolves only once C_new is committed (thesis §4.3)", async () => {
    const cluster = new TestCluster(["a", "b", "c", "d", "e"], {}, ["d", "e"]);
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const node = cluster.node(leader);
    let leaveIndex: number | undefined;
    node.events.on("membership", ({ membership }) => {
      if (membership.outgoing === undefined && membership.voters.length === 5) {
        leaveIndex = node.status().lastLogIndex;
      }
    });
    let commitAtResolution: number | undefined;
    const change = node
      .changeMembership({
        type: "change",
        operations: [
          { type: "addVoter", id: "d" as NodeId },
          { type: "addVoter", id: "e" as NodeId },
        ],
      })
      .then(() => {
        commitAtResolution = node.status().commitIndex;
      });
    const watched = watch(change);
    await cluster.until(() => watched.state() !== "pending");
    expect(watched.state()).toBe("resolved");
    expect(leaveIndex).toBeDefined();
    expect(commitAtResolution).toBeGreaterThanOrEqual(leaveIndex!);
    expect(node.status().membership).toEqual({ voters: ["a", "b", "c", "d", "e"], learners: [] });
    await cluster.stopAll();
  });

  it("a change pending at a step-down settles with SteppedDownError (outcome unknown)", async () => {
    const cluster = new TestCluster(["a", "b", "c", "d"], { proposalTimeoutMs: 600_000 }, ["d"]);
    await cluster.startAll();
    const old = await cluster.electedLeader();
    const others = cluster.ids.filter((id) => id !== old);
    cluster.network.isolate(old, others);
    const stranded = watch(cluster.node(old).addLearner(d));
    await cluster.until(() => stranded.state() !== "pending");
    expect(stranded.error()).toBeInstanceOf(SteppedDownError);
    expect(stranded.error()).toMatchObject({ code: "STEPPED_DOWN", outcome: "unknown" });
    await cluster.stopAll();
  });
});

describe("promoteWhenCaughtUp (thesis §4.2.1)", () => {
  it("promotes a learner once a catch-up round takes less than an election timeout", async () => {
    const cluster = new TestCluster(["a", "b", "c", "d"], {}, ["d"]);
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const node = cluster.node(leader);
    for (let k = 0; k < 30; k++) await node.propose(bytes(`before${k}`));
    await node.addLearner(d);
    const promoted = watch(node.promoteWhenCaughtUp(d));
    await cluster.until(() => promoted.state() !== "pending");
    expect(promoted.state()).toBe("resolved");
    expect(node.status().membership.voters).toContain(d);
    expect(cluster.machine(d).applied.length).toBeGreaterThanOrEqual(30);
    await cluster.stopAll();
  });

  it("gives up on a learner that never catches up, with a typed error, changing nothing", async () => {
    const cluster = new TestCluster(["a", "b", "c", "d"], {}, ["d"]);
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const node = cluster.node(leader);
    await node.addLearner(d);
    cluster.network.isolate(
      d,
      cluster.ids.filter((id) => id !== d),
    );
    await node.propose(bytes("more"));
    const promoted = watch(node.promoteWhenCaughtUp(d, { roundsMax: 3 }));
    await cluster.until(() => promoted.state() !== "pending", 60_000);
    expect(promoted.error()).toBeInstanceOf(LearnerNotCaughtUpError);
    expect(promoted.error()).toMatchObject({ code: "LEARNER_NOT_CAUGHT_UP", id: d, rounds: 3 });
    expect(node.status().membership.learners).toEqual([d]);
    await cluster.stopAll();
  });

  it("refuses a node that is not a learner, and a lagging one through promote unless forced", async () => {
    const cluster = new TestCluster(["a", "b", "c", "d"], {}, ["d"]);
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const node = cluster.node(leader);
    const notLearner = watch(node.promoteWhenCaughtUp(d));
    await cluster.until(() => notLearner.state() !== "pending");
    expect((notLearner.error() as MembershipChangeRefusedError).refusal).toEqual({
      reason: "unknownNode",
      id: d,
    });
    await node.addLearner(d);
    cluster.network.isolate(
      d,
      cluster.ids.filter((id) => id !== d),
    );
    await node.propose(bytes("more"));
    const lagging = watch(node.promote(d));
    await cluster.until(() => lagging.state() !== "pending");
    expect((lagging.error() as MembershipChangeRefusedError).refusal).toEqual({
      reason: "learnerLagging",
      id: d,
    });
    const forced = watch(node.promote(d, { force: true }));
    await cluster.until(() => node.status().membership.voters.includes(d));
    expect(forced.state()).not.toBe("rejected");
    await cluster.stopAll();
  });
});
