import type { NodeId } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { type LinkOptions, Network, NetworkConfigError, NetworkMisuseError } from "../src/index.js";
import { ack, heartbeat, n1, n2, n3, nodes, seqOf } from "./helpers.js";

/** All-to-all traffic: every node sends `rounds` messages to every other, 1 ms apart. */
function traffic(network: Network, rounds: number): string[] {
  const trace: string[] = [];
  let seq = 0;
  for (let round = 0; round < rounds; round++) {
    for (const from of nodes) {
      for (const to of nodes) if (from !== to) network.send(from, to, heartbeat(from, to, seq++));
    }
    for (let d = network.deliverNext(network.nowMs); d; d = network.deliverNext(network.nowMs)) {
      trace.push(`${d.deliveredAtMs} ${d.from}->${d.to} #${seqOf(d.message)} copy${d.seq}`);
    }
    network.advanceTo(network.nowMs + 1);
  }
  for (let d = network.deliverNext(); d; d = network.deliverNext()) {
    trace.push(`${d.deliveredAtMs} ${d.from}->${d.to} #${seqOf(d.message)} copy${d.seq}`);
  }
  return trace;
}

const faulty: Partial<LinkOptions> = {
  latency: { kind: "longTail", minMs: 1, maxMs: 10, tailProbability: 0.05, tailMaxMs: 200 },
  lossProbability: 0.1,
  duplicateProbability: 0.05,
  reorderProbability: 0.1,
};

/** Sends `count` messages n1 -> n2 and delivers them all; returns the deliveries. */
function burst(network: Network, count: number) {
  for (let i = 0; i < count; i++) network.send(n1, n2, heartbeat(n1, n2, i));
  const out = [];
  for (let d = network.deliverNext(); d; d = network.deliverNext()) out.push(d);
  return out;
}

describe("Network determinism", () => {
  it("gives the identical delivery trace for the same seed, and a different one for another", () => {
    const a = traffic(new Network({ random: 1234, link: faulty }), 200);
    const b = traffic(new Network({ random: 1234, link: faulty }), 200);
    const c = traffic(new Network({ random: 1235, link: faulty }), 200);
    expect(a.length).toBeGreaterThan(3000);
    expect(b.join("\n")).toBe(a.join("\n"));
    expect(c.join("\n")).not.toBe(a.join("\n"));
  });

  it("reports the identical event stream (sends, duplicates, drops, deliveries) for the same seed", () => {
    const run = () => {
      const events: string[] = [];
      const network = new Network({
        random: 99,
        link: faulty,
        observer: (e) => events.push(JSON.stringify(e)),
      });
      network.partition([nodes.slice(0, 2), nodes.slice(2)]);
      traffic(network, 50);
      return events;
    };
    const first = run();
    expect(new Set(first.map((e) => JSON.parse(e).kind))).toEqual(
      new Set(["sent", "duplicated", "delivered", "dropped"]),
    );
    expect(run()).toEqual(first);
  });

  it("delivers in (time, send order) and never moves time backwards", () => {
    const network = new Network({ random: 5, link: faulty });
    for (let i = 0; i < 500; i++) network.send(n1, n2, heartbeat(n1, n2, i));
    let last = { at: -1, seq: -1 };
    for (let d = network.deliverNext(); d; d = network.deliverNext()) {
      expect(d.deliveredAtMs > last.at || (d.deliveredAtMs === last.at && d.seq > last.seq)).toBe(
        true,
      );
      expect(network.nowMs).toBe(d.deliveredAtMs);
      last = { at: d.deliveredAtMs, seq: d.seq };
    }
    expect(() => network.advanceTo(network.nowMs - 1)).toThrow(NetworkMisuseError);
  });
});

describe("Network faults (seed 77 unless named)", () => {
  it("keeps latency within its distribution", () => {
    const fixed = burst(
      new Network({ random: 77, link: { latency: { kind: "fixed", ms: 7 } } }),
      100,
    );
    expect(new Set(fixed.map((d) => d.deliveredAtMs - d.sentAtMs))).toEqual(new Set([7]));
    // Fixed latency and no reordering: FIFO.
    expect(fixed.map((d) => seqOf(d.message))).toEqual([...Array(100).keys()]);
    const uniform = burst(
      new Network({ random: 77, link: { latency: { kind: "uniform", minMs: 3, maxMs: 6 } } }),
      2000,
    ).map((d) => d.deliveredAtMs - d.sentAtMs);
    expect(new Set(uniform)).toEqual(new Set([3, 4, 5, 6]));
    const tail = burst(
      new Network({
        random: 77,
        link: {
          latency: { kind: "longTail", minMs: 1, maxMs: 5, tailProbability: 0.1, tailMaxMs: 500 },
        },
      }),
      5000,
    ).map((d) => d.deliveredAtMs - d.sentAtMs);
    const slow = tail.filter((ms) => ms > 5).length;
    expect(Math.min(...tail)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...tail)).toBeLessThanOrEqual(500);
    expect(slow).toBeGreaterThan(400);
    expect(slow).toBeLessThan(600);
  });

  it("loses about lossProbability of the messages and counts them", () => {
    const network = new Network({ random: 77, link: { lossProbability: 0.3 } });
    const delivered = burst(network, 10_000).length;
    const stats = network.stats();
    expect(stats.sent).toBe(10_000);
    expect(stats.dropped.loss + delivered).toBe(10_000);
    expect(stats.delivered).toBe(delivered);
    expect(Math.abs(stats.dropped.loss - 3000)).toBeLessThan(200);
  });

  it("duplicates about duplicateProbability of the messages", () => {
    const network = new Network({ random: 77, link: { duplicateProbability: 0.2 } });
    const deliveries = burst(network, 10_000);
    const stats = network.stats();
    expect(deliveries.length).toBe(10_000 + stats.duplicated);
    expect(Math.abs(stats.duplicated - 2000)).toBeLessThan(200);
    // A duplicate is the same immutable message object, delivered twice.
    const bySeq = new Map<number, number>();
    for (const d of deliveries) bySeq.set(seqOf(d.message), (bySeq.get(seqOf(d.message)) ?? 0) + 1);
    expect([...bySeq.values()].filter((n) => n === 2).length).toBe(stats.duplicated);
  });

  it("lets messages overtake each other under reorderProbability even with fixed latency", () => {
    const link: Partial<LinkOptions> = {
      latency: { kind: "fixed", ms: 5 },
      reorderProbability: 0.2,
    };
    const network = new Network({ random: 77, link });
    for (let i = 0; i < 1000; i++) {
      network.send(n1, n2, heartbeat(n1, n2, i));
      network.advanceTo(network.nowMs + 1);
    }
    const order: number[] = [];
    for (let d = network.deliverNext(); d; d = network.deliverNext()) order.push(seqOf(d.message));
    const inversions = order.filter((s, i) => i > 0 && s < (order[i - 1] as number)).length;
    expect(order).toHaveLength(1000);
    expect(inversions).toBeGreaterThan(50);
  });

  it("applies per-link overrides to one direction only", () => {
    const network = new Network({ random: 77, link: { latency: { kind: "fixed", ms: 1 } } });
    network.configureLink(n1, n2, { latency: { kind: "fixed", ms: 50 } });
    network.send(n1, n2, heartbeat(n1, n2, 0));
    network.send(n2, n1, heartbeat(n2, n1, 1));
    expect(network.deliverNext()?.deliveredAtMs).toBe(1);
    expect(network.deliverNext()?.deliveredAtMs).toBe(50);
    expect(() => network.configureLink(n1, n2, { lossProbability: 2 })).toThrow(NetworkConfigError);
  });
});

/** Which directed links deliver right now: "a->b" for every pair that got its message. */
function reachable(network: Network, among: readonly NodeId[]): Set<string> {
  for (const from of among)
    for (const to of among) if (from !== to) network.send(from, to, heartbeat(from, to, 0));
  const ok = new Set<string>();
  for (let d = network.deliverNext(); d; d = network.deliverNext()) ok.add(`${d.from}->${d.to}`);
  return ok;
}

function allLinks(among: readonly NodeId[]): string[] {
  return among.flatMap((a) => among.filter((b) => b !== a).map((b) => `${a}->${b}`));
}

describe("Network partitions, filters and crashes (exact)", () => {
  it("isolates one node both ways", () => {
    const network = new Network({ random: 1 });
    network.isolate(n1, nodes);
    const ok = reachable(network, nodes);
    expect([...ok].filter((l) => l.includes("n1"))).toEqual([]);
    expect(ok.size).toBe(12);
  });

  it("splits a majority from a minority, and heals", () => {
    const network = new Network({ random: 1 });
    network.partition([nodes.slice(0, 3), nodes.slice(3)]);
    const ok = reachable(network, nodes);
    expect([...ok].sort()).toEqual(
      [...allLinks(nodes.slice(0, 3)), ...allLinks(nodes.slice(3))].sort(),
    );
    network.heal();
    expect(reachable(network, nodes).size).toBe(20);
  });

  it("bridges two halves through one node", () => {
    const network = new Network({ random: 1 });
    const [a, b, c, d, e] = nodes as [NodeId, NodeId, NodeId, NodeId, NodeId];
    network.partition([
      [a, b, c],
      [c, d, e],
    ]);
    const ok = reachable(network, nodes);
    expect([...ok].sort()).toEqual([...allLinks([a, b, c]), ...allLinks([c, d, e])].sort());
  });

  it("cuts one direction only", () => {
    const network = new Network({ random: 1 });
    network.cutLink(n1, n2);
    const ok = reachable(network, [n1, n2]);
    expect([...ok]).toEqual(["n2->n1"]);
    expect(network.stats().dropped.partition).toBe(1);
    network.restoreLink(n1, n2);
    expect(reachable(network, [n1, n2]).size).toBe(2);
  });

  it("drops messages already in flight when the link is cut before they arrive", () => {
    const network = new Network({ random: 1, link: { latency: { kind: "fixed", ms: 10 } } });
    network.send(n1, n2, heartbeat(n1, n2, 0));
    network.cutLink(n1, n2);
    expect(network.deliverNext()).toBeUndefined();
    expect(network.stats().dropped.partition).toBe(1);
  });

  it("filters by message type and sender", () => {
    const network = new Network({ random: 1 });
    const remove = network.addFilter({ from: n2, messageType: "appendEntriesResponse" });
    network.send(n2, n1, ack(n2, n1, 1));
    network.send(n3, n1, ack(n3, n1, 2));
    network.send(n2, n1, heartbeat(n2, n1, 3));
    const got = [];
    for (let d = network.deliverNext(); d; d = network.deliverNext()) got.push(seqOf(d.message));
    expect(got.sort()).toEqual([2, 3]);
    expect(network.stats().dropped.filter).toBe(1);
    remove();
    network.send(n2, n1, ack(n2, n1, 4));
    expect(seqOf(network.deliverNext()?.message ?? heartbeat(n1, n1, -1))).toBe(4);
  });

  it("drops messages to and from a crashed node until it restarts", () => {
    const network = new Network({ random: 1, link: { latency: { kind: "fixed", ms: 5 } } });
    network.send(n1, n2, heartbeat(n1, n2, 0)); // in flight when n2 crashes
    network.crash(n2);
    network.send(n2, n1, heartbeat(n2, n1, 1)); // a crashed node sends nothing
    expect(network.deliverNext()).toBeUndefined();
    expect(network.stats().dropped.nodeDown).toBe(2);
    network.restart(n2);
    expect(network.isUp(n2)).toBe(true);
    expect(reachable(network, [n1, n2]).size).toBe(2);
  });

  it("throws on a send whose envelope does not match", () => {
    const network = new Network({ random: 1 });
    expect(() => network.send(n1, n3, heartbeat(n1, n2, 0))).toThrow(NetworkMisuseError);
  });
});

describe("Network codec hook", () => {
  it("round-trips through the codec and drops undecodable bytes", () => {
    let corrupt = false;
    const network = new Network({
      random: 3,
      codec: {
        encode: (m) => new TextEncoder().encode(JSON.stringify(m)),
        decode: (bytes) => {
          if (corrupt) throw new Error("bad bytes");
          return JSON.parse(new TextDecoder().decode(bytes));
        },
      },
    });
    const sent = heartbeat(n1, n2, 9);
    network.send(n1, n2, sent);
    const got = network.deliverNext();
    expect(got?.message).toEqual(sent);
    expect(got?.message).not.toBe(sent);
    corrupt = true;
    network.send(n1, n2, sent);
    expect(network.deliverNext()).toBeUndefined();
    expect(network.stats().dropped.undecodable).toBe(1);
  });
});
