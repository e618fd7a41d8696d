// GET /metrics, /health and /status of a real one-node kv API (a single voter over a real UDP
// socket on loopback): /metrics parsed with a Prometheus text-format parser; a datagram from a
// node with another cluster key shows as an inbound foreignCluster drop in /metrics and /status.
import type { AddressInfo } from "node:net";
import { createNode, MemoryStorage, nodeId, ready } from "@flotilla/core";
import { createUdpTransport } from "@flotilla/transport-udp";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddressBook } from "../src/address-book.js";
import { createApiServer } from "../src/http-api.js";
import { createMetrics } from "../src/metrics.js";
import { ServerStateMachine } from "../src/server-state.js";

const host = "127.0.0.1";
let baseUrl: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  const transport = await createUdpTransport({
    id: "a",
    listen: { host, port: 0 },
    peers: {},
    key: "the metrics test's cluster key",
  });
  const addresses = new AddressBook([["a", { raft: { host, port: 0 }, api: { host, port: 0 } }]]);
  const state = new ServerStateMachine(addresses);
  const node = createNode({
    id: nodeId("a"),
    voters: [nodeId("a")],
    transport,
    storage: new MemoryStorage(),
    stateMachine: state,
    tickMs: 10,
  });
  const transportStats = () => transport.stats();
  const metrics = createMetrics(node, transportStats); // before start: it counts the election
  await node.start();
  await ready(node);
  const server = createApiServer({
    node,
    store: state.store,
    addresses,
    proposalTimeoutMs: 5000,
    transportStats,
    metrics,
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  baseUrl = `http://${host}:${(server.address() as AddressInfo).port}`;
  // A node of another cluster (another key) sends to a: a drops it as foreignCluster.
  const stranger = await createUdpTransport({
    id: "b",
    listen: { host, port: 0 },
    peers: { a: `${host}:${transport.address().port}` },
    key: "another cluster's key, not ours",
  });
  stranger.send(nodeId("a"), {
    type: "requestVoteResponse",
    from: nodeId("b"),
    to: nodeId("a"),
    term: 1 as never,
    preVote: false,
    granted: true,
  });
  for (let i = 0; i < 200 && transport.stats().dropped.foreignCluster === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  stop = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await node.stop();
    await Promise.all([transport.close(), stranger.close()]);
  };
}, 60_000);

afterAll(async () => {
  await stop?.();
});

function sample(
  families: ReturnType<typeof parsePrometheusTextFormat>,
  name: string,
  labels: Record<string, string>,
) {
  const family = families.find((f) => f.name === name);
  const found = family?.metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
  );
  return found === undefined ? undefined : Number(found.value);
}

describe("the kv API's operability endpoints", () => {
  it("GET /metrics: node status and transport drops in the Prometheus text format", async () => {
    expect((await fetch(`${baseUrl}/kv/x`, { method: "PUT", body: "1" })).status).toBe(200);
    const response = await fetch(`${baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const families = parsePrometheusTextFormat(await response.text());
    expect(families.find((f) => f.name === "flotilla_term")?.type).toBe("GAUGE");
    expect(sample(families, "flotilla_term", { node: "a" })).toBeGreaterThanOrEqual(1);
    expect(sample(families, "flotilla_role", { node: "a", role: "leader" })).toBe(1);
    expect(sample(families, "flotilla_role", { node: "a", role: "follower" })).toBe(0);
    expect(sample(families, "flotilla_applied_index", { node: "a" })).toBeGreaterThanOrEqual(2);
    expect(sample(families, "flotilla_leader_changes_total", { node: "a" })).toBeGreaterThanOrEqual(
      1,
    );
    expect(sample(families, "flotilla_proposals_total", { node: "a", outcome: "committed" })).toBe(
      1,
    );
    const foreign = { node: "a", direction: "inbound", reason: "foreignCluster" };
    expect(families.find((f) => f.name === "flotilla_transport_dropped_total")?.type).toBe(
      "COUNTER",
    );
    expect(sample(families, "flotilla_transport_dropped_total", foreign)).toBe(1);
  });

  it("GET /metrics: the node's own counters and histograms (node.stats())", async () => {
    for (const v of ["1", "2", "3"]) {
      expect((await fetch(`${baseUrl}/kv/s`, { method: "PUT", body: v })).status).toBe(200);
    }
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    const families = parsePrometheusTextFormat(text);
    const node = { node: "a" };
    const accepted = sample(families, "flotilla_proposals_accepted_total", node) ?? 0;
    expect(accepted).toBeGreaterThanOrEqual(3);
    const committed = sample(families, "flotilla_entries_committed_total", node) ?? 0;
    expect(committed).toBeGreaterThanOrEqual(accepted + 1); // and the leader's no-op
    expect(sample(families, "flotilla_entries_applied_total", node)).toBe(committed);
    expect(sample(families, "flotilla_elections_started_total", node)).toBeGreaterThanOrEqual(1);
    const persist = families.find((f) => f.name === "flotilla_persist_seconds");
    expect(persist?.type).toBe("HISTOGRAM");
    // The parser keeps a labelled histogram's buckets only; _count and _sum are read from the text.
    const series = persist?.metrics[0] as unknown as { buckets: Record<string, string> };
    const buckets = series.buckets;
    const count = Number(/^flotilla_persist_seconds_count\{node="a"\} (\d+)$/m.exec(text)?.[1]);
    expect(count).toBeGreaterThanOrEqual(3);
    expect(Number(buckets["+Inf"])).toBe(count);
    expect(text).toMatch(/^flotilla_persist_seconds_sum\{node="a"\} [\d.e-]+$/m);
    // Cumulative buckets, never above the count.
    const counts = Object.entries(buckets)
      .sort(([a], [b]) => Number(a) - Number(b)) // "+Inf" parses as Infinity
      .map(([, value]) => Number(value));
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
    expect(Math.max(...counts)).toBeLessThanOrEqual(count);
  });

  it("PUT of a value that is not UTF-8: 400, nothing stored", async () => {
    const body = new Uint8Array([0x66, 0xff, 0xfe]);
    const response = await fetch(`${baseUrl}/kv/bad`, { method: "PUT", body });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "BAD_REQUEST" });
    expect((await fetch(`${baseUrl}/kv/bad`)).status).toBe(404);
  });

  it("GET /health: 200 while running with a known leader", async () => {
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, phase: "running", role: "leader" });
  });

  it("GET /status: the transport's drops by reason", async () => {
    const body = (await (await fetch(`${baseUrl}/status`)).json()) as {
      transport: { droppedByReason: Record<string, number> };
    };
    expect(body.transport.droppedByReason.foreignCluster).toBe(1);
  });
});
