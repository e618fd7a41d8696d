import { describe, expect, it } from "vitest";
import type { NodeId } from "../../src/index.js";
import { LeadershipLostError } from "../../src/index.js";
import { TestCluster } from "./cluster.js";
import { bytes, watch } from "./fixtures.js";

// Three real driver nodes (real reducer, MemoryStorage, loopback network, one virtual clock).
// Results are "index:text" (see LogMachine), so each assertion also says which entry answered.

describe("a 3-node cluster of driver nodes", () => {
  it("elects a leader and commits 1,000 proposals, identically on every node", async () => {
    const cluster = new TestCluster(["a", "b", "c"]);
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const node = cluster.node(leader);
    const proposals = Array.from({ length: 1000 }, (_, k) => watch(node.propose(bytes(`cmd${k}`))));
    await cluster.until(() => proposals.every((p) => p.state() !== "pending"));
    expect(proposals.filter((p) => p.state() === "rejected")).toEqual([]);
    const results = proposals.map((p) => p.value()!);
    // Each result names its own command, at strictly increasing indexes.
    expect(results.map((result) => result.split(":")[1])).toEqual(
      proposals.map((_, k) => `cmd${k}`),
    );
    const indexes = results.map((result) => Number(result.split(":")[0]));
    expect(indexes).toEqual([...indexes].sort((x, y) => x - y));
    await cluster.until(() =>
      cluster.ids.every((id) => cluster.machine(id).applied.length === 1000),
    );
    for (const id of cluster.ids) {
      expect(cluster.machine(id).applied).toEqual(cluster.machine(leader).applied);
    }
    // Group commit: far fewer writes on the leader than proposals.
    const leaderWrites = cluster.storages.get(leader)!.batches.length;
    expect(leaderWrites).toBeLessThan(100);
    await cluster.stopAll();
  });

  it("tells every node's application the commit index as it advances, follower and leader", async () => {
    const cluster = new TestCluster(["a", "b", "c"]);
    await cluster.startAll();
    const commits = new Map<NodeId, number[]>(cluster.ids.map((id) => [id, []]));
    for (const id of cluster.ids) {
      cluster.node(id).events.on("commit", ({ index }) => commits.get(id)!.push(index));
    }
    const leader = await cluster.electedLeader();
    const proposals = Array.from({ length: 20 }, (_, k) =>
      watch(cluster.node(leader).propose(bytes(`c${k}`))),
    );
    await cluster.until(() => proposals.every((p) => p.state() === "resolved"));
    const last = Math.max(...proposals.map((p) => Number(p.value()!.split(":")[0])));
    await cluster.until(() => cluster.ids.every((id) => commits.get(id)!.at(-1) === last));
    for (const id of cluster.ids) {
      const seen = commits.get(id)!;
      expect(seen).toEqual([...new Set(seen)].sort((x, y) => x - y)); // each once, increasing
      expect(cluster.node(id).status().commitIndex).toBe(last);
    }
    await cluster.stopAll();
  });

  it("survives stopping and restarting a follower (storage kept)", async () => {
    const cluster = new TestCluster(["a", "b", "c"]);
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const follower = cluster.ids.find((id) => id !== leader)!;
    await proposeAll(cluster, leader, "before", 100);
    await cluster.stop(follower);
    // Two of three still make a majority.
    await proposeAll(cluster, leader, "during", 100);
    await cluster.start(follower);
    await proposeAll(cluster, leader, "after", 100);
    await cluster.until(() => cluster.machine(follower).applied.length === 300);
    expect(cluster.machine(follower).applied).toEqual(cluster.machine(leader).applied);
    expect(cluster.node(follower).status()).toMatchObject({ role: "follower", leader });
    await cluster.stopAll();
  });

  it("survives stopping and restarting the leader (storage kept)", async () => {
    const cluster = new TestCluster(["a", "b", "c"]);
    await cluster.startAll();
    const first = await cluster.electedLeader();
    await proposeAll(cluster, first, "first", 100);
    await cluster.stop(first);
    const second = await cluster.electedLeader();
    expect(second).not.toBe(first);
    await proposeAll(cluster, second, "second", 100);
    await cluster.start(first);
    await proposeAll(cluster, second, "third", 100);
    await cluster.until(() => cluster.machine(first).applied.length === 300);
    for (const id of cluster.ids) {
      expect(cluster.machine(id).texts).toEqual(cluster.machine(second).texts);
    }
    await cluster.stopAll();
  });

  it("settles every proposal exactly once across a leader change (LeadershipLostError)", async () => {
    const cluster = new TestCluster(["a", "b", "c"]);
    await cluster.startAll();
    const old = await cluster.electedLeader();
    const others = cluster.ids.filter((id) => id !== old);
    await proposeAll(cluster, old, "ok", 10);
    // Cut the leader off: what it appends now can never commit.
    cluster.network.isolate(old, others);
    let settled = 0;
    const stranded = Array.from({ length: 20 }, (_, k) => {
      const promise = cluster.node(old).propose(bytes(`stranded${k}`));
      promise.then(
        () => settled++,
        () => settled++,
      );
      return watch(promise);
    });
    await cluster.clock.advance(50);
    expect(stranded.every((p) => p.state() === "pending")).toBe(true);
    const fresh = await cluster
      .until(() => others.some((id) => cluster.node(id).status().role === "leader"))
      .then(() => others.find((id) => cluster.node(id).status().role === "leader")!);
    // The new leader fills the same indexes with other entries; then the partition heals.
    await proposeAll(cluster, fresh, "new", 30);
    cluster.network.heal();
    await cluster.until(() => stranded.every((p) => p.state() !== "pending"));
    for (const p of stranded) expect(p.error()).toBeInstanceOf(LeadershipLostError);
    // Nothing settles a second time, however long the cluster keeps running.
    await cluster.clock.advance(1000);
    expect(settled).toBe(stranded.length);
    expect(cluster.machine(old).texts).toEqual(cluster.machine(fresh).texts);
    expect(cluster.machine(old).texts.some((text) => text.startsWith("stranded"))).toBe(false);
    await cluster.stopAll();
  });
});

describe("snapshot policy", () => {
  it("snapshots every N applied entries and restarts from the snapshot", async () => {
    const cluster = new TestCluster(["a", "b", "c"], { snapshotEveryEntries: 50 });
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const follower = cluster.ids.find((id) => id !== leader)!;
    const taken: number[] = [];
    cluster.node(follower).events.on("snapshot", (event) => {
      if (event.origin === "taken") taken.push(event.index);
    });
    for (let round = 0; round < 4; round++) await proposeAll(cluster, leader, `x${round}.`, 30);
    await cluster.until(() => cluster.machine(follower).applied.length === 120);
    expect(taken.length).toBeGreaterThanOrEqual(2);
    // Let the turn that writes the last snapshot run, then restart on the same storage.
    await cluster.clock.advance(20);
    await cluster.stop(follower);
    const stored = await cluster.storages.get(follower)!.load();
    expect(stored.snapshot?.index).toBe(taken.at(-1));
    await cluster.start(follower);
    // The fresh state machine got the snapshot's state back, then the entries after it.
    expect(cluster.node(follower).status().appliedIndex).toBe(taken.at(-1));
    await proposeAll(cluster, leader, "y", 10);
    await cluster.until(() => cluster.machine(follower).applied.length === 130);
    expect(cluster.machine(follower).applied).toEqual(cluster.machine(leader).applied);
    await cluster.stopAll();
  });
});

/** Proposes `count` commands on `leader` and waits until all are applied there. */
async function proposeAll(
  cluster: TestCluster,
  leader: NodeId,
  prefix: string,
  count: number,
): Promise<void> {
  const node = cluster.node(leader);
  const proposals = Array.from({ length: count }, (_, k) =>
    watch(node.propose(bytes(`${prefix}${k}`))),
  );
  await cluster.until(() => proposals.every((p) => p.state() !== "pending"));
  const failed = proposals.filter((p) => p.state() === "rejected").map((p) => p.error());
  expect(failed).toEqual([]);
}
