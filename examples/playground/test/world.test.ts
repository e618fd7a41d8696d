import { status } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { crash, propose, restart, takeSnapshot, toggleLink } from "../src/model/actions.js";
import { advanceTo, createWorld, leaderOf } from "../src/model/world.js";

// The playground's world model runs the real core; these check it behaves like a Raft cluster
// and that worlds are values (an old one resumed with the same choices gives the same future).

const seed = 7;

function elected(nodeCount = 5) {
  const world = advanceTo(createWorld({ seed, nodeCount }), 3_000);
  const leader = leaderOf(world);
  if (leader === null) throw new Error(`seed ${seed}: no leader within 3 s of virtual time`);
  return { world, leader };
}

describe("playground world", () => {
  it("elects a leader and commits a put on every node", () => {
    const { world } = elected();
    const after = advanceTo(propose(world, "x", "1"), world.timeMs + 500);
    expect(after.ops.at(-1)?.outcome).toBe("committed");
    for (const node of after.nodes) expect(node.kv.get("x")).toBe("1");
  });

  it("a crashed leader is replaced by one of a higher term; the old one rejoins as follower", () => {
    const { world, leader } = elected();
    const oldTerm = status(leader.state).term;
    const crashed = advanceTo(crash(world, leader.id), world.timeMs + 3_000);
    const next = leaderOf(crashed);
    expect(next).not.toBeNull();
    expect(next!.id).not.toBe(leader.id);
    expect(status(next!.state).term).toBeGreaterThan(oldTerm);
    const back = advanceTo(restart(crashed, leader.id), crashed.timeMs + 1_000);
    const rejoined = back.nodes.find((node) => node.id === leader.id)!;
    expect(status(rejoined.state).role).toBe("follower");
    expect(status(rejoined.state).term).toBe(status(next!.state).term);
  });

  it("a put sent to a crashed node is refused at once, not left pending", () => {
    const { world } = elected(3);
    const down = world.nodes[0]!.id;
    const after = propose(crash(world, down), "k", "v", down);
    expect(after.ops.at(-1)).toMatchObject({
      node: down,
      outcome: "rejected",
      detail: `${down} is down`,
    });
  });

  it("a past world resumed with the same choices gives the same future", () => {
    const start = createWorld({ seed, nodeCount: 3, link: { lossProbability: 0.2 } });
    const a = advanceTo(propose(advanceTo(start, 2_000), "k", "v"), 4_000);
    const b = advanceTo(propose(advanceTo(start, 2_000), "k", "v"), 4_000);
    expect(b.events).toBe(a.events);
    expect(b.nodes.map((n) => status(n.state))).toEqual(a.nodes.map((n) => status(n.state)));
    expect(start.timeMs).toBe(0);
  });

  it("a snapshot compacts the log, and a follower cut off past it catches up by InstallSnapshot", () => {
    let { world, leader } = elected(3);
    const follower = world.nodes.find((node) => node.id !== leader.id)!.id;
    world = toggleLink(world, leader.id, follower);
    for (let i = 0; i < 6; i++) world = advanceTo(propose(world, "k", `v${i}`), world.timeMs + 200);
    world = takeSnapshot(world, leader.id);
    expect(world.nodes.find((n) => n.id === leader.id)!.durable.snapshot?.index).toBeGreaterThan(3);
    world = advanceTo(toggleLink(world, leader.id, follower), world.timeMs + 2_000);
    const caughtUp = world.nodes.find((n) => n.id === follower)!;
    expect(caughtUp.kv.get("k")).toBe("v5");
    expect(caughtUp.durable.snapshot).not.toBeNull();
  });
});
