import { describe, expect, it } from "vitest";
import type { NodeId } from "../../src/index.js";
import {
  LeadershipTransferFailedError,
  type LeadershipTransferRefusedError,
  LeadershipTransferringError,
  MembershipChangeRefusedError,
  SteppedDownError,
} from "../../src/index.js";
import { TestCluster, tickMs } from "./cluster.js";
import { bytes, watch } from "./fixtures.js";

// `transferLeadership` on real driver nodes over the loopback network, in virtual time: the promise
// settles by what happens in the cluster (the target leads, the transfer times out, it is refused),
// and what the old leader had pending settles at its step-down.

const farTimeoutMs = 600_000;

async function cluster3(): Promise<{ cluster: TestCluster; leader: NodeId; others: NodeId[] }> {
  const cluster = new TestCluster(["a", "b", "c"], { proposalTimeoutMs: farTimeoutMs });
  await cluster.startAll();
  const leader = await cluster.electedLeader();
  // Let the no-op commit everywhere, so every follower is caught up.
  await cluster.clock.advance(5 * tickMs);
  return { cluster, leader, others: cluster.ids.filter((id) => id !== leader) };
}

describe("transferLeadership", () => {
  it("makes the target leader within a few ticks and resolves once this node sees it lead", async () => {
    const { cluster, leader, others } = await cluster3();
    const target = others[0]!;
    const termBefore = cluster.node(leader).status().term;
    const transfer = watch(cluster.node(leader).transferLeadership(target));
    // Far below the election timeout (10 ticks): no node waited for its timer.
    await cluster.until(() => transfer.state() !== "pending", 3 * tickMs);
    expect(transfer.state()).toBe("resolved");
    expect(cluster.node(target).status()).toMatchObject({ role: "leader", term: termBefore + 1 });
    expect(cluster.node(leader).status()).toMatchObject({ role: "follower", leader: target });
    const after = watch(cluster.node(target).propose(bytes("after")));
    await cluster.until(() => after.state() !== "pending");
    expect(after.state()).toBe("resolved");
    await cluster.stopAll();
  });

  it("refuses proposals and membership changes while it lasts, typed and naming the target", async () => {
    const { cluster, leader, others } = await cluster3();
    const target = others[0]!;
    await cluster.stop(target); // it never takes over: the transfer lasts until it times out
    const transfer = watch(cluster.node(leader).transferLeadership(target));
    await cluster.clock.advance(tickMs);
    const proposal = watch(cluster.node(leader).propose(bytes("during")));
    const change = watch(cluster.node(leader).remove(others[1]!));
    await cluster.clock.advance(tickMs);
    expect(proposal.error()).toBeInstanceOf(LeadershipTransferringError);
    expect(proposal.error()).toMatchObject({ code: "TRANSFERRING", leader });
    expect(change.error()).toBeInstanceOf(MembershipChangeRefusedError);
    expect(change.error()).toMatchObject({ refusal: { reason: "transferring", to: target } });
    // One election timeout later the leader gives up and serves again.
    await cluster.until(() => transfer.state() !== "pending", 15 * tickMs);
    expect(transfer.error()).toBeInstanceOf(LeadershipTransferFailedError);
    expect(transfer.error()).toMatchObject({ code: "TRANSFER_FAILED", reason: "timedOut" });
    expect(cluster.node(leader).status().role).toBe("leader");
    const again = watch(cluster.node(leader).propose(bytes("again")));
    await cluster.until(() => again.state() !== "pending");
    expect(again.state()).toBe("resolved");
    await cluster.stopAll();
  });

  it("is refused, typed, to itself, a non-member, on a follower, and while one is under way", async () => {
    const { cluster, leader, others } = await cluster3();
    const refusals = [];
    for (const [on, to] of [
      [leader, leader],
      [leader, "z" as NodeId],
      [others[0]!, others[1]!],
    ] as const) {
      refusals.push(watch(cluster.node(on).transferLeadership(to)));
      await cluster.clock.advance(tickMs);
    }
    const reasons = refusals.map((r) => (r.error() as LeadershipTransferRefusedError).reason);
    expect(reasons).toEqual(["self", "unknownNode", "notLeader"]);
    expect(refusals[2]!.error()).toMatchObject({ code: "TRANSFER_REFUSED", leader });
    await cluster.stop(others[0]!);
    const first = watch(cluster.node(leader).transferLeadership(others[0]!));
    const second = watch(cluster.node(leader).transferLeadership(others[1]!));
    await cluster.clock.advance(tickMs);
    expect(second.error()).toMatchObject({ code: "TRANSFER_REFUSED", reason: "inProgress" });
    expect(first.state()).toBe("pending");
    await cluster.stopAll();
    expect(first.error()).toMatchObject({ code: "STOPPED" });
  });

  it("is refused for a learner", async () => {
    const cluster = new TestCluster(["a", "b", "c", "d"], {}, ["d"]);
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const added = watch(cluster.node(leader).addLearner("d" as NodeId));
    await cluster.until(() => added.state() !== "pending");
    const transfer = watch(cluster.node(leader).transferLeadership("d" as NodeId));
    await cluster.clock.advance(tickMs);
    expect(transfer.error()).toMatchObject({ code: "TRANSFER_REFUSED", reason: "notVoter" });
    await cluster.stopAll();
  });

  it("settles the old leader's pending membership change at the step-down", async () => {
    const { cluster, leader, others } = await cluster3();
    // The change is appended but cannot commit: both followers are cut off from the leader...
    cluster.network.isolate(leader, others);
    const change = watch(cluster.node(leader).remove(others[1]!, { timeoutMs: farTimeoutMs }));
    await cluster.clock.advance(tickMs);
    expect(change.state()).toBe("pending");
    // ...until CheckQuorum makes the leader step down: settled then, outcome unknown.
    await cluster.until(() => change.state() !== "pending", 40 * tickMs);
    expect(change.error()).toBeInstanceOf(SteppedDownError);
    expect(change.error()).toMatchObject({ code: "STEPPED_DOWN", outcome: "unknown" });
    await cluster.stopAll();
  });
});
