import {
  type ConfigInput,
  type Event,
  index,
  init,
  type NodeId,
  nodeId,
  type Persisted,
  status,
  term,
} from "@flotilla/core";
import { emptyKvState } from "@flotilla/kv-model";
import { dropFlight, isCut, sendAll } from "./network.js";
import { stepNode } from "./node-step.js";
import { noteOps } from "./ops.js";
import type { SimNode, World, WorldOptions } from "./types.js";

// The playground's event loop, as pure functions: `advance` takes the world to its next event (a
// delivery, or a node's tick; deliveries first on a tie) and returns the world after it. Nothing
// here reads a clock or Math.random: the same world and the same choices give the same future.

export const tickMs = 10;

/**
 * The core's configuration in the playground: slow enough to watch, fast enough not to bore. A
 * node added later starts empty with `join` and learns its configuration from the leader's log.
 * Lease reads are on (they need CheckQuorum, the default) so that a read can ask for either kind.
 */
export function configFor(world: Pick<World, "seed" | "initialVoters">, id: NodeId): ConfigInput {
  return {
    id,
    voters: world.initialVoters,
    join: !world.initialVoters.includes(id),
    electionTimeoutTicks: 15,
    heartbeatIntervalTicks: 4,
    snapshotTrailingEntries: 2,
    leaseReads: true,
    seed: world.seed,
  };
}

const emptyDisk: Persisted = {
  hardState: { term: term(0), vote: null, commit: index(0) },
  snapshot: null,
  entries: [],
};

/** A server with an empty disk, its first tick `offsetMs` into the next tick period. */
export function newNode(
  world: Pick<World, "seed" | "initialVoters" | "timeMs">,
  id: NodeId,
  offsetMs: number,
): SimNode {
  return {
    id,
    up: true,
    state: init(configFor(world, id), emptyDisk),
    durable: emptyDisk,
    kv: emptyKvState,
    nextTickMs: world.timeMs + tickMs + (offsetMs % tickMs),
  };
}

export function createWorld(options: WorldOptions): World {
  const ids = Array.from({ length: options.nodeCount }, (_, i) => nodeId(`n${i + 1}`));
  const start = { seed: options.seed, initialVoters: ids, timeMs: 0 };
  // Staggered so that ticks of different nodes rarely coincide.
  const nodes = ids.map((id, i) => newNode(start, id, (i * 3) % tickMs));
  return {
    seed: options.seed,
    initialVoters: ids,
    timeMs: 0,
    events: 0,
    random: options.seed | 0,
    seq: 0,
    nodes,
    inFlight: [],
    link: { lossProbability: 0, latencyMinMs: 8, latencyMaxMs: 20, ...options.link },
    cuts: [],
    drops: [],
    ops: [],
    opsStarted: 0,
    lastEvent: "start",
  };
}

export function nodeIndexOf(world: World, id: NodeId): number {
  return world.nodes.findIndex((node) => node.id === id);
}

/** The running node that leads the highest term any running node is in, if one does. */
export function leaderOf(world: World): SimNode | null {
  const up = world.nodes
    .filter((node) => node.up)
    .map((node) => ({ node, view: status(node.state) }));
  const maxTerm = Math.max(...up.map(({ view }) => view.term));
  return up.find(({ view }) => view.role === "leader" && view.term === maxTerm)?.node ?? null;
}

/** When the next event happens, if any. */
export function nextEventMs(world: World): number {
  const tick = nextTicker(world);
  const delivery = world.inFlight[0]?.deliverAtMs ?? Number.POSITIVE_INFINITY;
  return Math.min(delivery, tick === null ? Number.POSITIVE_INFINITY : tick.nextTickMs);
}

/** The world after its next event. */
export function advance(world: World): World {
  const flight = world.inFlight[0];
  const ticker = nextTicker(world);
  if (flight !== undefined && (ticker === null || flight.deliverAtMs <= ticker.nextTickMs)) {
    const moved = {
      ...world,
      timeMs: flight.deliverAtMs,
      events: world.events + 1,
      inFlight: world.inFlight.slice(1),
      lastEvent: `${flight.to} ← ${flight.from} ${flight.message.type}`,
    };
    const to = moved.nodes[nodeIndexOf(moved, flight.to)];
    if (to === undefined || !to.up) return dropFlight(moved, flight, "crashed");
    if (isCut(moved, flight.from, flight.to)) return dropFlight(moved, flight, "cut");
    return runNode(moved, flight.to, { type: "receive", message: flight.message });
  }
  if (ticker === null) return world;
  const i = nodeIndexOf(world, ticker.id);
  const nodes = world.nodes.with(i, { ...ticker, nextTickMs: ticker.nextTickMs + tickMs });
  const moved = {
    ...world,
    nodes,
    timeMs: ticker.nextTickMs,
    events: world.events + 1,
    lastEvent: `${ticker.id} tick`,
  };
  return runNode(moved, ticker.id, { type: "tick" });
}

/** Handles every event due up to `timeMs` (at most `eventsMax`), then moves the clock there. */
export function advanceTo(world: World, timeMs: number, eventsMax = 100_000): World {
  let w = world;
  for (let n = 0; n < eventsMax && nextEventMs(w) <= timeMs; n++) w = advance(w);
  return w.timeMs < timeMs && nextEventMs(w) > timeMs ? { ...w, timeMs } : w;
}

/** Steps one node's core with `event` and lets the world see what came of it. */
export function runNode(world: World, id: NodeId, event: Event): World {
  const i = nodeIndexOf(world, id);
  const node = world.nodes[i];
  if (node === undefined || !node.up) return world;
  const turn = stepNode(node, event);
  const next = { ...world, nodes: world.nodes.with(i, turn.node) };
  return noteOps(sendAll(next, turn.messages), id, turn.notices);
}

function nextTicker(world: World): SimNode | null {
  let best: SimNode | null = null;
  for (const node of world.nodes) {
    if (node.up && (best === null || node.nextTickMs < best.nextTickMs)) best = node;
  }
  return best;
}

/** The status of every node, for views that want plain values. */
export function statuses(world: World) {
  return world.nodes.map((node) => status(node.state));
}
