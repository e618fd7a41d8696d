import { describe, expect, it } from "vitest";
import { ProposalRegistry } from "../../src/driver/proposals.js";
import type { Index, NodeId, Term } from "../../src/index.js";
import { SteppedDownError } from "../../src/index.js";
import { TestCluster, tickMs } from "./cluster.js";
import { bytes, watch } from "./fixtures.js";
import { settle, VirtualClock } from "./virtual-clock.js";

// A leader that steps down settles its pending proposals at the step-down (SteppedDownError,
// outcome unknown, with the leader it knows of), never at their timeout. Virtual time throughout:
// the proposals' timeout is far beyond the test, so only the step-down can settle them.

const farTimeoutMs = 600_000;

type Settled = { readonly atMs: number; readonly error: unknown };

/** Proposes `count` commands at `leader` and records when (virtual ms) and how each settles. */
function proposeStranded(cluster: TestCluster, leader: NodeId, count: number): Settled[] {
  const settled: Settled[] = [];
  for (let k = 0; k < count; k++) {
    cluster
      .node(leader)
      .propose(bytes(`stranded${k}`))
      .then(
        () => settled.push({ atMs: cluster.clock.nowMs, error: null }),
        (error: unknown) => settled.push({ atMs: cluster.clock.nowMs, error }),
      );
  }
  return settled;
}

describe("a leader stepping down", () => {
  it("settles its pending proposals when CheckQuorum makes it step down", async () => {
    const cluster = new TestCluster(["a", "b", "c"], { proposalTimeoutMs: farTimeoutMs });
    await cluster.startAll();
    const old = await cluster.electedLeader();
    const others = cluster.ids.filter((id) => id !== old);
    cluster.network.isolate(old, others);
    let steppedDownAtMs: number | undefined;
    cluster.node(old).events.on("role", ({ role }) => {
      if (role !== "leader" && steppedDownAtMs === undefined) steppedDownAtMs = cluster.clock.nowMs;
    });
    const settled = proposeStranded(cluster, old, 10);
    await cluster.clock.advance(tickMs);
    expect(settled).toEqual([]); // appended, waiting for a quorum that cannot answer
    await cluster.until(() => steppedDownAtMs !== undefined);
    await cluster.until(() => settled.length === 10, tickMs);
    for (const { atMs, error } of settled) {
      expect(atMs).toBe(steppedDownAtMs); // in the step-down's own turn
      expect(error).toBeInstanceOf(SteppedDownError);
      expect(error).toMatchObject({ code: "STEPPED_DOWN", outcome: "unknown" });
    }
    expect(cluster.node(old).status().pendingProposals).toBe(0);
    await cluster.stopAll();
  });

  it("settles them when a reply with a higher term deposes it", async () => {
    // Without CheckQuorum the cut-off leader keeps leading until it hears of a higher term.
    const cluster = new TestCluster(["a", "b", "c"], {
      proposalTimeoutMs: farTimeoutMs,
      checkQuorum: false,
    });
    await cluster.startAll();
    const old = await cluster.electedLeader();
    const oldTerm = cluster.node(old).status().term;
    const others = cluster.ids.filter((id) => id !== old);
    cluster.network.isolate(old, others);
    const settled = proposeStranded(cluster, old, 5);
    await cluster.until(() => others.some((id) => cluster.node(id).status().role === "leader"));
    const fresh = others.find((id) => cluster.node(id).status().role === "leader") as NodeId;
    await cluster.clock.advance(20 * tickMs);
    expect(cluster.node(old).status().role).toBe("leader");
    expect(settled).toEqual([]);
    let steppedDownAtMs: number | undefined;
    cluster.node(old).events.on("role", ({ role }) => {
      if (role !== "leader" && steppedDownAtMs === undefined) steppedDownAtMs = cluster.clock.nowMs;
    });
    // Only the third node hears it again and answers its heartbeats with the higher term: nothing
    // tells it which entries committed meanwhile, so the outcome is unknown.
    cluster.network.heal();
    cluster.network.cut(fresh, old);
    cluster.network.cut(old, fresh);
    await cluster.until(() => settled.length === 5, 5 * tickMs);
    expect(cluster.node(old).status().term).toBeGreaterThan(oldTerm);
    for (const { atMs, error } of settled) {
      expect(atMs).toBe(steppedDownAtMs);
      expect(error).toBeInstanceOf(SteppedDownError);
      expect(error).toMatchObject({ term: oldTerm, leader: null }); // a reply names no leader
    }
    // Once healed, the new leader's log replaces the stranded entries: they never commit.
    cluster.network.heal();
    await proposeOne(cluster, fresh);
    await cluster.until(() => cluster.node(old).status().leader === fresh);
    expect(cluster.machine(old).texts.some((text) => text.startsWith("stranded"))).toBe(false);
    await cluster.stopAll();
  });
});

async function proposeOne(cluster: TestCluster, leader: NodeId): Promise<void> {
  const p = watch(cluster.node(leader).propose(bytes("after")));
  await cluster.until(() => p.state() !== "pending");
  expect(p.state()).toBe("resolved");
}

describe("ProposalRegistry.steppedDown", () => {
  it("settles the uncommitted proposals of the terms it led, and only those", async () => {
    const clock = new VirtualClock();
    const registry = new ProposalRegistry<string>(clock);
    const [committed, above, later, fresh, unplaced] = Array.from({ length: 5 }, () =>
      registry.create(undefined),
    ).map(({ id, promise }) => ({ id, p: watch(promise) }));
    registry.accepted(committed!.id, 1 as Index, 2 as Term);
    registry.accepted(above!.id, 2 as Index, 2 as Term);
    registry.accepted(later!.id, 3 as Index, 1 as Term);
    registry.accepted(fresh!.id, 4 as Index, 3 as Term);
    registry.steppedDown(2 as Term, 1 as Index, "b" as NodeId);
    await settle();
    for (const stale of [above, later]) {
      expect(stale!.p.error()).toBeInstanceOf(SteppedDownError);
      expect(stale!.p.error()).toMatchObject({ leader: "b", outcome: "unknown" });
    }
    // Committed (at or below the commit index): its apply settles it, with its result.
    expect(committed!.p.state()).toBe("pending");
    expect(fresh!.p.state()).toBe("pending"); // appended in a later term than the one it left
    expect(unplaced!.p.state()).toBe("pending"); // never appended: the core refuses it itself
    registry.applied(1 as Index, 2 as Term, "result", true);
    await settle();
    expect(committed!.p.value()).toBe("result");
  });
});
