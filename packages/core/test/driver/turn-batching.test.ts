// Requests that arrive together share one turn (Scheduler.afterIo, issue #10): with asynchronous
// writes nothing else holds a turn back, and a turn per request sent each follower an
// AppendEntries (and took an acknowledgement back) per proposal. Real host timers on purpose: the
// batching is the host's I/O phase, which the virtual clocks of the other tests do not model.

import { afterEach, describe, expect, it } from "vitest";
import type { FlotillaNode, Message, NodeId, Transport } from "../../src/index.js";
import { createNode, MemoryStorage } from "../../src/index.js";
import { bytes, LogMachine } from "./fixtures.js";
import { LoopbackNetwork } from "./loopback.js";

const ids = ["a", "b", "c"] as NodeId[];
let nodes: FlotillaNode<string>[] = [];

afterEach(async () => {
  await Promise.all(nodes.map((node) => node.stop()));
  nodes = [];
});

/** Counts the AppendEntries carrying entries that each node sends. */
function counted(transport: Transport, appends: Map<NodeId, number>, from: NodeId): Transport {
  return {
    send: (to: NodeId, message: Message) => {
      if (message.type === "appendEntries" && message.entries.length > 0) {
        appends.set(from, (appends.get(from) ?? 0) + 1);
      }
      transport.send(to, message);
    },
    onMessage: (handler) => transport.onMessage(handler),
    close: () => transport.close(),
  };
}

async function leaderOf(): Promise<FlotillaNode<string>> {
  for (let waited = 0; waited < 5_000; waited += 10) {
    const leader = nodes.find((node) => node.status().role === "leader");
    if (leader !== undefined) return leader;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("no leader within 5 s");
}

describe("turns on the host's timers", () => {
  it("gives proposals that arrive in one I/O phase one AppendEntries per follower", async () => {
    const network = new LoopbackNetwork();
    const appends = new Map<NodeId, number>();
    for (const id of ids) {
      const node = createNode<string>({
        id,
        voters: ids,
        seed: 7,
        tickMs: 10,
        transport: counted(network.transport(id), appends, id),
        storage: new MemoryStorage(),
        stateMachine: new LogMachine(),
      });
      nodes.push(node);
      await node.start();
    }
    const leader = await leaderOf();
    await leader.propose(bytes("warm-up"));
    const id = leader.status().id;
    const before = appends.get(id) ?? 0;
    // Twenty requests in twenty host callbacks of one phase, as a server's sockets deliver them
    // (microtasks drain between them).
    const proposals = await new Promise<Promise<unknown>[]>((resolve) => {
      const made: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i += 1) {
        setImmediate(() => {
          made.push(leader.propose(bytes(`value ${i}`)));
          if (made.length === 20) resolve(made);
        });
      }
    });
    await Promise.all(proposals);
    // One turn for the twenty: one AppendEntries to each of the two followers (a heartbeat
    // falling in between may carry a resend), not forty.
    expect((appends.get(id) ?? 0) - before).toBeLessThanOrEqual(4);
  });
});
