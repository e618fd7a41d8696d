// `pnpm bench network [--messages N] [--seed S]`: raw throughput of the simulated network of
// @flotilla/transport-memory: 5 nodes, all-to-all traffic, uniform 1-10 ms latency, 5% loss,
// 1% duplication, through the delivery heap, with no Raft at all. Every delivered request is
// answered, and every answer (or loss) is replaced by a new request to a random peer, so the heap
// holds a steady ~500 in-flight messages, like a busy cluster.
import { parseArgs } from "node:util";
import { index, type Message, type NodeId, nodeId, term } from "@flotilla/core";
import { Network, Prng } from "@flotilla/transport-memory";

function request(from: NodeId, to: NodeId, seq: number): Message {
  return {
    type: "appendEntries",
    from,
    to,
    term: term(1),
    prevLogIndex: index(0),
    prevLogTerm: term(0),
    entries: [],
    leaderCommit: index(0),
    seq,
  };
}

function reply(from: NodeId, to: NodeId, seq: number): Message {
  return {
    type: "appendEntriesResponse",
    from,
    to,
    term: term(1),
    seq,
    success: true,
    matchIndex: index(0),
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      messages: { type: "string", default: "2000000" },
      seed: { type: "string", default: "1" },
    },
  });
  const target = Number(values.messages);
  const seed = Number(values.seed);
  const nodes = ["n1", "n2", "n3", "n4", "n5"].map(nodeId);
  const root = new Prng(seed);
  const traffic = root.fork("traffic");
  const network = new Network({
    random: root.fork("network"),
    link: {
      latency: { kind: "uniform", minMs: 1, maxMs: 10 },
      lossProbability: 0.05,
      duplicateProbability: 0.01,
    },
  });
  const sendRequest = (from: NodeId, seq: number) => {
    let to = traffic.pick(nodes);
    while (to === from) to = traffic.pick(nodes);
    network.send(from, to, request(from, to, seq));
  };
  let seq = 0;
  for (const from of nodes) for (let i = 0; i < 100; i++) sendRequest(from, seq++);
  const started = performance.now();
  let events = 0;
  while (events < target) {
    const d = network.deliverNext();
    if (d === undefined) break;
    const m = d.message;
    if (m.type === "appendEntries") network.send(d.to, d.from, reply(d.to, d.from, m.seq));
    else sendRequest(d.to, seq++);
    // Keep the load steady: replace what the network lost.
    while (network.inFlight < 450) sendRequest(traffic.pick(nodes), seq++);
    events = network.stats().sent + network.stats().delivered;
  }
  const seconds = (performance.now() - started) / 1000;
  const stats = network.stats();
  const perSecond = Math.round((stats.sent + stats.delivered) / seconds);
  console.log(
    `nodes=5 seed=${seed} virtualMs=${network.nowMs} sent=${stats.sent} delivered=${stats.delivered}`,
  );
  console.log(`dropped=${JSON.stringify(stats.dropped)} duplicated=${stats.duplicated}`);
  console.log(
    `${(stats.sent + stats.delivered).toLocaleString("en")} events in ${seconds.toFixed(2)} s: ${perSecond.toLocaleString("en")} events/s`,
  );
  console.log(
    JSON.stringify({
      bench: "network",
      nodes: 5,
      seed,
      sent: stats.sent,
      delivered: stats.delivered,
      seconds,
      eventsPerSecond: perSecond,
    }),
  );
}
