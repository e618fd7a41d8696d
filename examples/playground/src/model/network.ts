import type { Message, NodeId } from "@flotilla/core";
import { draw, drawBetween } from "./random.js";
import type { Drop, DropReason, Flight, World } from "./types.js";

// The playground's network, as pure functions of the world: a message is lost with the link's
// probability, refused by a cut link, or put on the wire with a latency drawn from the world's
// PRNG. It reaches a crashed node never. Drops are kept briefly so the page can show them.

const recentDropsMax = 24;

export function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

export function isCut(world: World, from: NodeId, to: NodeId): boolean {
  return world.cuts.includes(linkKey(from, to));
}

/** Puts messages on the wire (or drops them), in order. */
export function sendAll(world: World, messages: readonly Message[]): World {
  if (messages.length === 0) return world;
  let { random, seq, drops } = world;
  const added: Flight[] = [];
  for (const message of messages) {
    const base = { seq: seq++, from: message.from, to: message.to, sentAtMs: world.timeMs };
    const drop = (reason: DropReason) =>
      withDrop(drops, { ...base, messageType: message.type, reason, atMs: world.timeMs });
    if (isCut(world, message.from, message.to)) {
      drops = drop("cut");
      continue;
    }
    const loss = draw(random);
    random = loss.random;
    if (loss.value < world.link.lossProbability) {
      drops = drop("lost");
      continue;
    }
    const latency = drawBetween(random, world.link.latencyMinMs, world.link.latencyMaxMs);
    random = latency.random;
    added.push({ ...base, message, deliverAtMs: world.timeMs + latency.value });
  }
  const inFlight = [...world.inFlight, ...added].sort(
    (a, b) => a.deliverAtMs - b.deliverAtMs || a.seq - b.seq,
  );
  return { ...world, random, seq, drops, inFlight };
}

export function dropFlight(world: World, flight: Flight, reason: DropReason): World {
  const drop: Drop = {
    seq: flight.seq,
    from: flight.from,
    to: flight.to,
    messageType: flight.message.type,
    reason,
    sentAtMs: flight.sentAtMs,
    atMs: world.timeMs,
  };
  return { ...world, drops: withDrop(world.drops, drop) };
}

function withDrop(drops: readonly Drop[], drop: Drop): readonly Drop[] {
  return [...drops.slice(-(recentDropsMax - 1)), drop];
}
