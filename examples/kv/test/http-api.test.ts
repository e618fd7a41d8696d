// The HTTP API in one process over a real single-node cluster (a createNode on a UDP socket on
// loopback, MemoryStorage): what a PUT too large for the HTTP layer or for the core is answered.
// Time only bounds the waits.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createNode, type FlotillaNode, MemoryStorage, nodeId } from "@flotilla/core";
import { createUdpTransport, type UdpTransport } from "@flotilla/transport-udp";
import { afterEach, describe, expect, it } from "vitest";
import { AddressBook } from "../src/address-book.js";
import { createApiServer } from "../src/http-api.js";
import { createMetrics } from "../src/metrics.js";
import { type ServerOutput, ServerStateMachine } from "../src/server-state.js";

const host = "127.0.0.1";
let running: { node: FlotillaNode<ServerOutput>; transport: UdpTransport; http: Server } | null =
  null;

afterEach(async () => {
  if (running === null) return;
  running.http.closeAllConnections();
  await new Promise((resolve) => running?.http.close(resolve));
  await running.node.stop();
  await running.transport.close();
  running = null;
});

/**
 * One voter that elects itself, behind the API; returns the API's base URL. With `electsItself`
 * false its election timer is too long to run out: it leads once told to campaign.
 */
async function startSingleNode(
  entryBytesMax: number,
  leaseReads = false,
  electsItself = true,
): Promise<string> {
  const id = nodeId("a");
  const transport = await createUdpTransport({
    id,
    listen: { host, port: 0 },
    peers: {},
    key: "http api test cluster key",
  });
  const addresses = new AddressBook([["a", { raft: { host, port: 0 }, api: { host, port: 0 } }]]);
  const state = new ServerStateMachine(addresses);
  const node = createNode({
    id,
    voters: [id],
    transport,
    storage: new MemoryStorage(),
    stateMachine: state,
    tickMs: 10,
    ...(electsItself ? {} : { electionTimeoutTicks: 1_000_000 }),
    entryBytesMax,
    leaseReads,
  });
  const transportStats = () => transport.stats();
  const metrics = createMetrics(node, transportStats);
  await node.start();
  const http = createApiServer({
    node,
    store: state.store,
    addresses,
    proposalTimeoutMs: 5000,
    transportStats,
    metrics,
  });
  await new Promise<void>((resolve) => http.listen(0, host, resolve));
  running = { node, transport, http };
  const deadline = performance.now() + 10_000;
  while (electsItself && node.status().role !== "leader") {
    if (performance.now() > deadline) throw new Error("the single node did not elect itself");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return `http://${host}:${(http.address() as AddressInfo).port}`;
}

async function put(base: string, key: string, value: string) {
  const response = await fetch(`${base}/kv/${key}`, { method: "PUT", body: value });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("GET consistency", () => {
  it("reads by ReadIndex (default), lease or log, and refuses an unknown mode", async () => {
    const base = await startSingleNode(1024 * 1024, true);
    expect((await put(base, "k", "v1")).status).toBe(200);
    for (const query of ["", "?consistency=readIndex", "?consistency=lease", "?consistency=log"]) {
      const response = await fetch(`${base}/kv/k${query}`);
      expect({ query, status: response.status, body: await response.json() }).toEqual({
        query,
        status: 200,
        body: { value: "v1" },
      });
    }
    const missing = await fetch(`${base}/kv/absent`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ value: null });
    const bad = await fetch(`${base}/kv/k?consistency=stale`);
    expect(bad.status).toBe(400);
  });
});

describe("PUT sizes", () => {
  it("answers 413 ENTRY_TOO_LARGE when the command exceeds the node's entryBytesMax", async () => {
    const base = await startSingleNode(1000);
    expect(await put(base, "small", "x".repeat(900))).toEqual({ status: 200, body: { ok: true } });
    const refused = await put(base, "big", "x".repeat(2000));
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error: "ENTRY_TOO_LARGE", retry: "safe" });
    // Refused, not appended: the key is absent and the node still serves writes.
    const read = await fetch(`${base}/kv/big`);
    expect(read.status).toBe(404);
    expect((await put(base, "after", "y")).status).toBe(200);
  }, 30_000);

  it("answers 413 TOO_LARGE for a body over 1 MiB before proposing anything", async () => {
    const base = await startSingleNode(4 * 1024 * 1024);
    const refused = await put(base, "huge", "x".repeat(1024 * 1024 + 1));
    expect(refused).toMatchObject({ status: 413, body: { error: "TOO_LARGE" } });
    expect((await put(base, "fits", "x".repeat(1024 * 1024))).status).toBe(200);
  }, 30_000);
});

describe("GET /status?leader-after-term", () => {
  it("holds the answer until a leader past the term is known, and answers at once when one is", async () => {
    const base = await startSingleNode(1024 * 1024, false, false);
    const status = async (query: string) => {
      const response = await fetch(`${base}/status${query}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect((await status("")).body).toMatchObject({ role: "follower", leader: null, term: 0 });
    // The wait asked for is longer than this test's bound: only a leader can answer it in time.
    const held = status("?leader-after-term=0&wait-ms=600000");
    await new Promise((resolve) => setTimeout(resolve, 100));
    running?.node.campaign();
    const answer = await held;
    expect(answer.body).toMatchObject({ role: "leader", leader: "a" });
    const { term } = answer.body as { term: number };
    expect(term).toBeGreaterThan(0);
    expect((await status(`?leader-after-term=${term - 1}&wait-ms=600000`)).body).toMatchObject({
      role: "leader",
      term,
    });
    expect((await status("?leader-after-term=x")).status).toBe(400);
  }, 30_000);
});
