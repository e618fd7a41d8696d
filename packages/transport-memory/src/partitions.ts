import type { NodeId } from "@flotilla/core";
import type { Prng } from "./prng.js";

// Partition shapes for swarm testing, as groups for `Network.partition`. Each is a pure function
// of the node list and a PRNG stream, so a seed picks the same shape every time.

/** One node alone, the rest together: `[[node], rest]`. */
export function isolateOne(nodes: readonly NodeId[], prng: Prng): NodeId[][] {
  const lonely = prng.pick(nodes);
  return [[lonely], nodes.filter((n) => n !== lonely)];
}

/** A random majority and the minority left over: `[majority, minority]`. */
export function majorityMinority(nodes: readonly NodeId[], prng: Prng): NodeId[][] {
  const shuffled = prng.shuffle(nodes);
  const majority = Math.floor(nodes.length / 2) + 1;
  return [shuffled.slice(0, majority), shuffled.slice(majority)];
}

/**
 * Two halves that cannot reach each other but both reach one bridge node: with 5 nodes,
 * `[[a, b, c], [c, d, e]]`. The bridge can win votes from both sides, the classic shape that
 * leaves two would-be leaders each hearing from "a majority" of something.
 */
export function bridge(nodes: readonly NodeId[], prng: Prng): NodeId[][] {
  const shuffled = prng.shuffle(nodes);
  const middle = Math.floor(shuffled.length / 2);
  const bridgeNode = shuffled[middle] as NodeId;
  return [shuffled.slice(0, middle + 1), [bridgeNode, ...shuffled.slice(middle + 1)]];
}
