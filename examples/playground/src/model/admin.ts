import {
  type MembershipOperation,
  type NodeId,
  nodeId,
  type ReadConsistency,
} from "@flotilla/core";
import { acted, sendOp } from "./actions.js";
import { newOp } from "./ops.js";
import type { World } from "./types.js";
import { leaderOf, newNode } from "./world.js";

// Reads, membership changes and leadership transfers, as a client or an operator asks for them:
// each is one event of the real core on the node it is sent to, and its outcome comes back in
// that node's effects (ops.ts). Nothing is decided here that the core would decide: a refused
// request shows the core's own refusal.

/** Servers a run may have: the keys 1-9 select them, and the ring stays readable. */
export const serversMax = 9;

/** The leader, or else the first running node (which will refuse and name whom to ask). */
function askWhom(world: World): NodeId | undefined {
  return leaderOf(world)?.id ?? world.nodes.find((n) => n.up)?.id;
}

/** A linearizable read of `key` (thesis §6.4) at `target`, or the leader; never written to the log. */
export function read(
  world: World,
  key: string,
  consistency: ReadConsistency,
  target?: NodeId,
): World {
  const node = target ?? askWhom(world);
  if (node === undefined) return acted(world, "read: no node is running");
  const how = consistency === "lease" ? "lease" : "ReadIndex";
  const op = newOp(world, { kind: "read", node, key, what: `read ${key} (${how})` });
  return sendOp(world, op, { type: "read", id: op.id, consistency });
}

/**
 * Starts a new server with an empty disk (it waits, outside any configuration, to be added) and
 * asks the leader to add it as a learner: it receives the log without voting (thesis §4.2.1)
 * until promoted. With `existing`, asks again for a server started earlier and not yet a member.
 */
export function addServer(world: World, existing?: NodeId): World {
  let next = world;
  let id = existing;
  if (id === undefined && world.nodes.length >= serversMax) {
    return acted(world, `add node: at most ${serversMax} servers here (keys 1-9 select them)`);
  }
  if (id === undefined) {
    id = nodeId(`n${world.nodes.length + 1}`);
    next = { ...world, nodes: [...world.nodes, newNode(world, id, world.nodes.length * 3)] };
  }
  return changeMembership(next, { type: "addLearner", id }, `add learner ${id}`);
}

/** Promotes a learner to voter, demotes a voter to learner, or removes a member. */
export function changeMember(
  world: World,
  type: "promote" | "demote" | "remove",
  id: NodeId,
): World {
  return changeMembership(world, { type, id }, `${type} ${id}`);
}

function changeMembership(world: World, operation: MembershipOperation, what: string): World {
  const node = askWhom(world);
  if (node === undefined) return acted(world, `${what}: no node is running`);
  const op = newOp(world, { kind: "membership", node, what, subject: operation.id });
  return sendOp(world, op, {
    type: "changeMembership",
    id: op.id,
    change: { type: "change", operations: [operation] },
  });
}

/** Asks the leader to hand leadership to `to` (thesis §3.10). */
export function transferLeadership(world: World, to: NodeId): World {
  const node = askWhom(world);
  if (node === undefined) return acted(world, `transfer to ${to}: no node is running`);
  const op = newOp(world, { kind: "transfer", node, what: `transfer to ${to}`, subject: to });
  return sendOp(world, op, { type: "transferLeadership", to });
}
