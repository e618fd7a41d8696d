// The reducer guide's example (docs/embedding-the-reducer.md) at work: three bare reducers, driven
// by hand, elect one leader and apply the same commands in the same order. (guides.test.ts checks
// that the guide shows bare-reducer.ts verbatim.)
import { nodeId } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { BareNode, deliverAll } from "./bare-reducer.js";

const ids = ["a", "b", "c"].map(nodeId);

describe("the bare reducer (docs/embedding-the-reducer.md)", () => {
  it("elects one leader and replicates commands to every node, with no driver", () => {
    const nodes = new Map(ids.map((id, i) => [id, new BareNode(id, ids, i + 1)]));
    const leaders = () => [...nodes.values()].filter((node) => node.role === "leader");
    for (let tick = 0; tick < 200 && leaders().length === 0; tick++) {
      for (const node of nodes.values()) node.feed({ type: "tick" });
      deliverAll(nodes);
    }
    expect(leaders()).toHaveLength(1);
    const leader = leaders()[0] as BareNode;
    for (const [i, text] of ["x=1", "y=2", "x=3"].entries()) {
      leader.feed({ type: "propose", id: `p${i}`, data: new TextEncoder().encode(text) });
    }
    deliverAll(nodes);
    // Followers learn the new commit index from the next heartbeat.
    for (const node of nodes.values()) node.feed({ type: "tick" });
    deliverAll(nodes);
    expect([...nodes.values()].map((node) => node.applied)).toEqual(
      ids.map(() => ["x=1", "y=2", "x=3"]),
    );
  });
});
