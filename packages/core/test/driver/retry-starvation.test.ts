import { expect, it } from "vitest";
import { createNode, MemoryStorage, type NodeId, NotLeaderError } from "../../src/index.js";
import { LogMachine } from "./fixtures.js";
import { ProbeTransport } from "./loopback.js";

// A follower refuses a proposal without any I/O. Were the refusal settled in the same job, a
// client retrying at once would spin in microtasks for ever: the node's tick timer and socket
// callbacks would never run, so it could never learn of a leader (the bench's stall, once).
it("a caller that retries a refused proposal at once does not starve the host's timers", async () => {
  const [a, b, c] = ["a", "b", "c"] as [NodeId, NodeId, NodeId];
  const node = createNode<string>({
    id: b,
    voters: [a, b, c],
    tickMs: 1_000,
    transport: new ProbeTransport(),
    storage: new MemoryStorage(),
    stateMachine: new LogMachine(),
  });
  await node.start();
  let timerRan = false;
  setTimeout(() => {
    timerRan = true;
  }, 0);
  let refusals = 0;
  while (!timerRan && refusals < 10_000) {
    const error = await node.propose(new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotLeaderError);
    refusals += 1;
  }
  await node.stop();
  expect(timerRan).toBe(true);
  expect(refusals).toBeLessThan(10_000);
});
