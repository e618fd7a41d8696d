// A turn that only takes up the write just made durable starts after the current job, not after
// the host's next I/O phase (turn-shell.ts, issue #10): what the write releases, a follower's
// acknowledgement here, leaves at once. Real host timers on purpose, as in turn-batching.test.ts:
// the rule is about the host's phases, which virtual clocks do not model.

import { afterEach, describe, expect, it } from "vitest";
import type { FlotillaNode, Index, Message, NodeId, Term, Transport } from "../../src/index.js";
import { createNode, MemoryStorage } from "../../src/index.js";
import { bytes, LogMachine } from "./fixtures.js";

const leader = "a" as NodeId;
const follower = "b" as NodeId;
const other = "c" as NodeId;
let node: FlotillaNode<string> | undefined;

afterEach(async () => {
  await node?.stop();
  node = undefined;
});

describe("a turn that only takes up a completed write", () => {
  it("sends the follower's acknowledgement before the I/O phase after its write", async () => {
    const sent: string[] = [];
    let deliver: (message: Message) => void = () => undefined;
    const transport: Transport = {
      send: (_to, message) => {
        if (message.type === "appendEntriesResponse") sent.push("acknowledgement");
      },
      onMessage: (handler) => {
        deliver = handler;
        return () => undefined;
      },
      close: async () => undefined,
    };
    node = createNode<string>({
      id: follower,
      voters: [leader, follower, other],
      seed: 3,
      tickMs: 10,
      transport,
      storage: new MemoryStorage(),
      stateMachine: new LogMachine(),
    });
    await node.start();
    const term = 1 as Term;
    const append: Message = {
      type: "appendEntries",
      from: leader,
      to: follower,
      term,
      prevLogIndex: 0 as Index,
      prevLogTerm: 0 as Term,
      entries: [{ kind: "command", index: 1 as Index, term, data: bytes("x") }],
      leaderCommit: 0 as Index,
      seq: 1,
    };
    await new Promise<void>((resolve) => {
      // A timer's callback, as a socket's would be: the follower's turn runs once this phase
      // is done (after I/O), in the same loop iteration as the marker queued right after it.
      setTimeout(() => {
        deliver(append);
        setImmediate(() => {
          sent.push("marker of the phase after the append's turn");
          resolve();
        });
      }, 1);
    });
    // The write completed in that turn's jobs (MemoryStorage), and the turn taking it up ran
    // at once: the acknowledgement did not wait for another I/O phase.
    expect(sent).toEqual(["acknowledgement", "marker of the phase after the append's turn"]);
  });
});
