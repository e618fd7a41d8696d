import { describe, expect, it } from "vitest";
import type { NodeId } from "../../src/index.js";
import { ConfigError, createNode, MemoryStorage, NotLeaderError } from "../../src/index.js";
import { TestCluster, tickMs } from "./cluster.js";
import { bytes, LogMachine } from "./fixtures.js";
import { LoopbackNetwork } from "./loopback.js";
import { settle } from "./virtual-clock.js";

// `read()`: linearizable reads without a log write (thesis §6.4), on real driver nodes over the
// loopback network in virtual time. Each read records what its node's state machine held when
// the promise settled: it must hold every write acknowledged before the read began.

const farTimeoutMs = 600_000;

type ReadOutcome = { readonly texts: readonly string[]; readonly atMs: number; error: unknown };

/** Starts a read at `id`; the outcome records the state machine's commands when it settled. */
function readAt(cluster: TestCluster, id: NodeId, consistency?: "lease"): ReadOutcome[] {
  const outcome: ReadOutcome[] = [];
  const machine = cluster.machine(id);
  cluster
    .node(id)
    .read(consistency === undefined ? {} : { consistency })
    .then(
      () => outcome.push({ texts: machine.texts, atMs: cluster.clock.nowMs, error: null }),
      (error: unknown) => outcome.push({ texts: [], atMs: cluster.clock.nowMs, error }),
    );
  return outcome;
}

describe("read()", () => {
  it("on the leader and on a follower, sees every write acknowledged before it", async () => {
    const cluster = new TestCluster(["a", "b", "c"], { proposalTimeoutMs: farTimeoutMs });
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const follower = cluster.ids.find((id) => id !== leader) as NodeId;
    for (let k = 0; k < 3; k++) {
      await cluster.node(leader).propose(bytes(`w${k}`));
      // Acknowledged at the leader; the follower may not even know it committed yet.
      const atLeader = readAt(cluster, leader);
      const atFollower = readAt(cluster, follower);
      await cluster.until(() => atLeader.length === 1 && atFollower.length === 1);
      for (const outcome of [...atLeader, ...atFollower]) {
        expect(outcome.error).toBeNull();
        expect(outcome.texts).toContain(`w${k}`);
      }
    }
    expect(cluster.node(leader).status().lastLogIndex).toBe(4); // the no-op and three writes
    await cluster.stopAll();
  });

  it("on a lagging follower, waits until it applied up to the leader's read index", async () => {
    const cluster = new TestCluster(["a", "b", "c"], { proposalTimeoutMs: farTimeoutMs });
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const [lagging, other] = cluster.ids.filter((id) => id !== leader) as [NodeId, NodeId];
    await cluster.until(() => cluster.node(lagging).status().leader === leader);
    cluster.network.cut(leader, lagging);
    for (let k = 0; k < 5; k++) await cluster.node(leader).propose(bytes(`w${k}`));
    expect(cluster.machine(lagging).texts).toEqual([]);
    cluster.network.heal();
    const outcome = readAt(cluster, lagging);
    await cluster.until(() => outcome.length === 1);
    expect(outcome[0]?.error).toBeNull();
    expect(outcome[0]?.texts).toEqual(["w0", "w1", "w2", "w3", "w4"]);
    expect(cluster.machine(other).texts).toEqual(["w0", "w1", "w2", "w3", "w4"]);
    await cluster.stopAll();
  });

  it("on a leader cut off from its quorum never returns, and fails when it steps down", async () => {
    const cluster = new TestCluster(["a", "b", "c"], { proposalTimeoutMs: farTimeoutMs });
    await cluster.startAll();
    const old = await cluster.electedLeader();
    const others = cluster.ids.filter((id) => id !== old);
    cluster.network.isolate(old, others);
    let steppedDownAtMs: number | undefined;
    cluster.node(old).events.on("role", ({ role }) => {
      if (role !== "leader" && steppedDownAtMs === undefined) steppedDownAtMs = cluster.clock.nowMs;
    });
    const stranded = readAt(cluster, old);
    await cluster.clock.advance(5 * tickMs);
    expect(stranded).toEqual([]); // no quorum answers its round
    await cluster.until(() => steppedDownAtMs !== undefined);
    await cluster.until(() => stranded.length === 1, tickMs);
    expect(stranded[0]?.error).toBeInstanceOf(NotLeaderError);
    expect(stranded[0]?.atMs).toBe(steppedDownAtMs); // in the step-down's own turn
    // Meanwhile the others elect a leader that serves reads.
    await cluster.until(() => others.some((id) => cluster.node(id).status().role === "leader"));
    const fresh = others.find((id) => cluster.node(id).status().role === "leader") as NodeId;
    await cluster.node(fresh).propose(bytes("after"));
    const served = readAt(cluster, fresh);
    await cluster.until(() => served.length === 1);
    expect(served[0]?.error).toBeNull();
    expect(served[0]?.texts).toContain("after");
    expect(cluster.node(old).status().pendingReads).toBe(0);
    await cluster.stopAll();
  });

  it("lease reads: served by the leader, refused without the option", async () => {
    const cluster = new TestCluster(["a", "b", "c"], {
      proposalTimeoutMs: farTimeoutMs,
      leaseReads: true,
    });
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    await cluster.node(leader).propose(bytes("leased"));
    const leased = readAt(cluster, leader, "lease");
    await cluster.until(() => leased.length === 1);
    expect(leased[0]?.error).toBeNull();
    expect(leased[0]?.texts).toContain("leased");
    await cluster.stopAll();

    const plain = new TestCluster(["a"], { proposalTimeoutMs: farTimeoutMs });
    await plain.startAll();
    await plain.electedLeader();
    await expect(plain.node("a" as NodeId).read({ consistency: "lease" })).rejects.toBeInstanceOf(
      ConfigError,
    );
    await plain.stopAll();
  });

  it("a leader paused past its lease serves no lease read on waking (tick-clock.ts)", async () => {
    const cluster = new TestCluster(["a", "b", "c"], {
      proposalTimeoutMs: farTimeoutMs,
      leaseReads: true,
    });
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    await cluster.node(leader).propose(bytes("before"));
    await cluster.clock.advance(5 * tickMs); // heartbeat rounds acknowledged: the lease holds
    cluster.network.isolate(
      leader,
      cluster.ids.filter((id) => id !== leader),
    );
    // Cut off but inside its lease: served at once, without a round.
    const inLease = readAt(cluster, leader, "lease");
    await settle();
    expect(inLease).toHaveLength(1);
    expect(inLease[0]?.error).toBeNull();
    // The process sleeps for many election timeouts (SIGSTOP): no timer fires, the clock runs.
    // Meanwhile the others may elect a leader and commit. On waking, the read arrives before
    // the overdue tick: the lease must have run out all the same.
    cluster.clock.nowMs += 10_000 * tickMs;
    const afterPause = readAt(cluster, leader, "lease");
    await settle();
    expect(afterPause).toEqual([]); // waits for a quorum round it cannot get
    await cluster.until(() => afterPause.length === 1);
    expect(afterPause[0]?.error).toBeInstanceOf(NotLeaderError);
    await cluster.stopAll();
  });

  it("a lease read never joins a core read queued before ticks still in the inbox", async () => {
    const cluster = new TestCluster(["a", "b", "c"], {
      proposalTimeoutMs: farTimeoutMs,
      leaseReads: true,
    });
    await cluster.startAll();
    const old = await cluster.electedLeader();
    const others = cluster.ids.filter((id) => id !== old);
    await cluster.node(old).propose(bytes("before"));
    await cluster.clock.advance(5 * tickMs); // the lease holds
    // The leader's disk stalls: its turn waits on the write, and what arrives waits in the inbox.
    cluster.storages.get(old)!.hold();
    void cluster
      .node(old)
      .propose(bytes("stalled"))
      .catch(() => {});
    await settle();
    cluster.network.isolate(old, others);
    const early = readAt(cluster, old, "lease"); // inside the lease: its core read waits
    // Its timer goes on firing: many election timeouts of ticks are queued behind that read,
    // while the others elect a leader and acknowledge a write there.
    await cluster.until(() => others.some((id) => cluster.node(id).status().role === "leader"));
    const fresh = others.find((id) => cluster.node(id).status().role === "leader") as NodeId;
    await cluster.node(fresh).propose(bytes("after"));
    // A lease read that starts now must see "after" or fail: the lease ran out in those ticks.
    const late = readAt(cluster, old, "lease");
    cluster.storages.get(old)!.release();
    await cluster.until(() => early.length === 1 && late.length === 1);
    expect(early[0]?.error).toBeNull(); // began inside the lease: served as of then
    expect(late[0]?.error).toBeInstanceOf(NotLeaderError);
    await cluster.stopAll();
  });

  it("lease reads require CheckQuorum: createNode refuses the combination", () => {
    const network = new LoopbackNetwork();
    expect(() =>
      createNode({
        id: "a" as NodeId,
        voters: ["a" as NodeId],
        leaseReads: true,
        checkQuorum: false,
        transport: network.transport("a" as NodeId),
        storage: new MemoryStorage(),
        stateMachine: new LogMachine(),
      }),
    ).toThrow(ConfigError);
  });
});
