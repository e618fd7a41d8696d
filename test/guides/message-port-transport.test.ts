// The Transport guide's example (docs/writing-a-transport.md) at work: three nodes over
// MessagePorts elect a leader and replicate a command to all; garbage on a port is dropped and
// counted, never thrown. (guides.test.ts checks that the guide shows message-port-transport.ts
// verbatim.)
import { MessageChannel } from "node:worker_threads";
import {
  type BufferedStateMachine,
  bufferedStateMachine,
  createNode,
  encodeMessage,
  type FlotillaNode,
  index,
  MemoryStorage,
  type Message,
  type NodeId,
  nodeId,
  term,
} from "@flotilla/core";
import { afterEach, describe, expect, it } from "vitest";
import { connectMesh, MessagePortTransport } from "./message-port-transport.js";

class Sum implements BufferedStateMachine<number> {
  total = 0;
  apply(command: Uint8Array): number {
    this.total += command[0] ?? 0;
    return this.total;
  }
  snapshot(): Uint8Array {
    return new Uint8Array([this.total]);
  }
  restore(data: Uint8Array): void {
    this.total = data[0] ?? 0;
  }
}

const ids = ["a", "b", "c"].map(nodeId);
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

function leaderOf(nodes: readonly FlotillaNode<number>[]): Promise<FlotillaNode<number>> {
  return new Promise((resolve) => {
    for (const node of nodes)
      node.events.on("role", ({ role }) => role === "leader" && resolve(node));
  });
}

describe("MessagePortTransport (docs/writing-a-transport.md)", () => {
  it("carries a three-node cluster: a leader is elected and a command reaches every node", async () => {
    const transports = connectMesh(ids);
    const machines = new Map<NodeId, Sum>(ids.map((id) => [id, new Sum()]));
    const nodes = ids.map((id) =>
      createNode({
        id,
        voters: ids,
        transport: transports.get(id) as MessagePortTransport,
        storage: new MemoryStorage(),
        stateMachine: bufferedStateMachine(machines.get(id) as Sum),
        tickMs: 10,
      }),
    );
    cleanup = async () => {
      await Promise.all(nodes.map((node) => node.stop()));
      await Promise.all([...transports.values()].map((transport) => transport.close()));
    };
    const leader = leaderOf(nodes);
    await Promise.all(nodes.map((node) => node.start()));
    expect(await (await leader).propose(new Uint8Array([7]), { timeoutMs: 10_000 })).toBe(7);
    // Followers apply once they learn the commit index (the next heartbeat).
    await Promise.all(
      nodes.map(
        (node) =>
          new Promise<void>((resolve) => {
            if (node.status().appliedIndex >= 2) return resolve();
            node.events.on("apply", ({ index }) => index >= 2 && resolve());
          }),
      ),
    );
    expect(ids.map((id) => machines.get(id)?.total)).toEqual([7, 7, 7]);
  }, 30_000);

  it("drops and counts what is not a message for it, and never throws", async () => {
    const [a, b, z] = [nodeId("a"), nodeId("b"), nodeId("z")];
    const transport = new MessagePortTransport(a);
    const { port1, port2 } = new MessageChannel();
    transport.connect(b, port1);
    const received: Message[] = [];
    const arrived = new Promise<void>((resolve) =>
      transport.onMessage((message) => {
        received.push(message);
        resolve();
      }),
    );
    cleanup = async () => {
      port2.close();
      await transport.close();
    };
    const vote = (to: NodeId): Message => ({
      type: "requestVote",
      from: b,
      to,
      term: term(1),
      preVote: false,
      lastLogIndex: index(0),
      lastLogTerm: term(0),
    });
    transport.send(z, vote(z)); // no port to z
    port2.postMessage("hello");
    port2.postMessage(new Uint8Array([1, 2, 3]));
    port2.postMessage(encodeMessage(vote(z))); // for another node
    port2.postMessage(encodeMessage(vote(a))); // a port delivers in order: this one comes last
    await arrived;
    expect(received).toEqual([vote(a)]);
    expect(transport.dropped).toEqual({
      unknownPeer: 1,
      notBytes: 1,
      undecodable: 1,
      wrongRecipient: 1,
      closed: 0,
    });
  });
});
