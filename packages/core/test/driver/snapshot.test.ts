// The driver with compaction: a follower cut off while the others compact their logs comes back
// through InstallSnapshot, its real state machine restored from the leader's snapshot bytes.

import { describe, expect, it } from "vitest";
import type { NodeId } from "../../src/index.js";
import { TestCluster } from "./cluster.js";
import { bytes, watch } from "./fixtures.js";

async function proposeAll(cluster: TestCluster, leader: NodeId, prefix: string, count: number) {
  const node = cluster.node(leader);
  const proposals = Array.from({ length: count }, (_, k) =>
    watch(node.propose(bytes(`${prefix}${k}`))),
  );
  await cluster.until(() => proposals.every((p) => p.state() !== "pending"));
  expect(proposals.filter((p) => p.state() === "rejected").map((p) => p.error())).toEqual([]);
}

describe("driver: snapshots", () => {
  it("a follower isolated past the compacted log is restored from the leader's snapshot", async () => {
    const cluster = new TestCluster(["a", "b", "c"], {
      snapshotEveryEntries: 20,
      snapshotTrailingEntries: 5,
      snapshotChunkBytesMax: 64,
    });
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const lagging = cluster.ids.find((id) => id !== leader)!;
    await proposeAll(cluster, leader, "before.", 5);
    await cluster.until(() => cluster.machine(lagging).applied.length === 5);

    cluster.network.isolate(lagging, cluster.ids);
    for (let round = 0; round < 5; round++) await proposeAll(cluster, leader, `r${round}.`, 20);
    const leaderSnapshot = cluster.node(leader).status().snapshotIndex;
    expect(leaderSnapshot).toBeGreaterThan(cluster.node(lagging).status().lastLogIndex + 5);

    const installed: number[] = [];
    cluster.node(lagging).events.on("snapshot", (event) => {
      if (event.origin === "installed") installed.push(event.index);
    });
    cluster.network.heal();
    await cluster.until(
      () =>
        cluster.node(lagging).status().appliedIndex === cluster.node(leader).status().appliedIndex,
    );
    expect(installed.length).toBeGreaterThanOrEqual(1);
    // The restored machine holds exactly the leader's commands (the snapshot is the JSON of them).
    expect(cluster.machine(lagging).applied).toEqual(cluster.machine(leader).applied);
    expect(cluster.machine(lagging).applied).toHaveLength(105);

    // And it keeps up afterwards, from the log.
    await proposeAll(cluster, leader, "after.", 3);
    await cluster.until(() => cluster.machine(lagging).applied.length === 108);
    expect(cluster.machine(lagging).applied).toEqual(cluster.machine(leader).applied);

    // A restart comes back from the installed (or a later) snapshot on its own storage.
    await cluster.clock.advance(50);
    await cluster.stop(lagging);
    const stored = await cluster.storages.get(lagging)!.load();
    expect(stored.snapshot!.index).toBeGreaterThanOrEqual(installed[0]!);
    await cluster.start(lagging);
    expect(cluster.node(lagging).status().appliedIndex).toBeGreaterThanOrEqual(
      stored.snapshot!.index,
    );
    await cluster.until(() => cluster.machine(lagging).applied.length === 108);
    expect(cluster.machine(lagging).applied).toEqual(cluster.machine(leader).applied);
    await cluster.stopAll();
  });

  it("snapshotEveryBytes takes a snapshot once applied commands hold that many bytes", async () => {
    const cluster = new TestCluster(["a"], { snapshotEveryBytes: 100 });
    await cluster.startAll();
    const leader = await cluster.electedLeader();
    const taken: number[] = [];
    cluster.node(leader).events.on("snapshot", (event) => taken.push(event.index));
    // Commands of 11 bytes ("command-k.0"): 99 bytes after the ninth, 110 after the tenth.
    for (let k = 0; k < 10; k++) await proposeAll(cluster, leader, `command-${k}.`, 1);
    expect(taken).toEqual([11]); // the leader's no-op is index 1
    await cluster.stopAll();
  });
});
