import type { NodeId } from "@flotilla/core";
import type { Network, Prng } from "@flotilla/transport-memory";
import { bridge, isolateOne, majorityMinority } from "@flotilla/transport-memory";
import type { PartitionPattern } from "./options.js";

/**
 * Cuts the network into the shape `pattern` names (for `mixed`, a shape drawn each time) and
 * returns a description for the trace. Asymmetric cuts are one-way: one node's outbound links
 * (it hears everyone, nobody hears it: the shape that fools a leader without CheckQuorum) or its
 * inbound links, plus a few random one-way cuts elsewhere.
 */
export function applyPartition(
  network: Network,
  nodes: readonly NodeId[],
  pattern: Exclude<PartitionPattern, "none">,
  prng: Prng,
): string {
  const shape =
    pattern === "mixed"
      ? prng.pick(["isolate", "majority", "bridge", "asymmetric"] as const)
      : pattern;
  switch (shape) {
    case "isolate":
      return cut(network, "isolate", isolateOne(nodes, prng));
    case "majority":
      // An even cluster may also split in halves: no side has a quorum, nobody may lead.
      if (nodes.length % 2 === 0 && prng.chance(0.5)) {
        return cut(network, "halves", halves(nodes, prng));
      }
      return cut(network, "majority/minority", majorityMinority(nodes, prng));
    case "bridge":
      return cut(network, "bridge", bridge(nodes, prng));
    case "asymmetric":
      return cutOneWay(network, nodes, prng);
    default: {
      const never: never = shape;
      throw new TypeError(`unknown partition shape ${JSON.stringify(never)}`);
    }
  }
}

/** Two random halves of an even cluster. */
function halves(nodes: readonly NodeId[], prng: Prng): NodeId[][] {
  const shuffled = prng.shuffle(nodes);
  return [shuffled.slice(0, nodes.length / 2), shuffled.slice(nodes.length / 2)];
}

function cut(network: Network, name: string, groups: NodeId[][]): string {
  network.partition(groups);
  return `partition ${name} ${groups.map((g) => g.map((n) => `n${n}`).join(",")).join(" | ")}`;
}

function cutOneWay(network: Network, nodes: readonly NodeId[], prng: Prng): string {
  const node = prng.pick(nodes);
  const outbound = prng.chance(0.5);
  const cuts: string[] = [];
  for (const other of nodes) {
    if (other === node) continue;
    const [from, to] = outbound ? [node, other] : [other, node];
    network.cutLink(from, to);
    cuts.push(`n${from}->n${to}`);
  }
  const extra = prng.int(nodes.length);
  for (let i = 0; i < extra; i++) {
    const from = prng.pick(nodes);
    const to = prng.pick(nodes);
    if (from === to) continue;
    network.cutLink(from, to);
    cuts.push(`n${from}->n${to}`);
  }
  return `partition one-way ${cuts.join(" ")}`;
}
