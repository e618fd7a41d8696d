// The README's "A small example", verbatim but for the test wrapper: if this breaks, so does the README.
import {
  type BufferedStateMachine,
  bufferedStateMachine,
  createNode,
  MemoryStorage,
  nodeId,
  whenLeader,
} from "@flotilla/core";
import { Network, startRealTime } from "@flotilla/transport-memory";
import { expect, it } from "vitest";

it("the README example elects a leader and replicates a counter", async () => {
  // A replicated counter: each command adds its first byte.
  class Counter implements BufferedStateMachine<number> {
    total = 0;
    apply(command: Uint8Array) {
      this.total += command[0] ?? 0;
      return this.total;
    }
    snapshot() {
      return new TextEncoder().encode(String(this.total));
    }
    restore(data: Uint8Array) {
      this.total = Number(new TextDecoder().decode(data));
    }
  }

  const ids = ["a", "b", "c"].map(nodeId);
  const network = new Network({ random: 42 }); // seeded: losses and latencies replay exactly
  const clock = startRealTime(network); // deliver with real timers (tests can drive time instead)
  const nodes = ids.map((id) =>
    createNode({
      id,
      voters: ids,
      transport: network.transport(id),
      storage: new MemoryStorage(), // or openFileStorage(dir) from @flotilla/storage-file
      stateMachine: bufferedStateMachine(new Counter()), // a small state: snapshots in one piece
      tickMs: 10, // ms per tick (default 100): elections within 100-200 ms
    }),
  );
  await Promise.all(nodes.map((node) => node.start()));

  const leader = await whenLeader(nodes); // the first to win an election (NoLeaderError after 30 s)
  const total = await leader.propose(new Uint8Array([5]), { timeoutMs: 5000 });

  await Promise.all(nodes.map((node) => node.stop()));
  clock.stop();
  expect(total).toBe(5);
});
