import { status } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { crash, propose, restart } from "../src/model/actions.js";
import { addServer, changeMember, read, transferLeadership } from "../src/model/admin.js";
import type { World } from "../src/model/types.js";
import { advanceTo, createWorld, leaderOf } from "../src/model/world.js";

// Reads, membership changes and leadership transfers in the playground's world: each is an event
// of the real core on one node, and its outcome is what that node's effects said.

const seed = 7;

function elected(nodeCount = 3): World {
  const world = advanceTo(createWorld({ seed, nodeCount }), 3_000);
  if (leaderOf(world) === null) throw new Error(`seed ${seed}: no leader within 3 s`);
  return world;
}

const lastOp = (world: World) => world.ops.at(-1)!;
const later = (world: World, ms = 500) => advanceTo(world, world.timeMs + ms);

describe("playground admin requests", () => {
  it("a ReadIndex read at a follower and a lease read at the leader return the committed value", () => {
    let world = later(propose(elected(), "k", "v1"));
    const leader = leaderOf(world)!.id;
    const follower = world.nodes.find((n) => n.id !== leader)!.id;
    world = later(read(world, "k", "readIndex", follower));
    expect(lastOp(world)).toMatchObject({ kind: "read", outcome: "served", value: "v1" });
    world = read(world, "k", "lease");
    // The lease holds (a quorum heard a heartbeat lately): served in the same step, no round.
    expect(lastOp(world)).toMatchObject({ node: leader, outcome: "served", value: "v1" });
    world = later(read(world, "absent", "readIndex"));
    expect(lastOp(world)).toMatchObject({ outcome: "served", value: null });
  });

  it("a read at a node whose leader crashed is not served while no leader answers it", () => {
    let world = elected();
    const leader = leaderOf(world)!.id;
    world = later(crash(world, leader), 0);
    const other = world.nodes.find((n) => n.up)!.id;
    world = read(world, "k", "readIndex", other);
    expect(lastOp(world).outcome).not.toBe("served");
    world = later(world, 50);
    expect(["rejected", "pending"]).toContain(lastOp(world).outcome);
  });

  it("adds a learner, which catches up without voting, then promotes it to voter", () => {
    let world = later(propose(elected(), "k", "v"));
    world = later(addServer(world), 1_000);
    const added = world.nodes.at(-1)!;
    expect(added.id).toBe("n4");
    expect(lastOp(world)).toMatchObject({ kind: "membership", outcome: "committed" });
    expect(status(added.state).membership.learners).toContain("n4");
    expect(added.kv.get("k")).toBe("v");
    world = later(changeMember(world, "promote", added.id), 1_000);
    expect(lastOp(world).outcome).toBe("committed");
    expect(status(leaderOf(world)!.state).membership.voters).toContain("n4");
  });

  it("an added server restarted from its disk rejoins with the configuration its log holds", () => {
    let world = later(addServer(elected()), 1_000);
    const added = world.nodes.at(-1)!.id;
    world = later(restart(later(crash(world, added), 200), added), 1_000);
    const back = world.nodes.at(-1)!;
    expect(status(back.state).membership.learners).toContain(added);
    expect(status(back.state).commit).toBe(status(leaderOf(world)!.state).commit);
  });

  it("starts at most nine servers", () => {
    let world = elected(7);
    world = addServer(addServer(world));
    expect(world.nodes).toHaveLength(9);
    expect(addServer(world).nodes).toHaveLength(9);
  });

  it("refuses to promote a voter and to remove a stranger, with the core's reasons", () => {
    let world = elected();
    const voter = world.nodes[0]!.id;
    world = changeMember(world, "promote", voter);
    expect(lastOp(world)).toMatchObject({ outcome: "rejected", detail: `notLearner: ${voter}` });
    world = changeMember(world, "remove", "n9" as typeof voter);
    expect(lastOp(world)).toMatchObject({ outcome: "rejected", detail: "unknownNode: n9" });
  });

  it("removes a voter: the configuration no longer lists it", () => {
    let world = elected(5);
    const leader = leaderOf(world)!.id;
    const gone = world.nodes.find((n) => n.id !== leader)!.id;
    world = later(changeMember(world, "remove", gone), 1_000);
    expect(lastOp(world).outcome).toBe("committed");
    expect(status(leaderOf(world)!.state).membership.voters).not.toContain(gone);
  });

  it("transfers leadership to a chosen follower, and refuses a transfer to the leader itself", () => {
    let world = elected();
    const leader = leaderOf(world)!;
    world = transferLeadership(world, leader.id);
    expect(lastOp(world)).toMatchObject({ kind: "transfer", outcome: "rejected", detail: "self" });
    const target = world.nodes.find((n) => n.id !== leader.id)!.id;
    world = later(transferLeadership(world, target), 1_000);
    expect(lastOp(world)).toMatchObject({ outcome: "done" });
    expect(leaderOf(world)!.id).toBe(target);
    expect(status(leaderOf(world)!.state).term).toBeGreaterThan(status(leader.state).term);
  });
});
