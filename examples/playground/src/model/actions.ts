import { type Event, index, init, type NodeId, status } from "@flotilla/core";
import {
  decodeKvSnapshot,
  emptyKvState,
  encodeKvCommand,
  encodeKvSnapshot,
} from "@flotilla/kv-model";
import { linkKey } from "./network.js";
import { lostWith, newOp, withOp } from "./ops.js";
import { snapshotBytes, storeSnapshot } from "./snapshot-bytes.js";
import type { ClientOp, LinkSettings, World } from "./types.js";
import { configFor, leaderOf, nodeIndexOf, runNode, tickMs } from "./world.js";

// What a person can do to the world. Each action is one event of the timeline: it returns a new
// world and leaves the old one as it was, so an action taken at a past moment starts a new branch.

export function acted(world: World, lastEvent: string): World {
  return { ...world, events: world.events + 1, lastEvent };
}

/** Sends `put key=value` to `target`, or to the leader, or to the first running node. */
export function propose(world: World, key: string, value: string, target?: NodeId): World {
  const node = target ?? leaderOf(world)?.id ?? world.nodes.find((n) => n.up)?.id;
  if (node === undefined) return acted(world, "propose: no node is running");
  const op = newOp(world, { kind: "put", node, what: `put ${key}=${value}` });
  const data = encodeKvCommand({ op: "put", key, value });
  return sendOp(world, op, { type: "propose", id: op.id, data });
}

/**
 * Records `op` and steps its node with `event`; a request to a crashed node is refused at once
 * (nobody is there to answer), as a client's connection would be.
 */
export function sendOp(world: World, op: ClientOp, event: Event): World {
  const counted = { ...world, opsStarted: world.opsStarted + 1 };
  if (!world.nodes.find((n) => n.id === op.node)?.up) {
    const refused = { ...op, outcome: "rejected", detail: `${op.node} is down` } as const;
    return acted(withOp(counted, refused), `${op.node} is down: ${op.what} refused`);
  }
  return runNode(acted(withOp(counted, op), `${op.node} ← ${op.what}`), op.node, event);
}

/** Stops a node: what it had not written is lost; its messages in flight still arrive elsewhere. */
export function crash(world: World, id: NodeId): World {
  const i = nodeIndexOf(world, id);
  const node = world.nodes[i];
  if (node === undefined || !node.up) return world;
  return acted(
    lostWith({ ...world, nodes: world.nodes.with(i, { ...node, up: false }) }, id),
    `crash ${id}`,
  );
}

/** Starts a crashed node again from what its disk holds (as `createNode` does from storage). */
export function restart(world: World, id: NodeId): World {
  const i = nodeIndexOf(world, id);
  const node = world.nodes[i];
  if (node === undefined || node.up) return world;
  const snapshot = node.durable.snapshot;
  const restarted = {
    ...node,
    up: true,
    state: init(configFor(world, id), node.durable),
    kv: snapshot === null ? emptyKvState : decodeKvSnapshot(snapshotBytes(snapshot)),
    nextTickMs: world.timeMs + tickMs,
  };
  return acted({ ...world, nodes: world.nodes.with(i, restarted) }, `restart ${id}`);
}

export function toggleUp(world: World, id: NodeId): World {
  return world.nodes[nodeIndexOf(world, id)]?.up ? crash(world, id) : restart(world, id);
}

/** Cuts both directions of the link between a and b, or heals it if either was cut. */
export function toggleLink(world: World, a: NodeId, b: NodeId): World {
  const pair = [linkKey(a, b), linkKey(b, a)];
  const wasCut = pair.some((key) => world.cuts.includes(key));
  const cuts = wasCut ? world.cuts.filter((key) => !pair.includes(key)) : [...world.cuts, ...pair];
  return acted({ ...world, cuts }, `${wasCut ? "heal" : "cut"} ${a} ↔ ${b}`);
}

/** Cuts every link of one node: it is alone in a partition of one. */
export function isolate(world: World, id: NodeId): World {
  const others = world.nodes.filter((node) => node.id !== id);
  const keys = others.flatMap((node) => [linkKey(id, node.id), linkKey(node.id, id)]);
  const cuts = [...world.cuts.filter((key) => !keys.includes(key)), ...keys];
  return acted({ ...world, cuts }, `isolate ${id}`);
}

export function healAll(world: World): World {
  return acted({ ...world, cuts: [] }, "heal every link");
}

export function setLink(world: World, link: Partial<LinkSettings>): World {
  const next = { ...world.link, ...link };
  if (next.latencyMaxMs < next.latencyMinMs) next.latencyMaxMs = next.latencyMinMs;
  return acted(
    { ...world, link: next },
    `loss ${Math.round(next.lossProbability * 100)}%, latency ${next.latencyMinMs}–${next.latencyMaxMs} ms`,
  );
}

/** Makes a node campaign now, skipping the pre-vote (the core's `campaign` event). */
export function forceElection(world: World, id: NodeId): World {
  return runNode(acted(world, `${id} campaigns`), id, { type: "campaign" });
}

/** The node snapshots its state machine at its applied index and compacts its log. */
export function takeSnapshot(world: World, id: NodeId): World {
  const node = world.nodes[nodeIndexOf(world, id)];
  if (node === undefined || !node.up) return world;
  const applied = status(node.state).applied;
  if (applied <= (node.durable.snapshot?.index ?? 0))
    return acted(world, `${id}: nothing new to snapshot`);
  const stored = storeSnapshot(encodeKvSnapshot(node.kv));
  const event = { type: "snapshot", index: index(applied), ...stored } as const;
  return runNode(acted(world, `${id} snapshots at ${applied}`), id, event);
}
