// Issue 5's integration test: three driver nodes in ONE process, each on its own real UDP socket on
// loopback (authenticated), elect a leader, commit proposals, and survive one node's socket being
// closed and a new one opened on the same port. Time only bounds the waits; nothing asserts on it.

import { createSocket } from "node:dgram";
import {
  createNode,
  type FlotillaNode,
  MemoryStorage,
  type Message,
  type NodeId,
  nodeId,
  type Transport,
} from "@flotilla/core";
import { encodeKvCommand, type KvOutput } from "@flotilla/kv-model";
import { createUdpTransport, type UdpTransport } from "@flotilla/transport-udp";
import { afterEach, describe, expect, it } from "vitest";
import { KvStore } from "../src/kv-store.js";

const host = "127.0.0.1";
const key = "integration test cluster key";
const ids = ["a", "b", "c"].map(nodeId);

/**
 * The node keeps one Transport for its life; this one forwards to whichever UDP socket is open now
 * (none while "unplugged"), which is how a process would ride out losing and re-binding its socket.
 */
class ReplugTransport implements Transport {
  #socket: UdpTransport | null;
  readonly #handlers = new Set<(message: Message) => void>();
  #unlisten: (() => void) | null = null;

  constructor(socket: UdpTransport) {
    this.#socket = null;
    this.plug(socket);
  }

  get socket(): UdpTransport | null {
    return this.#socket;
  }

  plug(socket: UdpTransport): void {
    this.#socket = socket;
    this.#unlisten = socket.onMessage((message) => {
      for (const handler of this.#handlers) handler(message);
    });
  }

  async unplug(): Promise<void> {
    const socket = this.#socket;
    this.#unlisten?.();
    this.#unlisten = null;
    this.#socket = null;
    await socket?.close();
  }

  send(to: NodeId, message: Message): void {
    this.#socket?.send(to, message);
  }

  onMessage(handler: (message: Message) => void): () => void {
    const registered = (message: Message): void => handler(message);
    this.#handlers.add(registered);
    return () => void this.#handlers.delete(registered);
  }

  close(): Promise<void> {
    return this.unplug();
  }
}

type Member = {
  readonly id: NodeId;
  readonly port: number;
  readonly transport: ReplugTransport;
  readonly store: KvStore;
  readonly node: FlotillaNode<KvOutput>;
};

let members: Member[] = [];

afterEach(async () => {
  await Promise.all(members.map((m) => m.node.stop()));
  await Promise.all(members.map((m) => m.transport.close()));
  members = [];
});

async function freePorts(count: number): Promise<number[]> {
  const sockets = Array.from({ length: count }, () => createSocket("udp4"));
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.bind(0, host, () => r()))));
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

function openSocket(id: NodeId, port: number, peers: Record<string, string>) {
  return createUdpTransport({ id, listen: { host, port }, peers, key });
}

async function startCluster(): Promise<Member[]> {
  const ports = await freePorts(ids.length);
  const peers = Object.fromEntries(ids.map((id, i) => [id, `${host}:${ports[i]}`]));
  return Promise.all(
    ids.map(async (id, i) => {
      const port = ports[i] as number;
      const transport = new ReplugTransport(await openSocket(id, port, peers));
      const store = new KvStore();
      const node = createNode<KvOutput>({
        id,
        voters: ids,
        transport,
        storage: new MemoryStorage(),
        stateMachine: store,
        tickMs: 10,
        seed: 42,
      });
      await node.start();
      return { id, port, transport, store, node };
    }),
  );
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The one node that leads, once every node in `among` agrees on it. */
function agreedLeader(among: readonly Member[]): Member | undefined {
  const leaders = among.filter((m) => m.node.status().role === "leader");
  const leader = leaders.length === 1 ? leaders[0] : undefined;
  const agreed = among.every((m) => m.node.status().leader === leader?.id);
  return agreed ? leader : undefined;
}

function put(leader: Member, k: string, v: string): Promise<KvOutput> {
  return leader.node.propose(encodeKvCommand({ op: "put", key: k, value: v }), { timeoutMs: 5000 });
}

/** Waits until every node applied `index`, then returns their state digests. */
async function converged(index: number): Promise<string[]> {
  await until(`every node to apply index ${index}`, () =>
    members.every((m) => m.node.status().appliedIndex >= index) ? true : undefined,
  );
  return members.map((m) => m.store.digest());
}

describe("three driver nodes over real loopback UDP", () => {
  it("elect a leader and commit proposals on every node", async () => {
    members = await startCluster();
    const leader = await until("a leader", () => agreedLeader(members));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => put(leader, `k${i}`, `v${i}`)),
    );
    expect(results).toEqual(Array.from({ length: 20 }, () => ({ op: "put" })));
    const digests = await converged(leader.node.status().commitIndex);
    expect(new Set(digests).size).toBe(1);
    expect(members.map((m) => m.store.size)).toEqual([20, 20, 20]);
  });

  it("survive the leader's socket being closed and a new one bound to the same port", async () => {
    members = await startCluster();
    const first = await until("a leader", () => agreedLeader(members));
    await put(first, "before", "1");
    const peers = Object.fromEntries(members.map((m) => [m.id, `${host}:${m.port}`]));

    await first.transport.unplug();
    const others = members.filter((m) => m !== first);
    const second = await until("a new leader among the others", () => agreedLeader(others));
    expect(second.id).not.toBe(first.id);
    // CheckQuorum: the cut-off leader hears from nobody and steps down (Raft thesis §6.2).
    await until("the old leader to step down", () =>
      first.node.status().role !== "leader" ? true : undefined,
    );
    await put(second, "during", "2");

    first.transport.plug(await openSocket(first.id, first.port, peers));
    expect(first.transport.socket?.address().port).toBe(first.port);
    await put(second, "after", "3");
    const digests = await converged(second.node.status().commitIndex);
    expect(new Set(digests).size).toBe(1);
    expect(first.store.size).toBe(3);
    const stats = first.transport.socket?.stats();
    expect(stats?.received.messages).toBeGreaterThan(0);
  });
});
